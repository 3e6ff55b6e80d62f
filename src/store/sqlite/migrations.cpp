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
    {2, "tasks, chat sessions and messages, files, presets", R"sql(
CREATE TABLE chat_sessions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  title TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX chat_sessions_user ON chat_sessions(user_id, updated_at);

CREATE TABLE tasks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('chat', 'api', 'pipeline')),
  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled',
                                       'timed_out')),
  priority BIGINT NOT NULL DEFAULT 0,
  request_json TEXT NOT NULL DEFAULT '{}',
  result_text TEXT NOT NULL DEFAULT '',
  error_code TEXT NOT NULL DEFAULT '',
  error_message TEXT NOT NULL DEFAULT '',
  input_tokens BIGINT NOT NULL DEFAULT 0,
  image_tokens BIGINT NOT NULL DEFAULT 0,
  output_tokens BIGINT NOT NULL DEFAULT 0,
  attempts BIGINT NOT NULL DEFAULT 0,
  max_attempts BIGINT NOT NULL DEFAULT 1 CHECK (max_attempts >= 1),
  timeout_s BIGINT NOT NULL DEFAULT 0,
  session_id INTEGER REFERENCES chat_sessions(id) ON DELETE SET NULL,
  api_key_id INTEGER REFERENCES api_keys(id) ON DELETE SET NULL,
  label TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  started_at BIGINT NOT NULL DEFAULT 0,
  finished_at BIGINT NOT NULL DEFAULT 0,
  compute_seconds DOUBLE PRECISION NOT NULL DEFAULT 0
);
CREATE INDEX tasks_user_state ON tasks(user_id, state);
CREATE INDEX tasks_state ON tasks(state);
CREATE INDEX tasks_session ON tasks(session_id);
CREATE INDEX tasks_api_key ON tasks(api_key_id);

-- file_ids is a JSON array of ids: a message keeps naming its attachments
-- even after a file row is deleted.
CREATE TABLE chat_messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  session_id INTEGER NOT NULL REFERENCES chat_sessions(id) ON DELETE CASCADE,
  role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
  content TEXT NOT NULL DEFAULT '',
  file_ids TEXT NOT NULL DEFAULT '[]',
  task_id INTEGER REFERENCES tasks(id) ON DELETE SET NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX chat_messages_session ON chat_messages(session_id, id);
CREATE INDEX chat_messages_task ON chat_messages(task_id);

CREATE TABLE files (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  sha256 TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  mime TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL CHECK (kind IN ('image', 'pdf')),
  size_bytes BIGINT NOT NULL DEFAULT 0,
  width BIGINT NOT NULL DEFAULT 0,
  height BIGINT NOT NULL DEFAULT 0,
  pages BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  UNIQUE (user_id, sha256)
);
CREATE INDEX files_sha256 ON files(sha256);

CREATE TABLE presets (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  params_json TEXT NOT NULL DEFAULT '{}',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (user_id, name)
);
)sql"},
    {3, "relay pipelines: definitions and their versions, runs, run items", R"sql(
CREATE TABLE pipelines (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  owner_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name TEXT NOT NULL UNIQUE,
  version BIGINT NOT NULL DEFAULT 1,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE pipeline_versions (
  pipeline_id INTEGER NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE,
  version BIGINT NOT NULL,
  definition_json TEXT NOT NULL,
  created_by BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (pipeline_id, version)
);

CREATE TABLE pipeline_runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  pipeline_id INTEGER NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE,
  version BIGINT NOT NULL,
  started_by INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  state TEXT NOT NULL CHECK (state IN ('running', 'paused', 'done', 'failed', 'cancelled')),
  error TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  finished_at BIGINT NOT NULL DEFAULT 0,
  FOREIGN KEY (pipeline_id, version) REFERENCES pipeline_versions(pipeline_id, version)
);
CREATE INDEX pipeline_runs_pipeline ON pipeline_runs(pipeline_id, id);
CREATE INDEX pipeline_runs_state ON pipeline_runs(state);

-- task_id has no foreign key: an item keeps naming the task of its current
-- step even if a member's tasks are removed.
CREATE TABLE pipeline_run_items (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id INTEGER NOT NULL REFERENCES pipeline_runs(id) ON DELETE CASCADE,
  position BIGINT NOT NULL,
  name TEXT NOT NULL,
  folder TEXT NOT NULL,
  source_json TEXT NOT NULL DEFAULT '{}',
  state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'awaiting_review', 'done', 'failed',
                                       'cancelled')),
  step_index BIGINT NOT NULL DEFAULT 0,
  task_id BIGINT,
  steps_json TEXT NOT NULL DEFAULT '[]',
  updated_at BIGINT NOT NULL,
  UNIQUE (run_id, folder)
);
CREATE INDEX pipeline_run_items_run ON pipeline_run_items(run_id, position);
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
