#include "scheduler/engine_loop.h"

#include <algorithm>
#include <charconv>
#include <future>

namespace teamvl::scheduler {
namespace {

constexpr int64_t kRefreshMicros = 200'000;  // queue positions / team view refresh while busy

// Faults of the engine (worth retrying), as opposed to problems of the request.
bool is_engine_fault(const Status& s) {
  return s.code() == StatusCode::kInternal || s.code() == StatusCode::kDataLoss ||
         s.code() == StatusCode::kUnavailable;
}

bool valid_priority(int p) { return p >= 0 && p <= 3; }

std::optional<int64_t> parse_member(const std::string& owner) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(owner.data(), owner.data() + owner.size(), v);
  if (ec != std::errc() || p != owner.data() + owner.size()) return std::nullopt;
  return v;
}

}  // namespace

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::kDone: return "done";
    case Outcome::kFailed: return "failed";
    case Outcome::kCancelled: return "cancelled";
    case Outcome::kTimedOut: return "timed_out";
  }
  return "unknown";
}

// A task known to the loop, queued or running. Loop thread only.
struct EngineLoop::Task {
  TaskSpec spec;                       // the original request, for retries
  Listener listener;
  QueuedTask q;                        // as the queue knows it
  engine::GenerationRequest next;      // what the next start adds (original or resume)
  std::optional<engine::SeqId> seq;    // while in the runner
  int64_t need = 0;                    // KV bytes admission reserves for `next`
  int64_t submitted_us = 0;
  int64_t deadline_us = 0;             // 0: none
  int64_t first_start_us = 0;
  bool ever_started = false;
  int64_t run_start_us = 0;
  int64_t started_order = 0;
  int attempts = 0;
  bool new_attempt = true;             // the next start begins an attempt (not a resume)
  bool input_charged = false;
  int preemptions = 0;
  int32_t n_prompt = 0;                // the original prompt
  int32_t n_output = 0;                // tokens streamed to the listener
  int32_t run_tokens = 0;              // token events in the current run
  int32_t run_steps = 0;               // runner steps in the current run
  int32_t suppress = 0;                // tokens of a retry already streamed before
  bool prefill_done = false;           // the current run produced a token
  double compute_seconds = 0;
  int64_t last_position = -1;          // last position told to on_queued
};

EngineLoop::EngineLoop(engine::Engine& engine, EngineLoopOptions options)
    : engine_(engine),
      options_(std::move(options)),
      clock_(options_.clock ? *options_.clock : Clock::real()),
      geometry_{engine.kv_cache().block_bytes(), engine.kv_cache().config().block_size,
                engine.kv_cache().capacity_blocks(), engine.runner().config().n_ctx},
      queue_(options_.policy, clock_),
      admission_(geometry_, options_.max_users, engine.runner().config().max_sequences) {
  pub_stats_.policy = options_.policy;
  pub_team_.queue.policy = options_.policy;
}

EngineLoop::~EngineLoop() { stop(); }

void EngineLoop::start() {
  std::lock_guard lock(cmd_mu_);
  if (thread_.joinable() || stopped_) return;
  thread_ = std::thread([this] { run(); });
}

void EngineLoop::stop() {
  {
    std::lock_guard lock(cmd_mu_);
    if (stopped_) return;
    stopping_ = true;
    stopped_ = true;
  }
  cmd_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  // Free what the runner still holds; no callbacks after stop().
  for (auto& [id, t] : tasks_) {
    if (t->seq) (void)engine_.runner().cancel(*t->seq);
  }
  tasks_.clear();
  by_seq_.clear();
  std::lock_guard lock(cmd_mu_);
  commands_.clear();  // broken promises answer waiting cancel() calls
}

void EngineLoop::post(Command c) {
  {
    std::lock_guard lock(cmd_mu_);
    commands_.push_back(std::move(c));
  }
  cmd_cv_.notify_all();
}

