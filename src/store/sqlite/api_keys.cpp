// API keys: hashed secrets, revocation and rotation with a grace period.
#include <string>
#include <utility>

#include "store/sqlite/sqlite_store.h"

namespace teamvl::store::sqlite {

namespace {

constexpr const char* kKeyColumns =
    "id, user_id, name, prefix, secret_hash, created_at, last_used_at, call_count, revoked_at, "
    "expires_at, rotated_to";

ApiKey read_key(const Statement& s) {
  ApiKey k;
  k.id = s.int64(0);
  k.user_id = s.int64(1);
  k.name = s.text(2);
  k.prefix = s.text(3);
  k.secret_hash = s.text(4);
  k.created_at = s.int64(5);
  k.last_used_at = s.opt_int64(6);
  k.call_count = s.int64(7);
  k.revoked_at = s.opt_int64(8);
  k.expires_at = s.opt_int64(9);
  k.rotated_to = s.opt_int64(10);
  return k;
}

template <typename... Args>
Result<std::vector<ApiKey>> query_keys(Db& db, const std::string& rest, const Args&... args) {
  TEAMVL_ASSIGN_OR_RETURN(Statement stmt, db.prepare(std::string("SELECT ") + kKeyColumns +
                                                     " FROM api_keys " + rest));
  TEAMVL_RETURN_IF_ERROR(stmt.bind(args...));
  return stmt.collect(read_key);
}

std::string key_not_found(int64_t id) { return "no API key with id " + std::to_string(id); }

}  // namespace

Result<ApiKey> SqliteStore::create_api_key(const ApiKey& key) {
  if (key.prefix.empty()) return Status::InvalidArgument("API key prefix must not be empty");
  Lock lock(mu_);
  ApiKey out = key;
  if (out.created_at == 0) out.created_at = now();
  Status st = db_->exec(
      "INSERT INTO api_keys (user_id, name, prefix, secret_hash, created_at, last_used_at, "
      "call_count, revoked_at, expires_at, rotated_to) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      out.user_id, out.name, out.prefix, out.secret_hash, out.created_at, out.last_used_at,
      out.call_count, out.revoked_at, out.expires_at, out.rotated_to);
  if (!st.ok()) {
    st = with_message(std::move(st), StatusCode::kAlreadyExists,
                      "API key prefix '" + key.prefix + "' is taken");
    return with_message(std::move(st), StatusCode::kNotFound,
                        "no user with id " + std::to_string(key.user_id) +
                            " (or no key to rotate to)");
  }
  out.id = db_->last_insert_rowid();
  return out;
}

Result<ApiKey> SqliteStore::get_api_key(int64_t id) {
  Lock lock(mu_);
  TEAMVL_ASSIGN_OR_RETURN(auto keys, query_keys(*db_, "WHERE id = ?", id));
  if (keys.empty()) return Status::NotFound(key_not_found(id));
  return std::move(keys.front());
}

Result<ApiKey> SqliteStore::find_api_key(const std::string& prefix) {
  Lock lock(mu_);
  TEAMVL_ASSIGN_OR_RETURN(auto keys, query_keys(*db_, "WHERE prefix = ?", prefix));
  if (keys.empty()) return Status::NotFound("no API key with prefix '" + prefix + "'");
  return std::move(keys.front());
}

Result<std::vector<ApiKey>> SqliteStore::list_api_keys(std::optional<int64_t> user_id) {
  Lock lock(mu_);
  // Ids grow with creation (AUTOINCREMENT), so id order is creation order.
  if (user_id) return query_keys(*db_, "WHERE user_id = ? ORDER BY id DESC", *user_id);
  return query_keys(*db_, "ORDER BY id DESC");
}

Status SqliteStore::revoke_api_key(int64_t id, int64_t at) {
  Lock lock(mu_);
  // Revoking twice keeps the first time.
  TEAMVL_RETURN_IF_ERROR(db_->exec(
      "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?", at, id));
  if (db_->changes() == 0) return Status::NotFound(key_not_found(id));
  return Status::Ok();
}

Result<ApiKey> SqliteStore::rotate_api_key(int64_t old_id, const ApiKey& replacement,
                                           int64_t old_expires_at) {
  Lock lock(mu_);
  ApiKey created;
  TEAMVL_RETURN_IF_ERROR(db_->transaction([&]() -> Status {
    TEAMVL_ASSIGN_OR_RETURN(ApiKey old, get_api_key(old_id));
    if (old.revoked_at) {
      return Status::FailedPrecondition("API key " + std::to_string(old_id) + " is revoked");
    }
    if (old.rotated_to) {
      return Status::FailedPrecondition("API key " + std::to_string(old_id) +
                                        " was already rotated");
    }
    ApiKey fresh = replacement;
    if (fresh.user_id == 0) fresh.user_id = old.user_id;
    if (fresh.user_id != old.user_id) {
      return Status::InvalidArgument("a replacement key must belong to the same member");
    }
    TEAMVL_ASSIGN_OR_RETURN(created, create_api_key(fresh));
    return db_->exec("UPDATE api_keys SET expires_at = ?, rotated_to = ? WHERE id = ?",
                     old_expires_at, created.id, old_id);
  }));
  return created;
}

Status SqliteStore::record_api_key_use(int64_t id, int64_t at) {
  Lock lock(mu_);
  TEAMVL_RETURN_IF_ERROR(db_->exec(
      "UPDATE api_keys SET last_used_at = ?, call_count = call_count + 1 WHERE id = ?", at, id));
  if (db_->changes() == 0) return Status::NotFound(key_not_found(id));
  return Status::Ok();
}

}  // namespace teamvl::store::sqlite
