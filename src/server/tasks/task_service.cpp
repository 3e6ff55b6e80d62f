#include "server/tasks/task_service.h"

#include <cstdlib>
#include <random>
#include <string_view>

#include "base/log.h"
#include "engine/multimodal/mm_prompt.h"

namespace teamvl::server {
namespace {

constexpr size_t kMaxChannels = 2000;  // finished tasks' histories kept for reconnects

const char* store_state(scheduler::Outcome o) {
  switch (o) {
    case scheduler::Outcome::kDone: return store::task_state::kDone;
    case scheduler::Outcome::kFailed: return store::task_state::kFailed;
    case scheduler::Outcome::kCancelled: return store::task_state::kCancelled;
    case scheduler::Outcome::kTimedOut: return store::task_state::kTimedOut;
  }
  return store::task_state::kFailed;
}

// Test hook: with TEAMVL_TEST_FAULTS=1 in the server's environment, a task
// whose text contains this marker fails its first attempt with an engine
// fault (scheduler::TaskSpec::inject_faults), so tests can watch the retry.
constexpr std::string_view kInjectFaultMarker = "[[inject-engine-fault]]";

bool wants_injected_fault(const TaskRequest& req) {
  static const bool enabled = [] {
    const char* v = std::getenv("TEAMVL_TEST_FAULTS");
    return v != nullptr && std::string_view(v) == "1";
  }();
  if (!enabled) return false;
  for (const auto& m : req.messages)
    if (m.content.find(kInjectFaultMarker) != std::string::npos) return true;
  return false;
}

}  // namespace

TaskService::TaskService(store::Store& store, engine::Engine& engine, scheduler::EngineLoop& loop,
                         const Clock& clock, TaskServiceConfig config, TaskImages* images)
    : store_(store), engine_(engine), loop_(loop), clock_(clock), config_(config), images_(images) {}

scheduler::MemberLimits TaskService::limits_for(int64_t user_id) {
  scheduler::MemberLimits l = loop_.member_limits(user_id);
  auto q = store_.get_quota(user_id);
  if (!q.ok()) return l;
  auto eff = scheduler::effective_quota(*q, config_.quota_defaults);
  l.max_concurrent = eff.max_concurrent;
  l.budget_bytes = static_cast<int64_t>(eff.memory_budget_gib * (1LL << 30));
  return l;
}

void TaskService::refresh_limits(int64_t user_id) { loop_.set_member_limits(user_id, limits_for(user_id)); }

Result<engine::Prompt> TaskService::build_prompt(const TaskRequest& req, int64_t user_id) const {
  // Where each image goes: a marker no member can type (a fresh random one
  // per prompt), so text that happens to contain "<__media__>" stays text.
  std::random_device rd;
  const std::string marker = "<__teamvl_image_" + std::to_string(rd()) + "_" + std::to_string(rd()) + "__>";
  std::vector<engine::ChatMessage> msgs;
  std::vector<engine::ImageEmbeddingPtr> images;
  for (const auto& m : req.messages) {
    engine::ChatMessage cm;
    cm.role = m.role;
    if (!m.file_ids.empty()) {
      if (!images_) return Status::FailedPrecondition("image input needs the vision projector (mmproj), which this server has not loaded");
      TEAMVL_ASSIGN_OR_RETURN(auto embedded, images_->embed(user_id, m.file_ids, req.max_image_side.value_or(0)));
      for (size_t i = 0; i < embedded.size(); ++i) cm.content += marker;
      images.insert(images.end(), embedded.begin(), embedded.end());
    }
    cm.content += m.content;
    msgs.push_back(std::move(cm));
  }
  std::string text = engine_.render_chat(msgs, true);
  if (images.empty()) {
    std::vector<int32_t> ids = engine_.tokenize(text, true);
    if (ids.empty()) return Status::InvalidArgument("the prompt is empty");
    return engine::Prompt(ids);
  }
  engine::MmPromptOptions options;
  options.marker = marker;
  auto mm = engine::build_mm_prompt(text, images, engine_.tokenizer(), options);
  if (!mm.ok()) {
    // A message that spells out the template's image placeholder adds a slot.
    return Status::InvalidArgument("the images do not fit the prompt: " + mm.status().message());
  }
  return mm->to_prompt();
}

std::shared_ptr<TaskChannel> TaskService::new_channel(int64_t task_id) {
  auto ch = std::make_shared<TaskChannel>();
  std::lock_guard<std::mutex> lock(mu_);
  channels_[task_id] = ch;
  while (channels_.size() > kMaxChannels) {
    auto oldest = channels_.begin();
    if (!oldest->second->finished()) break;
    channels_.erase(oldest);
  }
  return ch;
}

std::shared_ptr<TaskChannel> TaskService::channel(int64_t task_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = channels_.find(task_id);
  return it == channels_.end() ? nullptr : it->second;
}

Result<store::Task> TaskService::submit(const store::User& user, std::optional<int64_t> api_key_id,
                                        const std::string& kind, TaskRequest req,
                                        std::optional<scheduler::QuotaDenial>* denial) {
  if (req.session_id) {
    auto s = store_.get_chat_session(*req.session_id);
    if (!s.ok() || s->user_id != user.id) return Status::NotFound("no chat session with id " + std::to_string(*req.session_id));
  }
  TEAMVL_ASSIGN_OR_RETURN(store::Quota overrides, store_.get_quota(user.id));
  auto quota = scheduler::effective_quota(overrides, config_.quota_defaults);
  int priority = req.priority.value_or(static_cast<int>(quota.priority_ceiling));
  if (priority > quota.priority_ceiling)
    return Status::PermissionDenied("priority " + std::to_string(priority) + " is above your ceiling (" +
                                    std::to_string(quota.priority_ceiling) + "); an admin can raise it");
  req.priority = priority;
  // Text only: the prompt now. With files: their token count from the stored
  // sizes; the encoding happens after the task is accepted (a long PDF must
  // not hold the request, nor anybody else's).
  const bool has_files = req.file_count() > 0;
  std::optional<engine::Prompt> prompt;
  int64_t prompt_tokens = 0;
  if (has_files) {
    TEAMVL_ASSIGN_OR_RETURN(prompt_tokens, estimate_prompt_tokens(req, user.id));
  } else {
    TEAMVL_ASSIGN_OR_RETURN(prompt, build_prompt(req, user.id));
    prompt_tokens = prompt->size();
  }
  int64_t now = clock_.now_unix();

  refresh_limits(user.id);
  TEAMVL_RETURN_IF_ERROR(loop_.check_fits(user.id, prompt_tokens, req.max_tokens));

  store::Task task;
  task.user_id = user.id;
  task.kind = kind;
  task.state = store::task_state::kQueued;
  task.priority = priority;
  task.request_json = req.to_json().dump();
  task.input_tokens = prompt_tokens;
  task.max_attempts = config_.max_attempts;
  task.timeout_s = req.timeout_s.value_or(config_.default_timeout_s);
  task.session_id = req.session_id;
  task.api_key_id = api_key_id;
  task.label = req.label;
  // Quota check and the write are one transaction, so two requests racing
  // for the last inference of the day cannot both get it.
  Status st = store_.in_transaction([&]() -> Status {
    TEAMVL_ASSIGN_OR_RETURN(store::Usage today, store_.get_usage(user.id, scheduler::utc_day(now)));
    TEAMVL_ASSIGN_OR_RETURN(int64_t active, store_.count_active_tasks(user.id));
    // An accepted task counts against today's inferences from the start.
    store::Usage pending = today;
    TEAMVL_ASSIGN_OR_RETURN(auto queued_today, store_.list_tasks({user.id, {store::task_state::kQueued, store::task_state::kRunning}, 1000, std::nullopt}));
    pending.inferences += static_cast<int64_t>(queued_today.size());
    if (auto d = scheduler::check_submission(quota, pending, active, prompt_tokens + req.max_tokens, now)) {
      *denial = *d;
      return Status::ResourceExhausted(d->message);
    }
    TEAMVL_ASSIGN_OR_RETURN(task, store_.create_task(task));
    if (req.session_id) {
      store::ChatMessage user_msg;
      user_msg.session_id = *req.session_id;
      user_msg.role = "user";
      user_msg.content = req.messages.back().content;
      user_msg.file_ids = req.messages.back().file_ids;
      user_msg.task_id = task.id;
      TEAMVL_RETURN_IF_ERROR(store_.add_chat_message(user_msg).status());
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  if (!prompt) {
    prepare_then_enqueue(task, req);
    return task;
  }
  TEAMVL_RETURN_IF_ERROR(enqueue(task, req, prompt_tokens, std::move(*prompt)));
  return task;
}

Result<int64_t> TaskService::estimate_prompt_tokens(const TaskRequest& req, int64_t user_id) const {
  if (!images_) return Status::FailedPrecondition("image input needs the vision projector (mmproj), which this server has not loaded");
  std::vector<engine::ChatMessage> msgs;
  int64_t image_rows = 0;
  for (const auto& m : req.messages) {
    TEAMVL_ASSIGN_OR_RETURN(int64_t rows, images_->count_tokens(user_id, m.file_ids, req.max_image_side.value_or(0)));
    image_rows += rows;
    engine::ChatMessage cm;
    cm.role = m.role;
    cm.content = m.content;
    msgs.push_back(std::move(cm));
  }
  return static_cast<int64_t>(engine_.tokenize(engine_.render_chat(msgs, true), true).size()) + image_rows;
}

void TaskService::prepare_then_enqueue(const store::Task& task, const TaskRequest& req) {
  auto ch = channel(task.id);
  if (!ch) ch = new_channel(task.id);
  ch->publish("preparing", Json{{"files", req.file_count()}}.dump());
  prepare_.post([this, task, req, ch] {
    if (stopping_.load()) return;  // stays queued in the store: the next start prepares it
    auto prompt = build_prompt(req, task.user_id);
    std::lock_guard<std::mutex> lock(prepare_mu_);
    if (stopping_.load()) return;
    auto now = store_.get_task(task.id);
    if (!now.ok() || now->state != store::task_state::kQueued) return;  // cancelled meanwhile
    if (!prompt.ok()) {
      log_warn("tasks", "task " + std::to_string(task.id) + ": its images cannot be read: " + prompt.status().message());
      end_unqueued(task.id, store::task_state::kFailed, prompt.status());
      return;
    }
    const int64_t rows = prompt->size();
    (void)enqueue(task, req, rows, std::move(*prompt));  // a refusal is recorded by enqueue
  });
}

void TaskService::end_unqueued(int64_t task_id, const std::string& state, const Status& why) {
  store::TaskOutcome out;
  out.state = state;
  if (!why.ok()) {
    out.error_code = status_code_name(why.code());
    out.error_message = why.message();
  }
  (void)store_.finish_task(task_id, out);
  if (auto ch = channel(task_id)) {
    Json done{{"state", state}, {"reason", why.ok() ? state : why.message()}, {"text", ""}};
    if (!why.ok()) done["error"] = {{"code", out.error_code}, {"message", out.error_message}};
    ch->publish("done", done.dump(), true);
  }
}

void TaskService::stop() {
  stopping_.store(true);
  std::lock_guard<std::mutex> lock(prepare_mu_);  // a hand-over in progress ends first
}

Status TaskService::enqueue(const store::Task& task, const TaskRequest& req, int64_t prompt_tokens,
                            engine::Prompt prompt) {
  scheduler::TaskSpec spec;
  spec.task_id = task.id;
  spec.member = task.user_id;
  spec.priority = task.priority;
  spec.request.prompt = std::move(prompt);
  spec.request.sampling = req.sampling;
  spec.request.max_tokens = req.max_tokens;
  spec.request.stop = req.stop;
  spec.est_input_tokens = prompt_tokens;
  spec.timeout = std::chrono::seconds(task.timeout_s);
  spec.max_attempts = std::max(1, task.max_attempts);
  if (wants_injected_fault(req)) spec.inject_faults = 1;
  spec.limits = limits_for(task.user_id);
  auto ch = channel(task.id);  // the one a task with images was prepared under
  if (!ch) ch = new_channel(task.id);
  Status st = loop_.submit(std::move(spec), listener_for(task.id, task.session_id, ch));
  if (!st.ok()) {
    store::TaskOutcome out;
    out.state = store::task_state::kFailed;
    out.error_code = status_code_name(st.code());
    out.error_message = st.message();
    (void)store_.finish_task(task.id, out);
    ch->publish("error", Json{{"code", out.error_code}, {"message", st.message()}}.dump(), true);
    return st;
  }
  return Status::Ok();
}

scheduler::Listener TaskService::listener_for(int64_t task_id, std::optional<int64_t> session_id,
                                              std::shared_ptr<TaskChannel> ch) {
  scheduler::Listener l;
  l.on_queued = [ch](int64_t position, std::optional<double> eta) {
    ch->publish("queued", Json{{"position", position}, {"eta_seconds", eta ? Json(*eta) : Json(nullptr)}}.dump());
  };
  // The loop's thread calls these: stream events are published at once (in
  // the loop's order), store writes go to writes_ (in the same order).
  l.on_started = [this, task_id, ch](int attempt) {
    const int64_t now = clock_.now_unix();
    writes_.post([this, task_id, now] {
      auto t = store_.get_task(task_id);
      if (t.ok() && t->state == store::task_state::kQueued) (void)store_.mark_task_running(task_id, now);
    });
    ch->publish("started", Json{{"attempt", attempt}}.dump());
  };
  l.on_token = [ch](const std::string& text, int32_t n_output) {
    if (text.empty()) return;
    ch->append_text(text);
    ch->publish("token", Json{{"text", text}, {"n_output", n_output}}.dump());
  };
  l.on_preempted = [ch](const Status& why) { ch->publish("preempted", Json{{"message", why.message()}}.dump()); };
  l.on_retry = [this, task_id, ch](int attempt, const Status& why) {
    // Back to queued in the store (the failed start stays counted), so the
    // next start records attempt + 1 and a restart now would run it again.
    writes_.post([this, task_id] { (void)store_.requeue_task(task_id, store::RequeueReason::kRetry); });
    log_warn("tasks", "task " + std::to_string(task_id) + " attempt " + std::to_string(attempt) +
                          " hit an engine fault, retrying: " + why.message());
    ch->publish("retry", Json{{"attempt", attempt}, {"message", why.message()}}.dump());
  };
  // "done" is published after the end is written, so whoever sees it reads
  // the final state from the store.
  l.on_finished = [this, task_id, session_id, ch](const scheduler::TaskResult& r) {
    writes_.post([this, task_id, session_id, r, ch] { finish(task_id, session_id, r, ch); });
  };
  return l;
}

void TaskService::finish(int64_t task_id, std::optional<int64_t> session_id, const scheduler::TaskResult& r,
                         const std::shared_ptr<TaskChannel>& ch) {
  store::TaskOutcome out;
  out.state = store_state(r.outcome);
  out.result_text = ch->text();
  if (!r.error.ok()) {
    out.error_code = r.outcome == scheduler::Outcome::kTimedOut ? "timed_out" : status_code_name(r.error.code());
    out.error_message = r.error.message();
  }
  out.input_tokens = r.n_prompt;
  out.output_tokens = r.n_output;
  out.compute_seconds = r.compute_seconds;
  int64_t now = clock_.now_unix();
  Status st = store_.in_transaction([&]() -> Status {
    TEAMVL_ASSIGN_OR_RETURN(store::Task t, store_.get_task(task_id));
    TEAMVL_RETURN_IF_ERROR(store_.finish_task(task_id, out));
    store::Usage u;
    u.user_id = t.user_id;
    u.day = scheduler::utc_day(now);
    u.inferences = 1;
    u.input_tokens = r.n_prompt;
    u.output_tokens = r.n_output;
    u.compute_seconds = r.compute_seconds;
    TEAMVL_RETURN_IF_ERROR(store_.add_usage(u));
    if (session_id && r.outcome == scheduler::Outcome::kDone) {
      store::ChatMessage m;
      m.session_id = *session_id;
      m.role = "assistant";
      m.content = out.result_text;
      m.task_id = task_id;
      auto added = store_.add_chat_message(m);
      // The session may have been deleted meanwhile: the task still ends.
      if (!added.ok() && added.status().code() != StatusCode::kNotFound) return added.status();
    }
    return Status::Ok();
  });
  if (!st.ok()) log_error("tasks", "task " + std::to_string(task_id) + ": could not record its end: " + st.to_string());
  Json done{{"state", out.state},
            {"reason", r.reason},
            {"text", out.result_text},
            {"usage", {{"prompt_tokens", r.n_prompt}, {"completion_tokens", r.n_output},
                       {"total_tokens", r.n_prompt + r.n_output}}},
            {"compute_seconds", r.compute_seconds},
            {"queue_seconds", r.queue_seconds},
            {"attempts", r.attempts}};
  if (!r.error.ok()) done["error"] = {{"code", out.error_code}, {"message", out.error_message}};
  ch->publish("done", done.dump(), true);
}

Status TaskService::cancel(int64_t task_id) {
  std::lock_guard<std::mutex> lock(prepare_mu_);  // not while it is being handed to the loop
  Status st = loop_.cancel(task_id);
  writes_.drain();  // the cancelled end is in the store when this returns
  if (st.code() == StatusCode::kNotFound) {
    // Not in the loop (its images are being prepared, or it failed to
    // enqueue): end it in the store and on its stream.
    auto t = store_.get_task(task_id);
    if (t.ok() && !store::is_final_task_state(t->state)) {
      end_unqueued(task_id, store::task_state::kCancelled, Status::Ok());
      return Status::Ok();
    }
    return Status::FailedPrecondition("task " + std::to_string(task_id) + " has already ended");
  }
  return st;
}

Status TaskService::recover() {
  TEAMVL_ASSIGN_OR_RETURN(int requeued, store_.requeue_interrupted_tasks());
  TEAMVL_ASSIGN_OR_RETURN(auto queued, store_.list_tasks({std::nullopt, {store::task_state::kQueued}, 100000, std::nullopt}));
  std::reverse(queued.begin(), queued.end());  // oldest first: FIFO as they came
  int resumed = 0;
  for (const auto& t : queued) {
    Json j = Json::parse(t.request_json, nullptr, false);
    auto req = j.is_object() ? parse_task_request(j) : Result<TaskRequest>(Status::DataLoss("unreadable request"));
    if (req.ok() && req->file_count() > 0) {  // encoded in the background, as when it was submitted
      prepare_then_enqueue(t, *req);
      ++resumed;
      continue;
    }
    auto prompt = req.ok() ? build_prompt(*req, t.user_id) : Result<engine::Prompt>(req.status());
    Status st = prompt.ok() ? enqueue(t, *req, prompt->size(), std::move(prompt).value()) : prompt.status();
    if (!st.ok()) {
      log_warn("tasks", "task " + std::to_string(t.id) + " cannot run again: " + st.to_string());
      if (!prompt.ok()) {
        store::TaskOutcome out;
        out.state = store::task_state::kFailed;
        out.error_code = status_code_name(st.code());
        out.error_message = st.message();
        (void)store_.finish_task(t.id, out);
      }
      continue;
    }
    ++resumed;
  }
  if (requeued || resumed)
    log_info("tasks", "recovered " + std::to_string(resumed) + " queued task(s) (" + std::to_string(requeued) +
                          " were running when the server stopped)");
  return Status::Ok();
}

}  // namespace teamvl::server
