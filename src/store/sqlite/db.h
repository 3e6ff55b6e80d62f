// A thin layer over one sqlite3 connection: opening with the pragmas the
// store relies on, prepared statements with bound parameters (cached per SQL
// text), nested transactions, and the mapping of SQLite result codes to
// Status. Internal to store/sqlite; nothing here appears in store.h.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "base/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace teamvl::store::sqlite {

class Db;

// Maps an SQLite (extended) result code to a Status: unique/primary-key
// violations -> AlreadyExists, foreign-key violations -> NotFound, other
// constraint violations -> InvalidArgument, busy/locked -> Unavailable,
// corrupt or not-a-database -> DataLoss, anything else -> Internal.
Status status_from_sqlite(int rc, std::string_view message);

// One prepared statement, borrowed from its Db's cache and given back (reset,
// bindings cleared) when destroyed. Move-only; must not outlive its Db. Not
// thread-safe: used by the thread that holds the store's lock.
class Statement {
 public:
  Statement(Db* db, sqlite3_stmt* stmt, std::string sql);
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  ~Statement();

  // Binds parameters 1..n in order. Supported: integers, bool, double,
  // strings, nullptr (NULL) and std::optional of those (nullopt -> NULL).
  template <typename... Args>
  Status bind(const Args&... args) {
    int index = 0;
    Status st;
    ((st.ok() ? (st = bind_one(++index, args), 0) : 0), ...);
    (void)index;
    return st;
  }

  // Binds one parameter (1-based), for statements whose parameter count
  // depends on the input (e.g. "IN (?, ?, ?)"). Same types as bind().
  template <typename T>
  Status bind_at(int index, const T& v) {
    return bind_one(index, v);
  }

  // Advances to the next row: true when a row is ready, false when done.
  Result<bool> step();
  // Steps until done, ignoring any rows.
  Status run();
  // Steps through every row, turning each into a value with read(*this).
  template <typename F>
  auto collect(F&& read) -> Result<std::vector<std::invoke_result_t<F&, const Statement&>>> {
    std::vector<std::invoke_result_t<F&, const Statement&>> out;
    while (true) {
      TEAMVL_ASSIGN_OR_RETURN(bool row, step());
      if (!row) return out;
      out.push_back(read(*this));
    }
  }

  // Column readers for the current row (0-based). NULL reads as 0 / "" /
  // nullopt.
  int64_t int64(int col) const;
  double real(int col) const;
  bool boolean(int col) const { return int64(col) != 0; }
  std::string text(int col) const;
  std::optional<int64_t> opt_int64(int col) const;
  std::optional<double> opt_real(int col) const;
  bool is_null(int col) const;

 private:
  Status bind_one(int index, std::nullptr_t);
  Status bind_one(int index, int64_t v);
  Status bind_one(int index, double v);
  Status bind_one(int index, std::string_view v);
  Status bind_one(int index, const std::string& v) { return bind_one(index, std::string_view(v)); }
  Status bind_one(int index, const char* v) { return bind_one(index, std::string_view(v)); }
  Status bind_one(int index, bool v) { return bind_one(index, int64_t{v ? 1 : 0}); }
  template <typename T>
    requires(std::is_integral_v<T> && !std::is_same_v<T, bool>)
  Status bind_one(int index, T v) {
    return bind_one(index, static_cast<int64_t>(v));
  }
  template <typename T>
  Status bind_one(int index, const std::optional<T>& v) {
    return v ? bind_one(index, *v) : bind_one(index, nullptr);
  }
  Status check_bind(int rc);

  Db* db_;
  sqlite3_stmt* stmt_;
  std::string sql_;
};

struct DbOptions {
  int busy_timeout_ms = 5000;  // how long a write waits for another writer
  // true: every commit is fsynced (survives power loss). false: WAL's
  // NORMAL mode, safe against process crashes, much faster commits.
  bool sync_every_commit = true;
};

// One open connection. Not thread-safe by itself: the owner serializes use
// (SqliteStore holds a recursive mutex around every call).
class Db {
 public:
  // Opens (creating) the file, turns on WAL, foreign keys, busy timeout and
  // the sync mode from options, and checks that it really is a database.
  static Result<std::unique_ptr<Db>> open(const std::string& path, const DbOptions& options);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // A statement for `sql` with its bindings cleared, from the cache when one
  // is free (so a statement in use can be prepared again by a nested call).
  Result<Statement> prepare(std::string_view sql);

  // Prepares, binds and runs a statement that returns no rows.
  template <typename... Args>
  Status exec(std::string_view sql, const Args&... args) {
    TEAMVL_ASSIGN_OR_RETURN(Statement stmt, prepare(sql));
    TEAMVL_RETURN_IF_ERROR(stmt.bind(args...));
    return stmt.run();
  }

  // Runs a script of several statements with no parameters (migrations).
  Status exec_script(const std::string& sql);

  // Rows changed by the last INSERT/UPDATE/DELETE, and the last rowid.
  int64_t changes() const;
  int64_t last_insert_rowid() const;

  // Runs fn in a transaction: BEGIN IMMEDIATE at the outermost level (so the
  // write lock is taken up front and busy_timeout applies), a SAVEPOINT when
  // nested. Commits when fn returns ok, rolls back otherwise (also when fn
  // throws, before the exception goes on).
  Status transaction(const std::function<Status()>& fn);
  bool in_transaction() const { return depth_ > 0; }

  // The last error on this connection as a Status (see status_from_sqlite).
  Status last_error(int rc) const;

  sqlite3* handle() const { return db_; }

 private:
  friend class Statement;
  explicit Db(sqlite3* db) : db_(db) {}
  void give_back(std::string sql, sqlite3_stmt* stmt);
  Status rollback(int depth);

  sqlite3* db_;
  std::multimap<std::string, sqlite3_stmt*, std::less<>> cache_;
  int depth_ = 0;
};

}  // namespace teamvl::store::sqlite