MemberLimits EngineLoop::limits_for(int64_t member) const {
  std::lock_guard lock(limits_mu_);
  auto it = limits_.find(member);
  return it == limits_.end() ? options_.default_limits : it->second;
}

MemberLimits EngineLoop::member_limits(int64_t member) const { return limits_for(member); }

void EngineLoop::set_member_limits(int64_t member, const MemberLimits& limits) {
  {
    std::lock_guard lock(limits_mu_);
    limits_[member] = limits;
  }
  engine_.set_owner_budget(owner_of(member), limits.budget_bytes);
  const double w = limits.weight;
  post([this, member, w] {
    (void)queue_.set_weight(member, w);
    limits_changed_ = true;
    queue_changed_ = true;
  });
}

void EngineLoop::set_max_users(int32_t n) {
  post([this, n] {
    admission_.set_max_users(n);
    queue_changed_ = true;
  });
}

Status EngineLoop::check_fits(int64_t member, int64_t prompt_tokens, int64_t max_output_tokens) const {
  // Admission::check_fits reads only the immutable geometry: safe here.
  return admission_.check_fits(prompt_tokens, max_output_tokens, limits_for(member));
}

Status EngineLoop::submit(TaskSpec spec, Listener listener) {
  if (spec.request.prompt.empty()) return Status::InvalidArgument("the prompt is empty");
  if (!valid_priority(spec.priority)) {
    return Status::InvalidArgument("priority " + std::to_string(spec.priority) + " is outside 0..3");
  }
  if (spec.request.max_tokens < 0) return Status::InvalidArgument("max_tokens must be >= 0");
  if (spec.max_attempts < 1) return Status::InvalidArgument("max_attempts must be >= 1");
  if (spec.limits) {
    if (!(spec.limits->weight > 0)) return Status::InvalidArgument("fair-share weight must be positive");
    set_member_limits(spec.member, *spec.limits);
  }
  const int32_t n_prompt = spec.request.prompt.size();
  TEAMVL_RETURN_IF_ERROR(check_fits(spec.member, n_prompt, spec.request.max_tokens));
  {
    std::lock_guard lock(cmd_mu_);
    if (stopped_) return Status::FailedPrecondition("the engine loop has stopped");
  }
  {
    std::lock_guard lock(limits_mu_);
    if (!live_.emplace(spec.task_id, spec.member).second) {
      return Status::AlreadyExists("task " + std::to_string(spec.task_id) + " is already queued or running");
    }
  }
  auto t = std::make_shared<Task>();
  t->submitted_us = clock_.now_micros();
  if (spec.timeout.count() > 0) t->deadline_us = t->submitted_us + spec.timeout.count() * 1000;
  spec.request.owner = owner_of(spec.member);
  t->n_prompt = n_prompt;
  t->next = spec.request;
  t->need = admission_.need_bytes(n_prompt, spec.request.max_tokens);
  t->q = QueuedTask{spec.task_id, spec.member, spec.priority,
                    spec.est_input_tokens > 0 ? spec.est_input_tokens : n_prompt, spec.request.max_tokens,
                    t->submitted_us};
  t->spec = std::move(spec);
  t->listener = std::move(listener);
  post([this, t] {
    const int64_t id = t->spec.task_id;
    Status st = queue_.enqueue(t->q);
    if (!st.ok()) {  // cannot happen: ids are checked in live_
      std::lock_guard lock(limits_mu_);
      live_.erase(id);
      return;
    }
    (void)queue_.set_weight(t->spec.member, limits_for(t->spec.member).weight);
    tasks_[id] = std::make_unique<Task>(std::move(*t));
    queue_changed_ = true;
    new_tasks_ = true;
  });
  return Status::Ok();
}

