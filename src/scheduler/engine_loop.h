// The engine loop: one thread that owns the engine's runner and decides, step
// by step, which queued tasks start (FairQueue order + Admission rules), steps
// the continuous-batching runner, charges fair-share counters with the tokens
// processed, streams events to each task's Listener, enforces timeouts,
// preempts when the shared KV pool runs out (the member furthest over their
// fair share gives way; the task is re-queued, never dropped), and retries
// engine faults when the task allows it.
//
// Threading: every public method is safe from any thread. Listener callbacks
// run on the loop thread, one at a time, with no lock held: they must not
// block or throw, but may call back into the loop (submit, cancel, stats...;
// not stop()).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "engine/engine.h"
#include "scheduler/admission.h"
#include "scheduler/fair_queue.h"

namespace teamvl::scheduler {

// One inference to run. The loop sets request.owner to the member id (the
// engine's memory-accounting tag).
struct TaskSpec {
  int64_t task_id = 0;                  // unique among tasks not yet finished
  int64_t member = 0;                   // user id
  int priority = 1;                     // 0..3; the caller applies the member's ceiling
  engine::GenerationRequest request;
  int64_t est_input_tokens = 0;         // for fair-share accounting; 0: the prompt's size
  std::chrono::milliseconds timeout{0}; // from submission, queueing included; 0: none
  int max_attempts = 1;                 // runs allowed when the engine faults (>= 1)
  std::optional<MemberLimits> limits;   // the member's current limits; else the last set, else the defaults
  // Test hook (servers started with TEAMVL_TEST_FAULTS=1): the first this
  // many attempts fail with an engine fault after their first token, so the
  // retry path runs through the real loop. Always 0 in normal operation.
  int inject_faults = 0;
};

enum class Outcome { kDone, kFailed, kCancelled, kTimedOut };
const char* outcome_name(Outcome o);  // "done" | "failed" | "cancelled" | "timed_out"

// How a task ended.
struct TaskResult {
  Outcome outcome = Outcome::kDone;
  std::string reason;              // kDone: "eog" | "stop" | "length" | "context"; else why, for people
  Status error;                    // kFailed/kTimedOut/kCancelled: the cause
  bool engine_fault = false;       // kFailed because of the engine, not the request
  int32_t n_prompt = 0;            // prompt tokens (image tokens included)
  int32_t n_reused = 0;            // of which served from the prefix cache (last attempt)
  int32_t n_output = 0;            // tokens generated
  double compute_seconds = 0;      // this task's share of engine step time
  double queue_seconds = 0;        // submission to first start
  int attempts = 0;                // runs started after engine faults: 1 normally
  int preemptions = 0;
};

// A task's callbacks, all optional; invoked on the loop thread.
struct Listener {
  // Queued (again) or moved in the queue: 1-based position and a rough ETA (s).
  std::function<void(int64_t position, std::optional<double> eta_seconds)> on_queued;
  // Entered the engine: first start (attempt 1), after a preemption, or a retry.
  std::function<void(int attempt)> on_started;
  // Text released by a generated token (may be empty: held back for a stop
  // string or an incomplete UTF-8 character); n_output = tokens so far.
  std::function<void(const std::string& text, int32_t n_output)> on_token;
  // Taken out to free KV memory; it continues where it stopped when restarted.
  std::function<void(const Status& why)> on_preempted;
  // An engine fault ended attempt `attempt`; the task runs again from its
  // prompt and its tokens already streamed are not repeated.
  std::function<void(int attempt, const Status& why)> on_retry;
  // The end; exactly once per accepted task (never after stop()).
  std::function<void(const TaskResult&)> on_finished;
};

struct EngineLoopOptions {
  QueuePolicy policy = QueuePolicy::kFair;
  int32_t max_users = 4;                   // MAX_USERS; <= 0: unlimited
  MemberLimits default_limits;             // budget from GPU_MEM_PER_USER, quota max_concurrent
  const Clock* clock = nullptr;            // null: the real clock
  double stats_window_seconds = 10;        // busy fraction and tokens/s window
  // Loop thread, after every runner step (monitoring, tests).
  std::function<void(const engine::StepStats&)> on_step;
};

struct MemberStats {
  int64_t member = 0;
  int32_t running = 0;             // tasks in the engine
  int32_t queued = 0;
  int64_t kv_bytes = 0;            // held now, from the engine's accounting
  int64_t kv_cached_bytes = 0;     // reusable prefix cache (evictable)
  int64_t kv_budget_bytes = 0;     // 0: none
  int64_t reserved_bytes = 0;      // admission's worst case for the running tasks
  double counter = 0;              // VTC counter
};

struct LoopStats {
  QueuePolicy policy = QueuePolicy::kFair;
  std::vector<MemberStats> members;  // members with tasks or KV memory
  int32_t max_users = 0;           // MAX_USERS now
  int32_t running_members = 0;
  int32_t running_tasks = 0;
  int32_t queued_tasks = 0;
  double busy_fraction = 0;        // share of the window spent in runner steps
  double tokens_per_second = 0;    // prompt + generated tokens over the window
  double decode_tokens_per_second = 0;
  int64_t tokens_total = 0;
  int64_t steps = 0;
  int64_t preemptions = 0;
  int64_t kv_used_bytes = 0;       // pool
  int64_t kv_capacity_bytes = 0;
};

// A running task in the team view.
struct RunningView {
  int64_t task_id = 0;
  int64_t member = 0;
  int priority = 1;
  int32_t n_prompt = 0;
  int32_t n_output = 0;
  int32_t max_output = 0;
  int64_t started_micros = 0;      // Clock::now_micros() of the current run
};
struct TeamView {
  QueueSnapshot queue;             // queued tasks with positions, counters
  std::vector<RunningView> running;
};

class EngineLoop {
 public:
  // `engine` (and options.clock) must outlive the loop. Nothing runs until start().
  EngineLoop(engine::Engine& engine, EngineLoopOptions options);
  ~EngineLoop();  // stop()

