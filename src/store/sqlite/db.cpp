#include "store/sqlite/db.h"

#include <sqlite3.h>

#include <cctype>
#include <string>
#include <utility>

#include "base/log.h"

namespace teamvl::store::sqlite {

Status status_from_sqlite(int rc, std::string_view message) {
  std::string m = "sqlite: ";
  m.append(message);
  switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return Status::AlreadyExists(std::move(m));
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return Status::NotFound(std::move(m));
    default:
      break;
  }
  switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
      return Status::Ok();
    case SQLITE_CONSTRAINT:
      return Status::InvalidArgument(std::move(m));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Unavailable(std::move(m));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::DataLoss(std::move(m));
    default:
      return Status::Internal(std::move(m));
  }
}

// --- Statement ---

Statement::Statement(Db* db, sqlite3_stmt* stmt, std::string sql)
    : db_(db), stmt_(stmt), sql_(std::move(sql)) {}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)), sql_(std::move(other.sql_)) {}

Statement::~Statement() {
  if (stmt_ != nullptr) db_->give_back(std::move(sql_), stmt_);
}

Status Statement::check_bind(int rc) {
  return rc == SQLITE_OK ? Status::Ok() : db_->last_error(rc);
}

Status Statement::bind_one(int index, std::nullptr_t) {
  return check_bind(sqlite3_bind_null(stmt_, index));
}

Status Statement::bind_one(int index, int64_t v) {
  return check_bind(sqlite3_bind_int64(stmt_, index, v));
}

Status Statement::bind_one(int index, double v) {
  return check_bind(sqlite3_bind_double(stmt_, index, v));
}

Status Statement::bind_one(int index, std::string_view v) {
  return check_bind(sqlite3_bind_text64(stmt_, index, v.data(), v.size(), SQLITE_TRANSIENT,
                                        SQLITE_UTF8));
}

Result<bool> Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->last_error(rc);
}

Status Statement::run() {
  while (true) {
    TEAMVL_ASSIGN_OR_RETURN(bool row, step());
    if (!row) return Status::Ok();
  }
}

int64_t Statement::int64(int col) const { return sqlite3_column_int64(stmt_, col); }

double Statement::real(int col) const { return sqlite3_column_double(stmt_, col); }

bool Statement::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

std::string Statement::text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  if (p == nullptr) return {};
  return std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

std::optional<int64_t> Statement::opt_int64(int col) const {
  if (is_null(col)) return std::nullopt;
  return int64(col);
}

std::optional<double> Statement::opt_real(int col) const {
  if (is_null(col)) return std::nullopt;
  return real(col);
}

// --- Db ---

namespace {

// Runs a pragma that answers one row and returns its first column as text.
Result<std::string> pragma_value(Db& db, std::string_view sql) {
  TEAMVL_ASSIGN_OR_RETURN(Statement stmt, db.prepare(sql));
  TEAMVL_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return Status::Internal("sqlite: no answer to " + std::string(sql));
  return stmt.text(0);
}

bool only_space(const char* p) {
  for (; p != nullptr && *p != '\0'; ++p) {
    if (!std::isspace(static_cast<unsigned char>(*p))) return false;
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<Db>> Db::open(const std::string& path, const DbOptions& options) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                 nullptr);
  if (rc != SQLITE_OK) {
    Status st = status_from_sqlite(rc, raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
    sqlite3_close(raw);
    return Status(st.code(), st.message() + " (opening " + path + ")");
  }
  std::unique_ptr<Db> db(new Db(raw));
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);

  // The first statement reads the file header: a file that is not a
  // database fails here with DataLoss.
  TEAMVL_ASSIGN_OR_RETURN(std::string mode, pragma_value(*db, "PRAGMA journal_mode=WAL"));
  const bool in_memory = path.empty() || path == ":memory:";
  if (mode != "wal" && !in_memory) {
    return Status::Internal("sqlite: could not turn on WAL for " + path + " (journal mode is " +
                            mode + ")");
  }
  TEAMVL_RETURN_IF_ERROR(db->exec("PRAGMA foreign_keys=ON"));
  TEAMVL_ASSIGN_OR_RETURN(std::string fk, pragma_value(*db, "PRAGMA foreign_keys"));
  if (fk != "1") return Status::Internal("sqlite: foreign keys are not supported by this build");
  // FULL: a commit that returned survives a power loss, not only a crash.
  TEAMVL_RETURN_IF_ERROR(db->exec(options.sync_every_commit ? "PRAGMA synchronous=FULL"
                                                            : "PRAGMA synchronous=NORMAL"));
  return db;
}

Db::~Db() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  cache_.clear();
  sqlite3_close_v2(db_);
}

Result<Statement> Db::prepare(std::string_view sql) {
  if (auto it = cache_.find(sql); it != cache_.end()) {
    sqlite3_stmt* stmt = it->second;
    cache_.erase(it);
    return Statement(this, stmt, std::string(sql));
  }
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
  if (rc != SQLITE_OK) return last_error(rc);
  if (stmt == nullptr) return Status::Internal("sqlite: empty statement");
  const std::string rest(tail, sql.data() + sql.size() - tail);
  if (!only_space(rest.c_str())) {
    sqlite3_finalize(stmt);
    return Status::Internal("sqlite: one statement expected, found more: " + std::string(sql));
  }
  return Statement(this, stmt, std::string(sql));
}

void Db::give_back(std::string sql, sqlite3_stmt* stmt) {
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  cache_.emplace(std::move(sql), stmt);
}

Status Db::exec_script(const std::string& sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return Status::Ok();
  Status st = status_from_sqlite(sqlite3_extended_errcode(db_),
                                 err != nullptr ? err : sqlite3_errstr(rc));
  sqlite3_free(err);
  return st;
}

int64_t Db::changes() const { return sqlite3_changes64(db_); }

int64_t Db::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

Status Db::last_error(int rc) const {
  // sqlite3_errmsg describes the most recent failure on this connection; the
  // code passed in is the one the failing call returned.
  return status_from_sqlite(rc, sqlite3_errmsg(db_));
}

Status Db::transaction(const std::function<Status()>& fn) {
  const int depth = depth_;
  const std::string savepoint = "sp" + std::to_string(depth);
  TEAMVL_RETURN_IF_ERROR(depth == 0 ? exec("BEGIN IMMEDIATE") : exec("SAVEPOINT " + savepoint));
  ++depth_;
  Status st;
  try {
    st = fn();
  } catch (...) {
    --depth_;
    (void)rollback(depth);
    throw;
  }
  --depth_;
  if (!st.ok()) {
    Status rb = rollback(depth);
    if (!rb.ok()) log_warn("store", "rollback failed: " + rb.to_string());
    return st;
  }
  Status done = depth == 0 ? exec("COMMIT") : exec("RELEASE " + savepoint);
  if (!done.ok()) (void)rollback(depth);
  return done;
}

Status Db::rollback(int depth) {
  // After some errors (disk full, I/O) SQLite has already rolled the whole
  // transaction back; then there is nothing left to undo here.
  if (sqlite3_get_autocommit(db_)) return Status::Ok();
  if (depth == 0) return exec("ROLLBACK");
  const std::string savepoint = "sp" + std::to_string(depth);
  TEAMVL_RETURN_IF_ERROR(exec("ROLLBACK TO " + savepoint));
  return exec("RELEASE " + savepoint);
}

}  // namespace teamvl::store::sqlite
