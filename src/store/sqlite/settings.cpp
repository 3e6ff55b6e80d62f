// Team settings: a key -> JSON value table the admin edits at run time.
#include <nlohmann/json.hpp>

#include <string>

#include "store/sqlite/sqlite_store.h"

namespace teamvl::store::sqlite {

Result<std::map<std::string, std::string>> SqliteStore::get_team_settings() {
  Lock lock(mu_);
  TEAMVL_ASSIGN_OR_RETURN(Statement stmt,
                          db_->prepare("SELECT key, value FROM team_settings ORDER BY key"));
  std::map<std::string, std::string> settings;
  while (true) {
    TEAMVL_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) break;
    settings.emplace(stmt.text(0), stmt.text(1));
  }
  return settings;
}

Status SqliteStore::set_team_setting(const std::string& key, const std::string& json_value) {
  if (key.empty()) return Status::InvalidArgument("setting key must not be empty");
  if (!nlohmann::json::accept(json_value)) {
    return Status::InvalidArgument("value of setting '" + key + "' is not valid JSON");
  }
  Lock lock(mu_);
  return db_->exec(
      "INSERT INTO team_settings (key, value) VALUES (?, ?) "
      "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      key, json_value);
}

}  // namespace teamvl::store::sqlite