Status EngineLoop::cancel(int64_t task_id) {
  {
    std::lock_guard lock(limits_mu_);
    if (!live_.count(task_id)) return Status::NotFound("task " + std::to_string(task_id) + " is not queued or running");
  }
  auto done = std::make_shared<std::promise<Status>>();
  std::future<Status> answer = done->get_future();
  auto apply = [this, task_id, done] {
    auto it = tasks_.find(task_id);
    if (it == tasks_.end()) {
      done->set_value(Status::NotFound("task " + std::to_string(task_id) + " is not queued or running"));
      return;
    }
    Task& t = *it->second;
    if (t.seq) {
      (void)engine_.runner().cancel(*t.seq);  // frees its blocks now
      end_run(t);
      queue_.finish(task_id);
    } else {
      queue_.remove(task_id);
    }
    TaskResult r;
    r.outcome = Outcome::kCancelled;
    r.reason = "cancelled";
    r.error = Status::Cancelled("cancelled");
    finish(task_id, std::move(r));
    done->set_value(Status::Ok());
  };
  bool wait = false;
  {
    std::lock_guard lock(cmd_mu_);
    if (stopped_) return Status::FailedPrecondition("the engine loop has stopped");
    commands_.push_back(std::move(apply));
    wait = thread_.joinable() && !on_loop_thread();
  }
  cmd_cv_.notify_all();
  if (!wait) return Status::Ok();
  try {
    return answer.get();
  } catch (const std::future_error&) {
    return Status::FailedPrecondition("the engine loop stopped before the cancel applied");
  }
}

Status EngineLoop::set_priority(int64_t task_id, int priority) {
  if (!valid_priority(priority)) {
    return Status::InvalidArgument("priority " + std::to_string(priority) + " is outside 0..3");
  }
  {
    std::lock_guard lock(limits_mu_);
    if (!live_.count(task_id)) return Status::NotFound("task " + std::to_string(task_id) + " is not queued or running");
  }
  post([this, task_id, priority] {
    auto it = tasks_.find(task_id);
    if (it == tasks_.end()) return;
    Task& t = *it->second;
    t.spec.priority = priority;
    t.q.priority = priority;
    if (queue_.is_queued(task_id)) (void)queue_.set_priority(task_id, priority);
    queue_changed_ = true;
  });
  return Status::Ok();
}

// --- the loop thread ---

void EngineLoop::run() {
  thread_id_ = std::this_thread::get_id();
  for (;;) {
    if (!drain_commands()) break;
    if (new_tasks_) {  // every new task hears its position before anything starts
      new_tasks_ = false;
      notify_positions();
    }
    enforce_timeouts();
    if (limits_changed_) fail_unfittable();
    admit();
    make_room();
    const bool busy = !engine_.runner().idle();
    if (busy) step_engine();
    refresh();
    if (busy) continue;
    // Idle: sleep until a command arrives. Wake up now and then to refresh the
    // stats, and often while deadlines are pending (an injected clock may move
    // without telling us).
    bool deadlines = false;
    for (const auto& [id, t] : tasks_) deadlines = deadlines || t->deadline_us > 0;
    std::unique_lock lock(cmd_mu_);
    cmd_cv_.wait_for(lock, std::chrono::milliseconds(deadlines ? 20 : 500),
                     [this] { return stopping_ || !commands_.empty(); });
  }
}

bool EngineLoop::drain_commands() {
  std::deque<Command> batch;
  {
    std::lock_guard lock(cmd_mu_);
    if (stopping_) return false;
    batch.swap(commands_);
  }
  for (Command& c : batch) c();
  return true;
}

int64_t EngineLoop::pool_free_blocks() const {
  const engine::KvPoolUsage u = engine_.pool_usage();
  int64_t free = u.capacity_blocks - u.used_blocks;  // cached blocks are evictable
  // Prompts admitted but not prefilled yet will take their blocks (counted
  // whole: a conservative double count of chunks already written).
  for (const auto& [seq, id] : by_seq_) {
    const Task& t = *tasks_.at(id);
    if (!t.prefill_done) free -= kv_blocks_for_tokens(geometry_, t.next.prompt.size());
  }
  return free;
}

