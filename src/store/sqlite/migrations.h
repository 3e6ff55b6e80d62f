// Numbered schema migrations for the SQLite store. The list is data: each
// entry is one SQL script, applied in its own transaction and recorded in
// `schema_migrations`, so opening a database brings it up to date and
// opening it again changes nothing. Adding a table is appending an entry.
#pragma once

#include <cstdint>
#include <span>

#include "base/status.h"
#include "store/sqlite/db.h"

namespace teamvl::store::sqlite {

struct Migration {
  int version;        // 1, 2, 3, ... without gaps
  const char* name;   // short description, recorded with the version
  const char* sql;    // one or more statements, no parameters
};

// The store's migrations, oldest first.
std::span<const Migration> sqlite_migrations();

// Brings `db` up to the last version of `migrations` and returns that
// version. Each pending migration runs in one transaction (BEGIN IMMEDIATE,
// so two processes opening the same file do not both apply it). A database
// whose version is newer than the list is refused with FailedPrecondition;
// a list that is not numbered 1..n is refused with Internal.
Result<int> apply_migrations(Db& db, std::span<const Migration> migrations, int64_t now_unix);

// The highest version recorded in `schema_migrations` (0 for a new file).
Result<int> current_schema_version(Db& db);

}  // namespace teamvl::store::sqlite
