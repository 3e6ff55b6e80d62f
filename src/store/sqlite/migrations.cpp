#include "store/sqlite/migrations.h"

#include <string>

#include "base/log.h"

namespace teamvl::store::sqlite {

namespace {

// Kept close to portable SQL so the PostgreSQL scripts can mirror them:
// BIGINT for times and counters, DOUBLE PRECISION for fractions, TEXT for
// strings and JSON, ON CONFLICT upserts. The SQLite-only part is
// `INTEGER PRIMARY KEY AUTOINCREMENT` (ids never reused, so an audit line's
// "user:42" never points at a later account).
constexpr Migration kMigrations[] = {
    {1, "users, sessions, api keys, quotas, settings, audit, usage", R"sql(
CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  username TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
  password_hash TEXT NOT NULL DEFAULT '',
  must_change_password INTEGER NOT NULL DEFAULT 0,
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE setup_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  completed_at BIGINT NOT NULL,
  admin_user_id BIGINT
);

CREATE TABLE web_sessions (
  token_hash TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  client_addr TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL
);
CREATE INDEX web_sessions_user ON web_sessions(user_id);
CREATE INDEX web_sessions_expires ON web_sessions(expires_at);

CREATE TABLE api_keys (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name TEXT NOT NULL DEFAULT '',
  prefix TEXT NOT NULL UNIQUE,
  secret_hash TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT,
  call_count BIGINT NOT NULL DEFAULT 0,
  revoked_at BIGINT,
  expires_at BIGINT,
  rotated_to INTEGER REFERENCES api_keys(id) ON DELETE SET NULL
);
CREATE INDEX api_keys_user ON api_keys(user_id);
CREATE INDEX api_keys_rotated_to ON api_keys(rotated_to);

CREATE TABLE quotas (
  user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  inferences_per_day BIGINT,
  tokens_per_day BIGINT,
  max_concurrent BIGINT,
  memory_budget_gib DOUBLE PRECISION,
  priority_ceiling BIGINT
);

CREATE TABLE team_settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- No foreign key on actor_user_id: the audit log outlives the accounts.
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at BIGINT NOT NULL,
  actor_user_id BIGINT,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL DEFAULT '',
  detail_json TEXT NOT NULL DEFAULT '{}',
  client_addr TEXT NOT NULL DEFAULT ''
);

CREATE TABLE usage_daily (
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  day TEXT NOT NULL,
  inferences BIGINT NOT NULL DEFAULT 0,
  input_tokens BIGINT NOT NULL DEFAULT 0,
  output_tokens BIGINT NOT NULL DEFAULT 0,
  images BIGINT NOT NULL DEFAULT 0,
  compute_seconds DOUBLE PRECISION NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, day)
);
CREATE INDEX usage_daily_day ON usage_daily(day, user_id);
)sql"},
};

constexpr const char* kCreateMigrationsTable = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at BIGINT NOT NULL
))sql";

Status check_numbering(std::span<const Migration> migrations) {
  for (size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i) + 1) {
      return Status::Internal("store migrations must be numbered 1..n; entry " +
                              std::to_string(i) + " has version " +
                              std::to_string(migrations[i].version));
    }
  }
  return Status::Ok();
}

// Applies one migration unless another process applied it first.
Status apply_one(Db& db, const Migration& m, int64_t now_unix) {
  return db.transaction([&]() -> Status {
    TEAMVL_ASSIGN_OR_RETURN(int version, current_schema_version(db));
    if (version >= m.version) return Status::Ok();
    Status st = db.exec_script(m.sql);
    if (!st.ok()) {
      return Status(st.code(), "migration " + std::to_string(m.version) + " (" + m.name +
                                   ") failed: " + st.message());
    }
    return db.exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                   m.version, m.name, now_unix);
  });
}

}  // namespace

std::span<const Migration> sqlite_migrations() { return kMigrations; }

Result<int> current_schema_version(Db& db) {
  TEAMVL_ASSIGN_OR_RETURN(Statement stmt,
                          db.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
  TEAMVL_ASSIGN_OR_RETURN(bool row, stmt.step());
  return row ? static_cast<int>(stmt.int64(0)) : 0;
}

Result<int> apply_migrations(Db& db, std::span<const Migration> migrations, int64_t now_unix) {
  TEAMVL_RETURN_IF_ERROR(check_numbering(migrations));
  TEAMVL_RETURN_IF_ERROR(db.exec(kCreateMigrationsTable));
  TEAMVL_ASSIGN_OR_RETURN(int version, current_schema_version(db));
  const int latest = static_cast<int>(migrations.size());
  if (version > latest) {
    return Status::FailedPrecondition("database schema version " + std::to_string(version) +
                                      " is newer than this build knows (" +
                                      std::to_string(latest) + "); use a newer teamvl");
  }
  for (const Migration& m : migrations.subspan(static_cast<size_t>(version))) {
    TEAMVL_RETURN_IF_ERROR(apply_one(db, m, now_unix));
    log_info("store", "applied migration " + std::to_string(m.version) + ": " + m.name);
  }
  return current_schema_version(db);
}

}  // namespace teamvl::store::sqlite