void EngineLoop::admit() {
  if (queue_.queued_count() == 0) return;
  int64_t free_blocks = pool_free_blocks();
  auto verdict = [&](const QueuedTask& q) {
    const Task& t = *tasks_.at(q.task_id);
    const int64_t prompt_blocks = kv_blocks_for_tokens(geometry_, t.next.prompt.size());
    return admission_
        .decide(q.member, limits_for(q.member), t.need, prompt_blocks, free_blocks, admission_.running_tasks())
        .verdict;
  };
  while (auto q = queue_.pop(verdict)) {
    Task& t = *tasks_.at(q->task_id);
    const int64_t prompt_blocks = kv_blocks_for_tokens(geometry_, t.next.prompt.size());
    if (start_task(t)) free_blocks -= prompt_blocks;
  }
}

bool EngineLoop::start_task(Task& t) {
  const int64_t id = t.spec.task_id;
  const MemberLimits limits = limits_for(t.spec.member);
  engine_.set_owner_budget(owner_of(t.spec.member), limits.budget_bytes);
  auto seq = engine_.runner().add(t.next);
  if (!seq.ok()) {  // a problem of the request (bad ids, sampling values...)
    queue_.finish(id);
    TaskResult r;
    r.outcome = Outcome::kFailed;
    r.reason = seq.status().message();
    r.error = seq.status();
    finish(id, std::move(r));
    return false;
  }
  t.seq = *seq;
  by_seq_[*seq] = id;
  admission_.on_start(id, t.spec.member, t.need);
  t.started_order = ++start_counter_;
  t.run_start_us = clock_.now_micros();
  if (!t.ever_started) t.first_start_us = t.run_start_us;
  t.ever_started = true;
  t.run_tokens = 0;
  t.run_steps = 0;
  t.prefill_done = false;
  t.last_position = -1;
  if (!t.input_charged) {
    queue_.charge(t.spec.member, t.q.est_input_tokens, 0);
    t.input_charged = true;
  }
  if (t.new_attempt) {
    ++t.attempts;
    t.new_attempt = false;
  }
  queue_changed_ = true;
  if (t.listener.on_started) t.listener.on_started(t.attempts);
  return true;
}

void EngineLoop::make_room() {
  // Blocks the next step's decode tokens need: a decoding sequence whose K/V
  // length sits on a block boundary takes a new block.
  const int32_t bs = std::max<int32_t>(geometry_.block_size, 1);
  for (;;) {
    if (by_seq_.size() <= 1) return;
    int64_t need = 0;
    std::vector<RunningTask> running;
    for (const auto& [seq, id] : by_seq_) {
      const Task& t = *tasks_.at(id);
      if (t.prefill_done) {
        const int64_t kv_len = t.next.prompt.size() + t.run_tokens - 1;
        need += kv_len % bs == 0;
      }
      running.push_back(RunningTask{id, t.spec.member, t.spec.priority, queue_.counter(t.spec.member),
                                    t.started_order, t.run_steps > 0});
    }
    const engine::KvPoolUsage u = engine_.pool_usage();
    if (need <= u.capacity_blocks - u.used_blocks) return;
    auto victim = choose_victim(running, options_.policy);
    if (!victim) return;
    preempt(*tasks_.at(*victim),
            Status::ResourceExhausted("the KV cache is full: the member furthest over their fair share gives way"));
  }
}

void EngineLoop::preempt(Task& t, const Status& why) {
  auto resume = engine_.runner().preempt(*t.seq);
  end_run(t);
  ++t.preemptions;
  {
    std::lock_guard lock(pub_mu_);
    ++pub_stats_.preemptions;
  }
  requeue(t, resume.ok() ? std::move(resume).value() : t.next);
  if (t.listener.on_preempted) t.listener.on_preempted(why);
}

void EngineLoop::requeue(Task& t, engine::GenerationRequest next) {
  const int32_t generated = next.resume ? next.resume->n_generated : 0;
  t.next = std::move(next);
  t.need = admission_.need_bytes(t.next.prompt.size(), t.next.max_tokens - generated);
  t.q.priority = t.spec.priority;
  t.q.est_input_tokens = t.next.prompt.size();
  t.q.max_output_tokens = std::max(0, t.next.max_tokens - generated);
  (void)queue_.requeue_front(t.q);
  queue_changed_ = true;
  limits_changed_ = true;  // re-check that it still fits (a budget may have shrunk)
}

