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
#include <string_view>
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

// --- tasks ---
// A task's kind and state are stored as these names. A task moves
// queued -> running -> one of the final states, and may go back from running
// to queued (preemption, retry of an engine fault, restart after a crash).
namespace task_kind {
inline constexpr const char* kChat = "chat";
inline constexpr const char* kApi = "api";
inline constexpr const char* kPipeline = "pipeline";
}  // namespace task_kind
namespace task_state {
inline constexpr const char* kQueued = "queued";
inline constexpr const char* kRunning = "running";
inline constexpr const char* kDone = "done";
inline constexpr const char* kFailed = "failed";
inline constexpr const char* kCancelled = "cancelled";
inline constexpr const char* kTimedOut = "timed_out";
}  // namespace task_state
bool is_task_kind(std::string_view s);
bool is_task_state(std::string_view s);
// done | failed | cancelled | timed_out: nothing moves a task out of these.
bool is_final_task_state(std::string_view s);

// One inference (a chat turn, an API call, a pipeline step), written before
// the request is acknowledged so that nothing accepted is lost on a restart.
struct Task {
  int64_t id = 0;
  int64_t user_id = 0;
  std::string kind = task_kind::kChat;
  std::string state = task_state::kQueued;
  int priority = 0;                   // class; higher runs first
  std::string request_json;           // the whole request: messages, file ids, sampling
  std::string result_text;
  std::string error_code;             // empty unless failed / timed out / cancelled
  std::string error_message;
  int64_t input_tokens = 0;           // image tokens included
  int64_t image_tokens = 0;
  int64_t output_tokens = 0;
  int attempts = 0;                   // times started (mark_task_running)
  int max_attempts = 1;               // >= 1; retries of engine faults stop here
  int64_t timeout_s = 0;              // 0: no limit of its own
  std::optional<int64_t> session_id;  // chat session it answers; cleared when deleted
  std::optional<int64_t> api_key_id;  // key that submitted it; cleared when deleted
  std::string label;                  // short description shown in the team view
  int64_t created_at = 0;
  int64_t started_at = 0;             // start of the current attempt; 0 = not started
  int64_t finished_at = 0;            // 0 = not finished
  double compute_seconds = 0;
};

// How a task ended: what finish_task writes. Token counts and
// compute_seconds are the task's totals over all its attempts.
struct TaskOutcome {
  std::string state;                  // done | failed | cancelled | timed_out
  std::string result_text;
  std::string error_code;
  std::string error_message;
  int64_t input_tokens = 0;
  int64_t image_tokens = 0;
  int64_t output_tokens = 0;
  double compute_seconds = 0;
  int64_t finished_at = 0;            // 0 = now
};

// Which tasks list_tasks returns, newest first.
struct TaskFilter {
  std::optional<int64_t> user_id;     // unset: every member's
  std::vector<std::string> states;    // empty: every state
  int limit = 100;                    // > 0
  std::optional<int64_t> before_id;   // paging: only ids < before_id
};

// Why a running task goes back to the queue. A retry keeps the attempt it
// used (so max_attempts bounds retries); a preemption gives it back.
enum class RequeueReason { kRetry, kPreempted };

// --- chat sessions (private per member) ---
struct ChatSession {
  int64_t id = 0;
  int64_t user_id = 0;
  std::string title;
  int64_t created_at = 0;
  int64_t updated_at = 0;             // last message added or filled
};

struct ChatMessage {
  int64_t id = 0;
  int64_t session_id = 0;
  std::string role;                   // system | user | assistant
  std::string content;
  std::vector<int64_t> file_ids;      // attached uploads, in order (may outlive the files)
  std::optional<int64_t> task_id;     // the task answering it; cleared when deleted
  int64_t created_at = 0;
};

// --- uploaded files: the blob is on disk under its sha256; rows hold ownership ---
struct FileRecord {
  int64_t id = 0;
  int64_t user_id = 0;
  std::string sha256;                 // 64 lowercase hex digits: the blob's name
  std::string name;                   // as uploaded
  std::string mime;
  std::string kind;                   // image | pdf
  int64_t size_bytes = 0;
  int32_t width = 0;                  // pixels (first page for a PDF)
  int32_t height = 0;
  int32_t pages = 0;                  // 1 for an image
  int64_t created_at = 0;
};

// --- parameter presets (per member; names unique per member) ---
struct Preset {
  int64_t id = 0;
  int64_t user_id = 0;
  std::string name;
  std::string params_json;            // a JSON object of sampling parameters
  int64_t created_at = 0;
  int64_t updated_at = 0;
};


