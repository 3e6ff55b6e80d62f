// Browser sessions: rows keyed by the hash of the cookie token.
#include <string>
#include <utility>

#include "store/sqlite/sqlite_store.h"

namespace teamvl::store::sqlite {

Status SqliteStore::create_session(const WebSession& s) {
  if (s.token_hash.empty()) return Status::InvalidArgument("session token hash must not be empty");
  Lock lock(mu_);
  Status st = db_->exec(
      "INSERT INTO web_sessions (token_hash, user_id, csrf_token, client_addr, created_at, "
      "expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      s.token_hash, s.user_id, s.csrf_token, s.client_addr, s.created_at, s.expires_at,
      s.last_seen_at);
  st = with_message(std::move(st), StatusCode::kNotFound,
                    "no user with id " + std::to_string(s.user_id));
  return with_message(std::move(st), StatusCode::kAlreadyExists, "session already exists");
}

Result<WebSession> SqliteStore::get_session(const std::string& token_hash) {
  Lock lock(mu_);
  TEAMVL_ASSIGN_OR_RETURN(
      Statement stmt,
      db_->prepare("SELECT token_hash, user_id, csrf_token, client_addr, created_at, expires_at, "
                   "last_seen_at FROM web_sessions WHERE token_hash = ?"));
  TEAMVL_RETURN_IF_ERROR(stmt.bind(token_hash));
  TEAMVL_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return Status::NotFound("no such session");
  WebSession s;
  s.token_hash = stmt.text(0);
  s.user_id = stmt.int64(1);
  s.csrf_token = stmt.text(2);
  s.client_addr = stmt.text(3);
  s.created_at = stmt.int64(4);
  s.expires_at = stmt.int64(5);
  s.last_seen_at = stmt.int64(6);
  return s;
}

Status SqliteStore::touch_session(const std::string& token_hash, int64_t at) {
  Lock lock(mu_);
  TEAMVL_RETURN_IF_ERROR(
      db_->exec("UPDATE web_sessions SET last_seen_at = ? WHERE token_hash = ?", at, token_hash));
  if (db_->changes() == 0) return Status::NotFound("no such session");
  return Status::Ok();
}

Status SqliteStore::delete_session(const std::string& token_hash) {
  Lock lock(mu_);
  TEAMVL_RETURN_IF_ERROR(db_->exec("DELETE FROM web_sessions WHERE token_hash = ?", token_hash));
  if (db_->changes() == 0) return Status::NotFound("no such session");
  return Status::Ok();
}

Status SqliteStore::delete_user_sessions(int64_t user_id) {
  Lock lock(mu_);
  return db_->exec("DELETE FROM web_sessions WHERE user_id = ?", user_id);
}

Status SqliteStore::delete_expired_sessions(int64_t now) {
  Lock lock(mu_);
  return db_->exec("DELETE FROM web_sessions WHERE expires_at <= ?", now);
}

}  // namespace teamvl::store::sqlite