void EngineLoop::end_run(Task& t) {
  if (!t.seq) return;
  by_seq_.erase(*t.seq);
  t.seq.reset();
  admission_.on_end(t.spec.task_id);
  queue_changed_ = true;
}

void EngineLoop::step_engine() {
  engine::Runner& runner = engine_.runner();
  std::vector<engine::Event> events = runner.step();
  const engine::StepStats& st = runner.last_step();
  if (!by_seq_.empty()) {
    const double share = st.seconds / static_cast<double>(by_seq_.size());
    for (const auto& [seq, id] : by_seq_) {
      Task& t = *tasks_.at(id);
      t.compute_seconds += share;
      ++t.run_steps;
    }
  }
  for (engine::Event& e : events) handle_event(e);
  const int64_t now = clock_.now_micros();
  window_.push_back({now, st.seconds, st.n_decode + st.n_prefill, st.n_decode});
  const int64_t horizon = now - static_cast<int64_t>(options_.stats_window_seconds * 1e6);
  while (!window_.empty() && window_.front().at_us < horizon) window_.pop_front();
  {
    std::lock_guard lock(pub_mu_);
    ++pub_stats_.steps;
    pub_stats_.tokens_total += st.n_decode + st.n_prefill;
  }
  if (options_.on_step) options_.on_step(st);
}

void EngineLoop::handle_event(engine::Event& e) {
  auto it = by_seq_.find(e.seq);
  if (it == by_seq_.end()) return;  // cancelled or preempted by us already
  const int64_t id = it->second;
  Task& t = *tasks_.at(id);
  if (e.kind == engine::Event::Kind::kToken && t.attempts <= t.spec.inject_faults) {
    (void)engine_.runner().cancel(e.seq);  // frees its blocks, as a real fault would
    e.kind = engine::Event::Kind::kFinished;
    e.reason = engine::FinishReason::kError;
    e.error = Status::Internal("injected engine fault (TEAMVL_TEST_FAULTS)");
    e.n_generated = t.n_output;
  }
  if (e.kind == engine::Event::Kind::kToken) {
    ++t.run_tokens;
    t.prefill_done = true;
    queue_.charge(t.spec.member, 0, 1);
    if (t.suppress > 0) {
      --t.suppress;
      return;
    }
    ++t.n_output;
    if (t.listener.on_token) t.listener.on_token(e.text, t.n_output);
    return;
  }
  end_run(t);
  switch (e.reason) {
    case engine::FinishReason::kPreempted: {
      // The runner ran out of memory mid-step and handed this one back.
      ++t.preemptions;
      {
        std::lock_guard lock(pub_mu_);
        ++pub_stats_.preemptions;
      }
      requeue(t, e.resume ? *e.resume : t.next);
      if (t.listener.on_preempted) t.listener.on_preempted(e.error);
      return;
    }
    case engine::FinishReason::kError: {
      const bool fault = is_engine_fault(e.error);
      if (fault && t.attempts < t.spec.max_attempts) {
        t.suppress = t.n_output;
        t.new_attempt = true;
        requeue(t, t.spec.request);
        if (t.listener.on_retry) t.listener.on_retry(t.attempts, e.error);
        return;
      }
      queue_.finish(id);
      TaskResult r;
      r.outcome = Outcome::kFailed;
      r.reason = e.error.message();
      r.error = e.error;
      r.engine_fault = fault;
      r.n_reused = e.n_reused;
      r.n_output = e.n_generated;
      finish(id, std::move(r));
      return;
    }
    case engine::FinishReason::kCancelled: {
      queue_.finish(id);
      TaskResult r;
      r.outcome = Outcome::kCancelled;
      r.reason = "cancelled";
      r.error = Status::Cancelled("cancelled");
      finish(id, std::move(r));
      return;
    }
    default: {
      if (!e.text.empty() && t.listener.on_token) t.listener.on_token(e.text, t.n_output);
      queue_.finish(id);
      queue_.record_service_seconds(static_cast<double>(clock_.now_micros() - t.first_start_us) / 1e6);
      TaskResult r;
      r.outcome = Outcome::kDone;
      r.reason = engine::finish_reason_name(e.reason);
      r.n_reused = e.n_reused;
      r.n_output = std::max(e.n_generated, t.n_output);
      finish(id, std::move(r));
      return;
    }
  }
}

