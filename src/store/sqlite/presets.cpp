// Parameter presets: named JSON objects of sampling parameters, per member.
#include <string>
#include <utility>

#include "store/sqlite/sqlite_store.h"

namespace teamvl::store::sqlite {

namespace {

constexpr const char* kPresetColumns =
    "SELECT id, user_id, name, params_json, created_at, updated_at FROM presets ";

Preset read_preset(const Statement& s) {
  Preset p;
  p.id = s.int64(0);
  p.user_id = s.int64(1);
  p.name = s.text(2);
  p.params_json = s.text(3);
  p.created_at = s.int64(4);
  p.updated_at = s.int64(5);
  return p;
}

// Checks name and params and returns the params to store ("" -> "{}").
Result<std::string> checked_params(const Preset& p) {
  if (p.name.empty()) return Status::InvalidArgument("preset name must not be empty");
  if (p.params_json.empty()) return std::string("{}");
  TEAMVL_RETURN_IF_ERROR(check_json_object(p.params_json, "preset parameters"));
  return p.params_json;
}

std::string name_taken(const std::string& name) {
  return "you already have a preset named '" + name + "'";
}

std::string preset_not_found(int64_t id) { return "no preset with id " + std::to_string(id); }

}  // namespace

Result<Preset> SqliteStore::create_preset(const Preset& p) {
  TEAMVL_ASSIGN_OR_RETURN(std::string params, checked_params(p));
  Lock lock(mu_);
  Preset out = p;
  out.params_json = std::move(params);
  if (out.created_at == 0) out.created_at = now();
  if (out.updated_at == 0) out.updated_at = out.created_at;
  Status st = db_->exec(
      "INSERT INTO presets (user_id, name, params_json, created_at, updated_at) "
      "VALUES (?, ?, ?, ?, ?)",
      out.user_id, out.name, out.params_json, out.created_at, out.updated_at);
  if (!st.ok()) {
    st = with_message(std::move(st), StatusCode::kAlreadyExists, name_taken(p.name));
    return with_message(std::move(st), StatusCode::kNotFound,
                        "no user with id " + std::to_string(p.user_id));
  }
  out.id = db_->last_insert_rowid();
  return out;
}

Result<Preset> SqliteStore::get_preset(int64_t id) {
  Lock lock(mu_);
  TEAMVL_ASSIGN_OR_RETURN(Statement stmt,
                          db_->prepare(std::string(kPresetColumns) + "WHERE id = ?"));
  TEAMVL_RETURN_IF_ERROR(stmt.bind(id));
  TEAMVL_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return Status::NotFound(preset_not_found(id));
  return read_preset(stmt);
}

Result<std::vector<Preset>> SqliteStore::list_presets(int64_t user_id) {
  Lock lock(mu_);
  TEAMVL_ASSIGN_OR_RETURN(Statement stmt, db_->prepare(std::string(kPresetColumns) +
                                                       "WHERE user_id = ? ORDER BY name, id"));
  TEAMVL_RETURN_IF_ERROR(stmt.bind(user_id));
  return stmt.collect(read_preset);
}

Status SqliteStore::update_preset(const Preset& p) {
  TEAMVL_ASSIGN_OR_RETURN(std::string params, checked_params(p));
  Lock lock(mu_);
  Status st = db_->exec(
      "UPDATE presets SET name = ?, params_json = ?, updated_at = ? WHERE id = ?", p.name,
      params, now(), p.id);
  if (!st.ok()) return with_message(std::move(st), StatusCode::kAlreadyExists, name_taken(p.name));
  if (db_->changes() == 0) return Status::NotFound(preset_not_found(p.id));
  return Status::Ok();
}

Status SqliteStore::delete_preset(int64_t id) {
  Lock lock(mu_);
  TEAMVL_RETURN_IF_ERROR(db_->exec("DELETE FROM presets WHERE id = ?", id));
  if (db_->changes() == 0) return Status::NotFound(preset_not_found(id));
  return Status::Ok();
}

}  // namespace teamvl::store::sqlite