// --- relay pipelines (src/pipelines) ---
// A pipeline is a named, versioned definition (a JSON document the pipelines
// module validates); every edit adds a version. A run executes one version
// over a set of items; each item moves through the steps on its own.
struct Pipeline {
  int64_t id = 0;
  int64_t owner_id = 0;               // the creator: may edit and delete it
  std::string name;                   // unique
  int64_t version = 1;                // the newest version
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

struct PipelineVersion {
  int64_t pipeline_id = 0;
  int64_t version = 0;
  std::string definition_json;        // a JSON object
  int64_t created_by = 0;
  int64_t created_at = 0;
};

namespace run_state {
inline constexpr const char* kRunning = "running";
inline constexpr const char* kPaused = "paused";
inline constexpr const char* kDone = "done";
inline constexpr const char* kFailed = "failed";
inline constexpr const char* kCancelled = "cancelled";
}  // namespace run_state
// done | failed | cancelled.
bool is_final_run_state(std::string_view s);

struct PipelineRun {
  int64_t id = 0;
  int64_t pipeline_id = 0;
  int64_t version = 0;                // the definition version it runs
  int64_t started_by = 0;
  std::string state = run_state::kRunning;
  std::string error;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  int64_t finished_at = 0;            // 0 = not finished
};

namespace item_state {
inline constexpr const char* kPending = "pending";        // waiting to start its current step
inline constexpr const char* kRunning = "running";        // its current step's task is in flight
inline constexpr const char* kAwaitingReview = "awaiting_review";
inline constexpr const char* kDone = "done";
inline constexpr const char* kFailed = "failed";
inline constexpr const char* kCancelled = "cancelled";
}  // namespace item_state
bool is_item_state(std::string_view s);
// done | failed | cancelled.
bool is_final_item_state(std::string_view s);

// One input of a run (an image, a PDF, or one page of a PDF).
struct RunItem {
  int64_t id = 0;
  int64_t run_id = 0;
  int64_t position = 0;               // 0-based order in the run
  std::string name;                   // shown to people and in {{item}}
  std::string folder;                 // its folder in shared storage, unique in the run
  std::string source_json = "{}";     // the input: file id, sha256s of rendered pages
  std::string state = item_state::kPending;
  int64_t step_index = 0;             // the current step (== steps count when done)
  std::optional<int64_t> task_id;     // the current step's task while in flight
  std::string steps_json = "[]";      // per-step results and attempts
  int64_t updated_at = 0;
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
  // Removes the user with their sessions, keys, quota, usage, tasks, chat
  // sessions and messages, file rows and presets (audit entries stay; the
  // caller deletes blobs no longer referenced). NotFound when absent.
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

  // --- tasks ---
  // Writes a new queued task; fills id, created_at when 0, and starts it
  // with attempts 0, no start/finish time and no result. InvalidArgument for
  // an unknown kind, a state other than queued, max_attempts < 1, negative
  // timeout or token counts, request_json that is not a JSON object ("" means
  // "{}");
  // NotFound when the user, chat session or API key does not exist.
  virtual Result<Task> create_task(const Task& task) = 0;
  virtual Result<Task> get_task(int64_t id) = 0;                       // NotFound
  // Newest first. InvalidArgument for limit <= 0 or an unknown state.
  virtual Result<std::vector<Task>> list_tasks(const TaskFilter& filter) = 0;
  // queued -> running, attempts += 1, started_at = started_at (0 = now).
  // Atomic: of two callers (threads or processes) exactly one succeeds; the
  // other gets FailedPrecondition, as does any task that is not queued.
  virtual Status mark_task_running(int64_t id, int64_t started_at) = 0;
  // queued|running -> outcome.state (a final state, else InvalidArgument).
  // A task is finished once: FailedPrecondition when it already was.
  virtual Status finish_task(int64_t id, const TaskOutcome& outcome) = 0;
  // running -> queued (started_at back to 0); FailedPrecondition otherwise.
  virtual Status requeue_task(int64_t id, RequeueReason reason) = 0;
  // At startup, before any engine loop runs: every running task back to
  // queued, keeping its attempt (a task that crashed the server counts it).
  // Returns how many. Assumes one server per database (true for SQLite).
  virtual Result<int> requeue_interrupted_tasks() = 0;
  // A member's queued + running tasks (for the concurrency quota).
  virtual Result<int64_t> count_active_tasks(int64_t user_id) = 0;
  // NotFound when absent; FailedPrecondition when the task has finished.
  virtual Status set_task_priority(int64_t id, int priority) = 0;

  // --- chat sessions and their messages ---
  // Fills id, and created_at/updated_at when 0. NotFound when the user does
  // not exist.
  virtual Result<ChatSession> create_chat_session(const ChatSession& s) = 0;
  virtual Result<ChatSession> get_chat_session(int64_t id) = 0;        // NotFound
  // One member's sessions, most recently active first.
  virtual Result<std::vector<ChatSession>> list_chat_sessions(int64_t user_id) = 0;
  // Changes the title only (the order of the list stays). NotFound.
  virtual Status rename_chat_session(int64_t id, const std::string& title) = 0;
  // Removes the session and its messages; its tasks stay with session_id
  // cleared. NotFound when absent.
  virtual Status delete_chat_session(int64_t id) = 0;
  // Appends a message (fills id, created_at when 0) and sets the session's
  // updated_at to its time, atomically. InvalidArgument for an unknown role;
  // NotFound when the session or task does not exist.
  virtual Result<ChatMessage> add_chat_message(const ChatMessage& m) = 0;
  // In the order they were added; NotFound when the session does not exist.
  virtual Result<std::vector<ChatMessage>> list_chat_messages(int64_t session_id) = 0;
  // Replaces a message's content (the answer, when its task ends) and
  // touches its session's updated_at. NotFound when absent.
  virtual Status update_chat_message_content(int64_t id, const std::string& content) = 0;

