#include "store/sqlite/sqlite_store.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <utility>

#include "store/sqlite/migrations.h"

namespace teamvl::store {

Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path) {
  return sqlite::open_sqlite_store(path, sqlite::SqliteStoreOptions{});
}

namespace sqlite {

Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path,
                                                 const SqliteStoreOptions& options) {
  const Clock& clock = options.clock != nullptr ? *options.clock : Clock::real();
  DbOptions db_options;
  db_options.busy_timeout_ms = options.busy_timeout_ms;
  db_options.sync_every_commit = options.sync_every_commit;
  TEAMVL_ASSIGN_OR_RETURN(std::unique_ptr<Db> db, Db::open(path, db_options));
  TEAMVL_ASSIGN_OR_RETURN(int version,
                          apply_migrations(*db, sqlite_migrations(), clock.now_unix()));
  return std::unique_ptr<Store>(new SqliteStore(std::move(db), version, clock));
}

SqliteStore::SqliteStore(std::unique_ptr<Db> db, int schema_version, const Clock& clock)
    : db_(std::move(db)), schema_version_(schema_version), clock_(clock) {}

Status SqliteStore::in_transaction(const std::function<Status()>& fn) {
  Lock lock(mu_);
  return db_->transaction(fn);
}

int SqliteStore::schema_version() { return schema_version_; }

Status with_message(Status st, StatusCode code, const std::string& message) {
  if (st.code() == code) return Status(code, message);
  return st;
}

Status check_json_object(const std::string& json, const std::string& what) {
  size_t i = 0;
  while (i < json.size() && std::isspace(static_cast<unsigned char>(json[i]))) ++i;
  // A valid JSON text that starts with '{' is exactly one object.
  if (i < json.size() && json[i] == '{' && nlohmann::json::accept(json)) return Status::Ok();
  return Status::InvalidArgument(what + " must be a JSON object");
}

}  // namespace sqlite
}  // namespace teamvl::store