void EngineLoop::enforce_timeouts() {
  const int64_t now = clock_.now_micros();
  std::vector<int64_t> expired;
  for (const auto& [id, t] : tasks_) {
    if (t->deadline_us > 0 && now >= t->deadline_us) expired.push_back(id);
  }
  for (int64_t id : expired) {
    Task& t = *tasks_.at(id);
    if (t.seq) {
      (void)engine_.runner().cancel(*t.seq);
      end_run(t);
      queue_.finish(id);
    } else {
      queue_.remove(id);
    }
    const double limit_s = static_cast<double>(t.spec.timeout.count()) / 1000.0;
    TaskResult r;
    r.outcome = Outcome::kTimedOut;
    char buf[64];
    std::snprintf(buf, sizeof buf, "timed out after %.3g s (%s)", limit_s,
                  t.ever_started ? "while running" : "while queued");
    r.reason = buf;
    r.error = Status::DeadlineExceeded(r.reason);
    finish(id, std::move(r));
  }
}

void EngineLoop::finish(int64_t task_id, TaskResult r) {
  auto it = tasks_.find(task_id);
  if (it == tasks_.end()) return;
  std::unique_ptr<Task> t = std::move(it->second);
  tasks_.erase(it);
  {
    std::lock_guard lock(limits_mu_);
    live_.erase(task_id);
  }
  r.n_prompt = t->n_prompt;
  r.n_output = std::max(r.n_output, t->n_output);
  r.compute_seconds = t->compute_seconds;
  r.queue_seconds =
      static_cast<double>((t->ever_started ? t->first_start_us : clock_.now_micros()) - t->submitted_us) / 1e6;
  r.attempts = t->attempts;
  r.preemptions = t->preemptions;
  queue_changed_ = true;
  if (t->listener.on_finished) t->listener.on_finished(r);
}

void EngineLoop::refresh() {
  const int64_t now = clock_.now_micros();
  if (!queue_changed_ && now - last_refresh_us_ < kRefreshMicros) return;
  last_refresh_us_ = now;
  queue_changed_ = false;
  notify_positions();
  publish();
}

void EngineLoop::fail_unfittable() {
  // Limits changed: queued tasks that can no longer ever fit are refused now
  // rather than waiting forever.
  limits_changed_ = false;
  std::vector<std::pair<int64_t, Status>> refused;
  for (const auto& [id, t] : tasks_) {
    if (t->seq) continue;
    const int32_t generated = t->next.resume ? t->next.resume->n_generated : 0;
    Status st = admission_.check_fits(t->next.prompt.size(), t->next.max_tokens - generated,
                                      limits_for(t->spec.member));
    if (!st.ok()) refused.emplace_back(id, std::move(st));
  }
  for (auto& [id, st] : refused) {
    queue_.remove(id);
    TaskResult r;
    r.outcome = Outcome::kFailed;
    r.reason = st.message();
    r.error = std::move(st);
    finish(id, std::move(r));
  }
}

