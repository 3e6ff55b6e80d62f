// Relay pipelines: definitions with their versions, runs and run items.
// Definitions and per-step results are JSON documents the pipelines module
// owns; here they are only checked to be the right JSON shape.
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "store/sqlite/sqlite_store.h"

namespace teamvl::store {

namespace sqlite {
namespace {

bool is_run_state(std::string_view s) {
  return s == run_state::kRunning || s == run_state::kPaused || is_final_run_state(s);
}

constexpr const char* kPipelineColumns =
    "SELECT id, owner_id, name, version, created_at, updated_at FROM pipelines ";
constexpr const char* kVersionColumns =
    "SELECT pipeline_id, version, definition_json, created_by, created_at FROM pipeline_versions ";
constexpr const char* kRunColumns =
    "SELECT id, pipeline_id, version, started_by, state, error, created_at, updated_at, finished_at "
    "FROM pipeline_runs ";
constexpr const char* kItemColumns =
    "SELECT id, run_id, position, name, folder, source_json, state, step_index, task_id, steps_json, "
    "updated_at FROM pipeline_run_items ";

Pipeline read_pipeline(const Statement& s) {
  Pipeline p;
  p.id = s.int64(0);
  p.owner_id = s.int64(1);
  p.name = s.text(2);
  p.version = s.int64(3);
  p.created_at = s.int64(4);
  p.updated_at = s.int64(5);
  return p;
}

PipelineVersion read_version(const Statement& s) {
  PipelineVersion v;
  v.pipeline_id = s.int64(0);
  v.version = s.int64(1);
  v.definition_json = s.text(2);
  v.created_by = s.int64(3);
  v.created_at = s.int64(4);
  return v;
}

PipelineRun read_run(const Statement& s) {
  PipelineRun r;
  r.id = s.int64(0);
  r.pipeline_id = s.int64(1);
  r.version = s.int64(2);
  r.started_by = s.int64(3);
  r.state = s.text(4);
  r.error = s.text(5);
  r.created_at = s.int64(6);
  r.updated_at = s.int64(7);
  r.finished_at = s.int64(8);
  return r;
}

RunItem read_item(const Statement& s) {
  RunItem i;
  i.id = s.int64(0);
  i.run_id = s.int64(1);
  i.position = s.int64(2);
  i.name = s.text(3);
  i.folder = s.text(4);
  i.source_json = s.text(5);
  i.state = s.text(6);
  i.step_index = s.int64(7);
  i.task_id = s.opt_int64(8);
  i.steps_json = s.text(9);
  i.updated_at = s.int64(10);
  return i;
}

Status check_json_array(const std::string& json, const std::string& what) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_array()) return Status::InvalidArgument(what + " must be a JSON array");
  return Status::Ok();
}

Status check_item(const RunItem& i) {
  if (!is_item_state(i.state)) return Status::InvalidArgument("unknown run item state '" + i.state + "'");
  if (i.step_index < 0) return Status::InvalidArgument("run item step_index must not be negative");
  TEAMVL_RETURN_IF_ERROR(check_json_array(i.steps_json, "run item steps_json"));
  return check_json_object(i.source_json.empty() ? "{}" : i.source_json, "run item source_json");
}

std::string pipeline_not_found(int64_t id) { return "no pipeline with id " + std::to_string(id); }
std::string name_taken(const std::string& name) { return "a pipeline named '" + name + "' already exists"; }

}  // namespace

Result<Pipeline> SqliteStore::create_pipeline(const Pipeline& p, const std::string& definition_json) {
  if (p.name.empty()) return Status::InvalidArgument("pipeline name must not be empty");
  TEAMVL_RETURN_IF_ERROR(check_json_object(definition_json, "pipeline definition"));
  Lock lock(mu_);
  Pipeline out = p;
  out.version = 1;
  if (out.created_at == 0) out.created_at = now();
  out.updated_at = out.created_at;
  TEAMVL_RETURN_IF_ERROR(db_->transaction([&]() -> Status {
    Status st = db_->exec(
        "INSERT INTO pipelines (owner_id, name, version, created_at, updated_at) VALUES (?, ?, 1, ?, ?)",
        out.owner_id, out.name, out.created_at, out.updated_at);
    if (!st.ok()) {
      st = with_message(std::move(st), StatusCode::kAlreadyExists, name_taken(p.name));
      return with_message(std::move(st), StatusCode::kNotFound, "no user with id " + std::to_string(p.owner_id));
    }
    out.id = db_->last_insert_rowid();
    return db_->exec(
        "INSERT INTO pipeline_versions (pipeline_id, version, definition_json, created_by, created_at) "
        "VALUES (?, 1, ?, ?, ?)",
        out.id, definition_json, out.owner_id, out.created_at);
  }));
  return out;
}

