// Tasks: one row per inference and its state machine. Every transition is a
// single UPDATE guarded by the state it leaves, so two engine loops (or two
// processes) can never both start, or both finish, the same task.
#include <string>
#include <utility>

#include "store/sqlite/sqlite_store.h"

namespace teamvl::store::sqlite {

namespace {

constexpr const char* kTaskColumns =
    "SELECT id, user_id, kind, state, priority, request_json, result_text, error_code, "
    "error_message, input_tokens, image_tokens, output_tokens, attempts, max_attempts, "
    "timeout_s, session_id, api_key_id, label, created_at, started_at, finished_at, "
    "compute_seconds FROM tasks ";

Task read_task(const Statement& s) {
  Task t;
  t.id = s.int64(0);
  t.user_id = s.int64(1);
  t.kind = s.text(2);
  t.state = s.text(3);
  t.priority = static_cast<int>(s.int64(4));
  t.request_json = s.text(5);
  t.result_text = s.text(6);
  t.error_code = s.text(7);
  t.error_message = s.text(8);
  t.input_tokens = s.int64(9);
  t.image_tokens = s.int64(10);
  t.output_tokens = s.int64(11);
  t.attempts = static_cast<int>(s.int64(12));
  t.max_attempts = static_cast<int>(s.int64(13));
  t.timeout_s = s.int64(14);
  t.session_id = s.opt_int64(15);
  t.api_key_id = s.opt_int64(16);
  t.label = s.text(17);
  t.created_at = s.int64(18);
  t.started_at = s.int64(19);
  t.finished_at = s.int64(20);
  t.compute_seconds = s.real(21);
  return t;
}

std::string task_not_found(int64_t id) { return "no task with id " + std::to_string(id); }

Status check_counts(int64_t input, int64_t image, int64_t output, double compute_seconds) {
  // Written as a negation so that NaN is refused too.
  if (input < 0 || image < 0 || output < 0 || !(compute_seconds >= 0)) {
    return Status::InvalidArgument("task token counts and compute time must not be negative");
  }
  return Status::Ok();
}

Status check_new_task(const Task& t) {
  if (!is_task_kind(t.kind)) {
    return Status::InvalidArgument("unknown task kind '" + t.kind + "'");
  }
  if (t.state != task_state::kQueued) {
    return Status::InvalidArgument("a new task is queued, not '" + t.state + "'");
  }
  if (t.max_attempts < 1) return Status::InvalidArgument("max_attempts must be at least 1");
  if (t.timeout_s < 0) return Status::InvalidArgument("timeout_s must not be negative");
  TEAMVL_RETURN_IF_ERROR(check_counts(t.input_tokens, t.image_tokens, t.output_tokens, 0));
  if (!t.request_json.empty()) {
    TEAMVL_RETURN_IF_ERROR(check_json_object(t.request_json, "task request"));
  }
  return Status::Ok();
}

// Explains why an UPDATE guarded by the task's state changed nothing: the
// task is absent, or its state (read now) does not allow `action`.
Status explain_refusal(Db& db, int64_t id, const std::string& action) {
  TEAMVL_ASSIGN_OR_RETURN(Statement stmt, db.prepare("SELECT state FROM tasks WHERE id = ?"));
  TEAMVL_RETURN_IF_ERROR(stmt.bind(id));
  TEAMVL_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return Status::NotFound(task_not_found(id));
  return Status::FailedPrecondition("cannot " + action + " task " + std::to_string(id) +
                                    ": it is " + stmt.text(0));
}

// "(?, ?, ?)" with n placeholders.
std::string placeholders(size_t n) {
  std::string out = "(";
  for (size_t i = 0; i < n; ++i) out += i == 0 ? "?" : ", ?";
  return out + ")";
}

}  // namespace

Result<Task> SqliteStore::create_task(const Task& task) {
  TEAMVL_RETURN_IF_ERROR(check_new_task(task));
  Lock lock(mu_);
  Task out = task;
  if (out.request_json.empty()) out.request_json = "{}";
  if (out.created_at == 0) out.created_at = now();
  out.result_text.clear();
  out.error_code.clear();
  out.error_message.clear();
  out.attempts = 0;
  out.started_at = out.finished_at = 0;
  out.compute_seconds = 0;
  Status st = db_->exec(
      "INSERT INTO tasks (user_id, kind, state, priority, request_json, input_tokens, "
      "image_tokens, output_tokens, max_attempts, timeout_s, session_id, api_key_id, label, "
      "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      out.user_id, out.kind, out.state, out.priority, out.request_json, out.input_tokens,
      out.image_tokens, out.output_tokens, out.max_attempts, out.timeout_s, out.session_id,
      out.api_key_id, out.label, out.created_at);
  if (!st.ok()) {
    return with_message(std::move(st), StatusCode::kNotFound,
                        "no user with id " + std::to_string(task.user_id) +
                            " (or the task's chat session or API key does not exist)");
  }
  out.id = db_->last_insert_rowid();
  return out;
}

Result<Task> SqliteStore::get_task(int64_t id) {
  Lock lock(mu_);
  TEAMVL_ASSIGN_OR_RETURN(Statement stmt, db_->prepare(std::string(kTaskColumns) + "WHERE id = ?"));
  TEAMVL_RETURN_IF_ERROR(stmt.bind(id));
  TEAMVL_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return Status::NotFound(task_not_found(id));
  return read_task(stmt);
}

Result<std::vector<Task>> SqliteStore::list_tasks(const TaskFilter& filter) {
  if (filter.limit <= 0) return Status::InvalidArgument("task page size must be positive");
  for (const std::string& state : filter.states) {
    if (!is_task_state(state)) return Status::InvalidArgument("unknown task state '" + state + "'");
  }
  Lock lock(mu_);
  // Only the placeholders vary with the filter; every value is bound.
  std::string where;
  auto add = [&](const std::string& cond) { where += (where.empty() ? "WHERE " : "AND ") + cond; };
  if (filter.user_id) add("user_id = ? ");
  if (!filter.states.empty()) add("state IN " + placeholders(filter.states.size()) + " ");
  if (filter.before_id) add("id < ? ");
  TEAMVL_ASSIGN_OR_RETURN(Statement stmt, db_->prepare(std::string(kTaskColumns) + where +
                                                       "ORDER BY id DESC LIMIT ?"));
  int index = 0;
  if (filter.user_id) TEAMVL_RETURN_IF_ERROR(stmt.bind_at(++index, *filter.user_id));
  for (const std::string& state : filter.states) {
    TEAMVL_RETURN_IF_ERROR(stmt.bind_at(++index, state));
  }
  if (filter.before_id) TEAMVL_RETURN_IF_ERROR(stmt.bind_at(++index, *filter.before_id));
  TEAMVL_RETURN_IF_ERROR(stmt.bind_at(++index, filter.limit));
  return stmt.collect(read_task);
}

Status SqliteStore::mark_task_running(int64_t id, int64_t started_at) {
  Lock lock(mu_);
  TEAMVL_RETURN_IF_ERROR(db_->exec(
      "UPDATE tasks SET state = 'running', started_at = ?, attempts = attempts + 1 "
      "WHERE id = ? AND state = 'queued'",
      started_at != 0 ? started_at : now(), id));
  if (db_->changes() == 0) return explain_refusal(*db_, id, "start");
  return Status::Ok();
}

Status SqliteStore::finish_task(int64_t id, const TaskOutcome& o) {
  if (!is_final_task_state(o.state)) {
    return Status::InvalidArgument("a task finishes as done, failed, cancelled or timed_out, "
                                   "not '" + o.state + "'");
  }
  TEAMVL_RETURN_IF_ERROR(
      check_counts(o.input_tokens, o.image_tokens, o.output_tokens, o.compute_seconds));
  Lock lock(mu_);
  TEAMVL_RETURN_IF_ERROR(db_->exec(
      "UPDATE tasks SET state = ?, result_text = ?, error_code = ?, error_message = ?, "
      "input_tokens = ?, image_tokens = ?, output_tokens = ?, compute_seconds = ?, "
      "finished_at = ? WHERE id = ? AND state IN ('queued', 'running')",
      o.state, o.result_text, o.error_code, o.error_message, o.input_tokens, o.image_tokens,
      o.output_tokens, o.compute_seconds, o.finished_at != 0 ? o.finished_at : now(), id));
  if (db_->changes() == 0) return explain_refusal(*db_, id, "finish");
  return Status::Ok();
}

Status SqliteStore::requeue_task(int64_t id, RequeueReason reason) {
  Lock lock(mu_);
  // A preempted task did nothing wrong: the start it used is given back.
  const int64_t give_back = reason == RequeueReason::kPreempted ? 1 : 0;
  TEAMVL_RETURN_IF_ERROR(db_->exec(
      "UPDATE tasks SET state = 'queued', started_at = 0, attempts = attempts - ? "
      "WHERE id = ? AND state = 'running'",
      give_back, id));
  if (db_->changes() == 0) return explain_refusal(*db_, id, "requeue");
  return Status::Ok();
}

Result<int> SqliteStore::requeue_interrupted_tasks() {
  Lock lock(mu_);
  TEAMVL_RETURN_IF_ERROR(
      db_->exec("UPDATE tasks SET state = 'queued', started_at = 0 WHERE state = 'running'"));
  return static_cast<int>(db_->changes());
}

Result<int64_t> SqliteStore::count_active_tasks(int64_t user_id) {
  Lock lock(mu_);
  TEAMVL_ASSIGN_OR_RETURN(
      Statement stmt, db_->prepare("SELECT COUNT(*) FROM tasks WHERE user_id = ? AND "
                                   "state IN ('queued', 'running')"));
  TEAMVL_RETURN_IF_ERROR(stmt.bind(user_id));
  TEAMVL_ASSIGN_OR_RETURN(bool row, stmt.step());
  return row ? stmt.int64(0) : 0;
}

Status SqliteStore::set_task_priority(int64_t id, int priority) {
  Lock lock(mu_);
  TEAMVL_RETURN_IF_ERROR(db_->exec(
      "UPDATE tasks SET priority = ? WHERE id = ? AND state IN ('queued', 'running')", priority,
      id));
  if (db_->changes() == 0) return explain_refusal(*db_, id, "reprioritize");
  return Status::Ok();
}

}  // namespace teamvl::store::sqlite