  void start();
  // Ends the thread after the current step. Tasks still queued or running get
  // no more callbacks (the store still has them as queued/running and the
  // server requeues them on restart); their KV memory is freed.
  void stop();

  // Accepts a task (its Listener then hears on_queued next). Refused, with no
  // callback: InvalidArgument (empty prompt, bad priority or max_tokens,
  // prompt longer than the context), TooLarge (can never fit the member's
  // budget or the pool, with the numbers), AlreadyExists (id in use),
  // FailedPrecondition (stopped).
  Status submit(TaskSpec spec, Listener listener);
  // Cancels a queued or running task; its KV memory is free when this
  // returns, and on_finished(kCancelled) has been called. NotFound for an
  // unknown or finished task. Called from a Listener (the loop thread), or
  // before start(), it returns Ok at once and applies before the next step.
  Status cancel(int64_t task_id);
  // Moves a queued task to another class (a running one keeps running and
  // uses the class if re-queued). NotFound / InvalidArgument.
  Status set_priority(int64_t task_id, int priority);
  // A member's limits and weight from now on (admin change, new quota).
  void set_member_limits(int64_t member, const MemberLimits& limits);
  MemberLimits member_limits(int64_t member) const;
  // Submission-time check alone (the server may call it before persisting).
  Status check_fits(int64_t member, int64_t prompt_tokens, int64_t max_output_tokens) const;
  void set_max_users(int32_t n);

  LoopStats stats() const;
  TeamView team_view() const;
  QueuePolicy policy() const { return options_.policy; }
  const KvGeometry& geometry() const { return geometry_; }

 private:
  struct Task;
  using Command = std::function<void()>;

  void run();
  void post(Command c);
  bool on_loop_thread() const { return std::this_thread::get_id() == thread_id_.load(); }
  bool drain_commands();
  void admit();
  bool start_task(Task& t);
  void make_room();
  void step_engine();
  void handle_event(engine::Event& e);
  void enforce_timeouts();
  void preempt(Task& t, const Status& why);
  void requeue(Task& t, engine::GenerationRequest next);
  void finish(int64_t task_id, TaskResult r);
  void end_run(Task& t);  // leaves the runner's book-keeping (not the queue)
  void fail_unfittable();
  void refresh();  // queue positions to listeners + published views, rate-limited
  void notify_positions();
  void publish();
  int64_t pool_free_blocks() const;
  std::string owner_of(int64_t member) const { return std::to_string(member); }
  MemberLimits limits_for(int64_t member) const;

  engine::Engine& engine_;
  const EngineLoopOptions options_;
  const Clock& clock_;
  KvGeometry geometry_;

  // Commands from any thread to the loop.
  mutable std::mutex cmd_mu_;
  std::condition_variable cmd_cv_;
  std::deque<Command> commands_;  // guarded by cmd_mu_
  bool stopping_ = false;         // guarded by cmd_mu_
  bool stopped_ = false;          // guarded by cmd_mu_
  std::thread thread_;
  std::atomic<std::thread::id> thread_id_{};

  // Member limits and the ids of accepted, unfinished tasks, shared with submitters.
  mutable std::mutex limits_mu_;
  std::map<int64_t, MemberLimits> limits_;      // guarded by limits_mu_
  std::unordered_map<int64_t, int64_t> live_;   // task id -> member; guarded by limits_mu_

  // Loop-thread state.
  FairQueue queue_;
  Admission admission_;
  std::unordered_map<int64_t, std::unique_ptr<Task>> tasks_;
  std::unordered_map<engine::SeqId, int64_t> by_seq_;
  int64_t start_counter_ = 0;
  bool queue_changed_ = true;
  bool limits_changed_ = false;
  bool new_tasks_ = false;
  int64_t last_refresh_us_ = 0;
  struct StepRecord {
    int64_t at_us;
    double seconds;
    int64_t tokens;
    int64_t decode;
  };
  std::deque<StepRecord> window_;

  // Published for stats()/team_view().
  mutable std::mutex pub_mu_;
  LoopStats pub_stats_;   // guarded by pub_mu_ (members' kv fields filled on read)
  TeamView pub_team_;     // guarded by pub_mu_
};

}  // namespace teamvl::scheduler