Result<Pipeline> SqliteStore::get_pipeline(int64_t id) {
  Lock lock(mu_);
  TEAMVL_ASSIGN_OR_RETURN(Statement stmt, db_->prepare(std::string(kPipelineColumns) + "WHERE id = ?"));
  TEAMVL_RETURN_IF_ERROR(stmt.bind(id));
  TEAMVL_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return Status::NotFound(pipeline_not_found(id));
  return read_pipeline(stmt);
}

Result<std::vector<Pipeline>> SqliteStore::list_pipelines() {
  Lock lock(mu_);
  TEAMVL_ASSIGN_OR_RETURN(Statement stmt, db_->prepare(std::string(kPipelineColumns) + "ORDER BY name, id"));
  return stmt.collect(read_pipeline);
}

Result<Pipeline> SqliteStore::add_pipeline_version(int64_t id, const std::string& name,
                                                   const std::string& definition_json, int64_t by) {
  if (name.empty()) return Status::InvalidArgument("pipeline name must not be empty");
  TEAMVL_RETURN_IF_ERROR(check_json_object(definition_json, "pipeline definition"));
  Lock lock(mu_);
  Pipeline out;
  TEAMVL_RETURN_IF_ERROR(db_->transaction([&]() -> Status {
    TEAMVL_ASSIGN_OR_RETURN(out, get_pipeline(id));
    out.version += 1;
    out.name = name;
    out.updated_at = now();
    Status st = db_->exec("UPDATE pipelines SET name = ?, version = ?, updated_at = ? WHERE id = ?", out.name,
                          out.version, out.updated_at, id);
    if (!st.ok()) return with_message(std::move(st), StatusCode::kAlreadyExists, name_taken(name));
    return db_->exec(
        "INSERT INTO pipeline_versions (pipeline_id, version, definition_json, created_by, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        id, out.version, definition_json, by, out.updated_at);
  }));
  return out;
}

Result<PipelineVersion> SqliteStore::get_pipeline_version(int64_t id, int64_t version) {
  Lock lock(mu_);
  TEAMVL_ASSIGN_OR_RETURN(Statement stmt,
                          db_->prepare(std::string(kVersionColumns) + "WHERE pipeline_id = ? AND version = ?"));
  TEAMVL_RETURN_IF_ERROR(stmt.bind(id, version));
  TEAMVL_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row)
    return Status::NotFound("pipeline " + std::to_string(id) + " has no version " + std::to_string(version));
  return read_version(stmt);
}

Result<std::vector<PipelineVersion>> SqliteStore::list_pipeline_versions(int64_t id) {
  Lock lock(mu_);
  TEAMVL_ASSIGN_OR_RETURN(Statement stmt,
                          db_->prepare(std::string(kVersionColumns) + "WHERE pipeline_id = ? ORDER BY version"));
  TEAMVL_RETURN_IF_ERROR(stmt.bind(id));
  return stmt.collect(read_version);
}

Status SqliteStore::delete_pipeline(int64_t id) {
  Lock lock(mu_);
  return db_->transaction([&]() -> Status {
    // Runs name a version, so they go first; versions and items cascade.
    TEAMVL_RETURN_IF_ERROR(db_->exec("DELETE FROM pipeline_runs WHERE pipeline_id = ?", id));
    TEAMVL_RETURN_IF_ERROR(db_->exec("DELETE FROM pipelines WHERE id = ?", id));
    if (db_->changes() == 0) return Status::NotFound(pipeline_not_found(id));
    return Status::Ok();
  });
}

Result<PipelineRun> SqliteStore::create_run(const PipelineRun& run, std::vector<RunItem>* items) {
  if (!is_run_state(run.state)) return Status::InvalidArgument("unknown run state '" + run.state + "'");
  for (const auto& i : *items) TEAMVL_RETURN_IF_ERROR(check_item(i));
  Lock lock(mu_);
  PipelineRun out = run;
  if (out.created_at == 0) out.created_at = now();
  out.updated_at = out.created_at;
  TEAMVL_RETURN_IF_ERROR(db_->transaction([&]() -> Status {
    Status st = db_->exec(
        "INSERT INTO pipeline_runs (pipeline_id, version, started_by, state, error, created_at, updated_at, "
        "finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
        out.pipeline_id, out.version, out.started_by, out.state, out.error, out.created_at, out.updated_at);
    if (!st.ok())
      return with_message(std::move(st), StatusCode::kNotFound,
                          "no pipeline version " + std::to_string(out.pipeline_id) + "/" +
                              std::to_string(out.version) + " or no user " + std::to_string(out.started_by));
    out.id = db_->last_insert_rowid();
    for (auto& i : *items) {
      i.run_id = out.id;
      i.updated_at = out.created_at;
      Status ist = db_->exec(
          "INSERT INTO pipeline_run_items (run_id, position, name, folder, source_json, state, step_index, "
          "task_id, steps_json, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          i.run_id, i.position, i.name, i.folder, i.source_json.empty() ? "{}" : i.source_json, i.state,
          i.step_index, i.task_id, i.steps_json, i.updated_at);
      if (!ist.ok())
        return with_message(std::move(ist), StatusCode::kAlreadyExists,
                            "two items of the run share the folder '" + i.folder + "'");
      i.id = db_->last_insert_rowid();
    }
    return Status::Ok();
  }));
  return out;
}

