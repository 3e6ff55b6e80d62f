// Store: every piece of persistent state behind one interface.
// Implementations: SQLite (sqlite/, the default) and, in a later issue,
// PostgreSQL. Nothing backend-specific appears here: ids are int64, times are
// Unix seconds (int64), days are "YYYY-MM-DD" strings in UTC, JSON documents
// are strings. All methods are thread-safe. Writes that belong together go
// through in_transaction().
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace teamvl::store {

enum class Role { kAdmin, kMember, kViewer };
const char* role_name(Role r);
// "admin" | "member" | "viewer"; anything else is nullopt.
std::optional<Role> parse_role(std::string_view s);

struct User {
  int64_t id = 0;
  std::string username;        // unique, case-sensitive; often an e-mail address
  std::string display_name;
  Role role = Role::kMember;
  std::string password_hash;   // argon2id string (libsodium crypto_pwhash_str)
  bool must_change_password = false;
  bool disabled = false;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

// A browser login. The token itself is never stored, only its hash.
struct WebSession {
  std::string token_hash;      // hex
  int64_t user_id = 0;
  std::string csrf_token;      // sent back in X-CSRF-Token by the browser
  std::string client_addr;
  int64_t created_at = 0;
  int64_t expires_at = 0;
  int64_t last_seen_at = 0;
};

struct ApiKey {
  int64_t id = 0;
  int64_t user_id = 0;
  std::string name;
  std::string prefix;          // public, unique, shown in lists; identifies the key
  std::string secret_hash;     // hex hash of the secret part
  int64_t created_at = 0;
  std::optional<int64_t> last_used_at;
  int64_t call_count = 0;
  std::optional<int64_t> revoked_at;   // set: the key no longer works
  std::optional<int64_t> expires_at;   // set: works until then (rotation grace)
  std::optional<int64_t> rotated_to;   // id of the key that replaced this one
};

// Per-member limits. An unset field means "the team default" (settings).
struct Quota {
  int64_t user_id = 0;
  std::optional<int64_t> inferences_per_day;
  std::optional<int64_t> tokens_per_day;
  std::optional<int64_t> max_concurrent;
  std::optional<double> memory_budget_gib;
  std::optional<int64_t> priority_ceiling;
};

struct AuditEntry {
  int64_t id = 0;
  int64_t at = 0;
  std::optional<int64_t> actor_user_id;  // empty for the operator CLI / setup
  std::string actor;           // username or "cli"
  std::string action;          // e.g. "user.create", "quota.set"
  std::string target;          // e.g. "user:42"
  std::string detail_json;     // free-form JSON object
  std::string client_addr;
};

// One member's use on one UTC day.
struct Usage {
  int64_t user_id = 0;
  std::string day;             // YYYY-MM-DD
  int64_t inferences = 0;
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  int64_t images = 0;
  double compute_seconds = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Runs fn inside one transaction: every Store call fn makes from this
  // thread is part of it. Committed when fn returns ok, rolled back otherwise
  // (fn's Status is returned). Other threads wait until it ends. A nested
  // in_transaction is a savepoint: its failure undoes only its own writes.
  virtual Status in_transaction(const std::function<Status()>& fn) = 0;

  // Schema version after migrations (for `teamvl config` and diagnostics).
  virtual int schema_version() = 0;

  // --- users ---
  // AlreadyExists when the username is taken. Fills id/created_at/updated_at.
  virtual Result<User> create_user(const User& user) = 0;
  virtual Result<User> get_user(int64_t id) = 0;                       // NotFound
  virtual Result<User> find_user(const std::string& username) = 0;    // NotFound
  virtual Result<std::vector<User>> list_users() = 0;                  // by id
  // Writes every field of `user` except id/created_at (updated_at 0 = now);
  // NotFound when absent, AlreadyExists when the new username is taken.
  virtual Status update_user(const User& user) = 0;
  // Removes the user with their sessions, keys, quota and usage (audit
  // entries stay). NotFound when absent.
  virtual Status delete_user(int64_t id) = 0;

  // --- first-run setup ---
  virtual Result<bool> setup_done() = 0;
  // Creates the first admin and closes setup for good, atomically.
  // FailedPrecondition when setup was already done.
  virtual Result<User> complete_setup(const User& admin) = 0;

  // --- browser sessions ---
  // get/touch/delete of an absent session is NotFound; the bulk deletes are
  // ok when nothing matches. create: NotFound when the user does not exist.
  virtual Status create_session(const WebSession& s) = 0;
  virtual Result<WebSession> get_session(const std::string& token_hash) = 0;  // NotFound
  virtual Status touch_session(const std::string& token_hash, int64_t at) = 0;
  virtual Status delete_session(const std::string& token_hash) = 0;
  virtual Status delete_user_sessions(int64_t user_id) = 0;
  virtual Status delete_expired_sessions(int64_t now) = 0;

  // --- API keys ---
  // Fills id, and created_at when 0. AlreadyExists when the prefix is
  // taken, NotFound when the user does not exist.
  virtual Result<ApiKey> create_api_key(const ApiKey& key) = 0;
  virtual Result<ApiKey> get_api_key(int64_t id) = 0;
  virtual Result<ApiKey> find_api_key(const std::string& prefix) = 0;
  // All keys, or one member's when user_id is set; newest first.
  virtual Result<std::vector<ApiKey>> list_api_keys(std::optional<int64_t> user_id) = 0;
  // Revoking twice keeps the first time.
  virtual Status revoke_api_key(int64_t id, int64_t at) = 0;
  // Creates `replacement` and limits the old key to `old_expires_at`, atomically.
  // replacement.user_id 0 means the old key's member; another member is
  // InvalidArgument. FailedPrecondition when the old key is revoked or rotated.
  virtual Result<ApiKey> rotate_api_key(int64_t old_id, const ApiKey& replacement,
                                        int64_t old_expires_at) = 0;
  // last_used_at = at, call_count += 1.
  virtual Status record_api_key_use(int64_t id, int64_t at) = 0;

  // --- quotas ---
  // A member with no row gets an all-unset Quota (not NotFound); a user id
  // that does not exist is NotFound. Negative limits are InvalidArgument.
  virtual Result<Quota> get_quota(int64_t user_id) = 0;
  virtual Status set_quota(const Quota& quota) = 0;

  // --- team settings (key -> JSON value) ---
  virtual Result<std::map<std::string, std::string>> get_team_settings() = 0;
  virtual Status set_team_setting(const std::string& key, const std::string& json_value) = 0;

  // --- audit log ---
  // Fills `at` when 0 and detail_json "{}" when empty; invalid JSON is
  // InvalidArgument.
  virtual Status append_audit(const AuditEntry& e) = 0;
  // Newest first; entries with id < before_id when before_id is set.
  // limit must be > 0.
  virtual Result<std::vector<AuditEntry>> list_audit(int limit,
                                                     std::optional<int64_t> before_id) = 0;

  // --- usage ---
  // Adds delta's counters to (delta.user_id, delta.day), creating the row.
  // Days that are not YYYY-MM-DD and negative deltas are InvalidArgument.
  virtual Status add_usage(const Usage& delta) = 0;
  // Zero usage when there is no row.
  virtual Result<Usage> get_usage(int64_t user_id, const std::string& day) = 0;
  // Rows with from_day <= day <= to_day, all members; ordered by day, user.
  virtual Result<std::vector<Usage>> list_usage(const std::string& from_day,
                                                const std::string& to_day) = 0;
};

// Opens (creating if needed) the SQLite database at `path` and applies
// pending migrations. The path's directory must exist. More options (busy
// timeout, clock, sync mode): store/sqlite/sqlite_store.h.
Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path);

}  // namespace teamvl::store