  // --- uploaded files ---
  // Fills id, and created_at when 0. Idempotent per member: when the same
  // member already has a row for this sha256, that existing row is returned
  // unchanged (not AlreadyExists). InvalidArgument for a sha256 that is not
  // 64 lowercase hex digits, an unknown kind or negative sizes; NotFound
  // when the user does not exist.
  virtual Result<FileRecord> create_file(const FileRecord& f) = 0;
  virtual Result<FileRecord> get_file(int64_t id) = 0;                 // NotFound
  virtual Result<std::vector<FileRecord>> list_files(int64_t user_id) = 0;  // newest first
  // Removes the row only; the caller deletes the blob when
  // count_file_references says 0 (both inside in_transaction to be race-free).
  virtual Status delete_file(int64_t id) = 0;                          // NotFound
  // How many rows, of any member, name this blob.
  virtual Result<int64_t> count_file_references(const std::string& sha256) = 0;

  // --- parameter presets ---
  // Fills id, and created_at/updated_at when 0. AlreadyExists when this
  // member already has a preset of that name (other members may use it);
  // InvalidArgument for an empty name or params_json that is not a JSON
  // object ("" means "{}"); NotFound when the user does not exist.
  virtual Result<Preset> create_preset(const Preset& p) = 0;
  virtual Result<Preset> get_preset(int64_t id) = 0;                   // NotFound
  virtual Result<std::vector<Preset>> list_presets(int64_t user_id) = 0;  // by name
  // Writes name and params_json of preset p.id (updated_at = now); the owner
  // and created_at stay. NotFound, AlreadyExists, InvalidArgument as above.
  virtual Status update_preset(const Preset& p) = 0;
  virtual Status delete_preset(int64_t id) = 0;                        // NotFound
  // --- relay pipelines ---
  // Creates a pipeline with version 1 = definition_json (a JSON object).
  // Fills id, version, times. AlreadyExists when the name is taken; NotFound
  // when the owner does not exist.
  virtual Result<Pipeline> create_pipeline(const Pipeline& p, const std::string& definition_json) = 0;
  virtual Result<Pipeline> get_pipeline(int64_t id) = 0;               // NotFound
  virtual Result<std::vector<Pipeline>> list_pipelines() = 0;          // by name
  // Adds version (newest + 1) with this definition and renames the pipeline
  // to `name`, atomically; returns the updated pipeline. NotFound,
  // AlreadyExists (name taken), InvalidArgument (not a JSON object).
  virtual Result<Pipeline> add_pipeline_version(int64_t id, const std::string& name,
                                                const std::string& definition_json, int64_t by) = 0;
  virtual Result<PipelineVersion> get_pipeline_version(int64_t id, int64_t version) = 0;  // NotFound
  virtual Result<std::vector<PipelineVersion>> list_pipeline_versions(int64_t id) = 0;    // oldest first
  // Removes the pipeline with its versions, runs and items. NotFound.
  virtual Status delete_pipeline(int64_t id) = 0;

  // Writes a run and its items (their run_id is filled) in one transaction.
  // Fills ids and times. NotFound when the pipeline version or user is absent.
  virtual Result<PipelineRun> create_run(const PipelineRun& run, std::vector<RunItem>* items) = 0;
  virtual Result<PipelineRun> get_run(int64_t id) = 0;                 // NotFound
  // Newest first; one pipeline's when pipeline_id is set; only these states
  // when states is non-empty.
  virtual Result<std::vector<PipelineRun>> list_runs(std::optional<int64_t> pipeline_id,
                                                     const std::vector<std::string>& states, int limit) = 0;
  // Sets state and error; finished_at = now when the state is final.
  // InvalidArgument for an unknown state; NotFound.
  virtual Status set_run_state(int64_t id, const std::string& state, const std::string& error) = 0;
  virtual Result<RunItem> get_run_item(int64_t id) = 0;                // NotFound
  virtual Result<std::vector<RunItem>> list_run_items(int64_t run_id) = 0;  // by position
  // Writes state, step_index, task_id and steps_json (updated_at = now).
  // InvalidArgument for an unknown state or steps_json not an array; NotFound.
  virtual Status update_run_item(const RunItem& item) = 0;
};

// Opens (creating if needed) the SQLite database at `path` and applies
// pending migrations. The path's directory must exist. More options (busy
// timeout, clock, sync mode): store/sqlite/sqlite_store.h.
Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path);

}  // namespace teamvl::store