Result<PipelineRun> SqliteStore::get_run(int64_t id) {
  Lock lock(mu_);
  TEAMVL_ASSIGN_OR_RETURN(Statement stmt, db_->prepare(std::string(kRunColumns) + "WHERE id = ?"));
  TEAMVL_RETURN_IF_ERROR(stmt.bind(id));
  TEAMVL_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return Status::NotFound("no run with id " + std::to_string(id));
  return read_run(stmt);
}

Result<std::vector<PipelineRun>> SqliteStore::list_runs(std::optional<int64_t> pipeline_id,
                                                        const std::vector<std::string>& states, int limit) {
  if (limit <= 0) return Status::InvalidArgument("limit must be positive");
  for (const auto& s : states)
    if (!is_run_state(s)) return Status::InvalidArgument("unknown run state '" + s + "'");
  std::string sql = std::string(kRunColumns) + "WHERE (? IS NULL OR pipeline_id = ?)";
  if (!states.empty()) {
    sql += " AND state IN (";
    for (size_t i = 0; i < states.size(); ++i) sql += i ? ", ?" : "?";
    sql += ")";
  }
  sql += " ORDER BY id DESC LIMIT ?";
  Lock lock(mu_);
  TEAMVL_ASSIGN_OR_RETURN(Statement stmt, db_->prepare(sql));
  int at = 1;
  TEAMVL_RETURN_IF_ERROR(stmt.bind_at(at++, pipeline_id));
  TEAMVL_RETURN_IF_ERROR(stmt.bind_at(at++, pipeline_id));
  for (const auto& s : states) TEAMVL_RETURN_IF_ERROR(stmt.bind_at(at++, s));
  TEAMVL_RETURN_IF_ERROR(stmt.bind_at(at++, limit));
  return stmt.collect(read_run);
}

Status SqliteStore::set_run_state(int64_t id, const std::string& state, const std::string& error) {
  if (!is_run_state(state)) return Status::InvalidArgument("unknown run state '" + state + "'");
  Lock lock(mu_);
  int64_t t = now();
  TEAMVL_RETURN_IF_ERROR(db_->exec(
      "UPDATE pipeline_runs SET state = ?, error = ?, updated_at = ?, finished_at = ? WHERE id = ?", state, error,
      t, is_final_run_state(state) ? t : 0, id));
  if (db_->changes() == 0) return Status::NotFound("no run with id " + std::to_string(id));
  return Status::Ok();
}

Result<RunItem> SqliteStore::get_run_item(int64_t id) {
  Lock lock(mu_);
  TEAMVL_ASSIGN_OR_RETURN(Statement stmt, db_->prepare(std::string(kItemColumns) + "WHERE id = ?"));
  TEAMVL_RETURN_IF_ERROR(stmt.bind(id));
  TEAMVL_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return Status::NotFound("no run item with id " + std::to_string(id));
  return read_item(stmt);
}

Result<std::vector<RunItem>> SqliteStore::list_run_items(int64_t run_id) {
  Lock lock(mu_);
  TEAMVL_ASSIGN_OR_RETURN(Statement stmt,
                          db_->prepare(std::string(kItemColumns) + "WHERE run_id = ? ORDER BY position, id"));
  TEAMVL_RETURN_IF_ERROR(stmt.bind(run_id));
  return stmt.collect(read_item);
}

Status SqliteStore::update_run_item(const RunItem& item) {
  TEAMVL_RETURN_IF_ERROR(check_item(item));
  Lock lock(mu_);
  TEAMVL_RETURN_IF_ERROR(db_->exec(
      "UPDATE pipeline_run_items SET state = ?, step_index = ?, task_id = ?, steps_json = ?, updated_at = ? "
      "WHERE id = ?",
      item.state, item.step_index, item.task_id, item.steps_json, now(), item.id));
  if (db_->changes() == 0) return Status::NotFound("no run item with id " + std::to_string(item.id));
  return Status::Ok();
}

}  // namespace sqlite
}  // namespace teamvl::store