void EngineLoop::notify_positions() {
  if (queue_.queued_count() == 0) return;
  const auto positions = queue_.positions();
  const int64_t parallel = std::max<int64_t>(1, admission_.running_tasks());
  std::vector<std::pair<int64_t, int64_t>> changed;
  for (const auto& [id, pos] : positions) {
    Task& t = *tasks_.at(id);
    if (pos != t.last_position) {
      t.last_position = pos;
      changed.emplace_back(id, pos);
    }
  }
  std::sort(changed.begin(), changed.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
  for (const auto& [id, pos] : changed) {
    auto it = tasks_.find(id);
    if (it == tasks_.end() || !it->second->listener.on_queued) continue;
    it->second->listener.on_queued(pos, queue_.eta_seconds(pos, parallel));
  }
}

void EngineLoop::publish() {
  const int64_t now = clock_.now_micros();
  TeamView team;
  team.queue = queue_.snapshot();
  for (const auto& [seq, id] : by_seq_) {
    const Task& t = *tasks_.at(id);
    team.running.push_back(RunningView{id, t.spec.member, t.spec.priority, t.n_prompt, t.n_output,
                                       t.spec.request.max_tokens, t.run_start_us});
  }
  std::sort(team.running.begin(), team.running.end(),
            [](const RunningView& a, const RunningView& b) { return a.task_id < b.task_id; });

  double busy = 0, tokens = 0, decode = 0;
  for (const StepRecord& r : window_) {
    busy += r.seconds;
    tokens += static_cast<double>(r.tokens);
    decode += static_cast<double>(r.decode);
  }
  double span = options_.stats_window_seconds;
  if (!window_.empty()) {
    // Before a full window has passed, divide by the time actually covered.
    const double covered = static_cast<double>(now - window_.front().at_us) / 1e6 + window_.front().seconds;
    span = std::clamp(covered, 1e-3, options_.stats_window_seconds);
  }
  std::lock_guard lock(pub_mu_);
  pub_team_ = std::move(team);
  LoopStats& s = pub_stats_;
  s.policy = options_.policy;
  s.max_users = admission_.max_users();
  s.running_members = admission_.running_members();
  s.running_tasks = admission_.running_tasks();
  s.queued_tasks = static_cast<int32_t>(queue_.queued_count());
  s.busy_fraction = std::min(1.0, busy / span);
  s.tokens_per_second = tokens / span;
  s.decode_tokens_per_second = decode / span;
  s.members.clear();
  for (const MemberQueueView& m : pub_team_.queue.members) {
    MemberStats ms;
    ms.member = m.member;
    ms.running = static_cast<int32_t>(m.running.size());
    ms.queued = static_cast<int32_t>(m.queued.size());
    ms.reserved_bytes = admission_.reserved_bytes(m.member);
    ms.counter = m.counter;
    s.members.push_back(ms);
  }
}

LoopStats EngineLoop::stats() const {
  LoopStats s;
  {
    std::lock_guard lock(pub_mu_);
    s = pub_stats_;
  }
  // Memory comes live from the engine's accounting (safe from any thread).
  for (const engine::KvOwnerUsage& u : engine_.all_owner_usage()) {
    auto member = parse_member(u.owner);
    if (!member) continue;
    auto it = std::find_if(s.members.begin(), s.members.end(),
                           [&](const MemberStats& m) { return m.member == *member; });
    if (it == s.members.end()) {
      if (u.bytes == 0 && u.cached_bytes == 0) continue;
      s.members.push_back(MemberStats{});
      it = std::prev(s.members.end());
      it->member = *member;
    }
    it->kv_bytes = u.bytes;
    it->kv_cached_bytes = u.cached_bytes;
    it->kv_budget_bytes = u.budget_bytes;
  }
  std::sort(s.members.begin(), s.members.end(),
            [](const MemberStats& a, const MemberStats& b) { return a.member < b.member; });
  const engine::KvPoolUsage pool = engine_.pool_usage();
  s.kv_used_bytes = pool.used_blocks * pool.block_bytes;
  s.kv_capacity_bytes = pool.capacity_blocks * pool.block_bytes;
  return s;
}

TeamView EngineLoop::team_view() const {
  std::lock_guard lock(pub_mu_);
  return pub_team_;
}

}  // namespace teamvl::scheduler
