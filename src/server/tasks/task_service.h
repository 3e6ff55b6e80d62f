// Tasks end to end: a request is checked against the member's quota and
// memory budget, written to the store (so it survives a crash) and only then
// handed to the engine loop; the loop's callbacks stream into the task's
// channel and the final state, usage and chat message are written in one
// transaction. On start, tasks a crash interrupted are queued again.
// Thread-safe.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "base/clock.h"
#include "engine/engine.h"
#include "scheduler/engine_loop.h"
#include "scheduler/quotas.h"
#include "server/tasks/task_channel.h"
#include "server/tasks/serial_executor.h"
#include "server/tasks/task_images.h"
#include "server/tasks/task_request.h"
#include "store/store.h"

namespace teamvl::server {

struct TaskServiceConfig {
  scheduler::QuotaDefaults quota_defaults;
  int64_t default_timeout_s = 1800;
  int max_attempts = 2;  // engine faults are retried once; user errors never
};

class TaskService {
 public:
  // All references must outlive the service. `images` may be null (then a
  // task with attached files is refused with a clear error).
  TaskService(store::Store& store, engine::Engine& engine, scheduler::EngineLoop& loop, const Clock& clock,
              TaskServiceConfig config, TaskImages* images = nullptr);

  // Queues again what a crash or kill interrupted. Call once before serving.
  Status recover();

  // Accepts a task for `user`. When a quota refuses it, returns
  // ResourceExhausted and fills *denial.
  Result<store::Task> submit(const store::User& user, std::optional<int64_t> api_key_id, const std::string& kind,
                             TaskRequest request, std::optional<scheduler::QuotaDenial>* denial);
  // Cancels a queued or running task; its memory is free when this returns.
  Status cancel(int64_t task_id);
  // The live channel of a task accepted since this process started, or null.
  std::shared_ptr<TaskChannel> channel(int64_t task_id);

  // The member's limits in the engine loop (after a quota change).
  void refresh_limits(int64_t user_id);

  // Before the engine loop stops: image preparation still waiting does not
  // start, and what finishes is not queued (the tasks stay queued in the
  // store, so the next start runs them).
  void stop();

 private:
  // The model's input: the chat template over the messages, each attached
  // file's images before its message's text.
  Result<engine::Prompt> build_prompt(const TaskRequest& req, int64_t user_id) const;
  // Prompt rows of a request with attached files, without encoding them.
  Result<int64_t> estimate_prompt_tokens(const TaskRequest& req, int64_t user_id) const;
  Status enqueue(const store::Task& task, const TaskRequest& req, int64_t prompt_tokens, engine::Prompt prompt);
  // A task with attached files: accepted and stored at once; its images are
  // encoded on prepare_ (one task at a time), then it joins the queue.
  void prepare_then_enqueue(const store::Task& task, const TaskRequest& req);
  // Marks a task that never reached the engine loop as ended and tells its
  // stream. Call with prepare_mu_ held.
  void end_unqueued(int64_t task_id, const std::string& state, const Status& why);
  scheduler::Listener listener_for(int64_t task_id, std::optional<int64_t> session_id,
                                   std::shared_ptr<TaskChannel> ch);
  void finish(int64_t task_id, std::optional<int64_t> session_id, const scheduler::TaskResult& r,
              const std::shared_ptr<TaskChannel>& ch);
  scheduler::MemberLimits limits_for(int64_t user_id);
  std::shared_ptr<TaskChannel> new_channel(int64_t task_id);

  store::Store& store_;
  engine::Engine& engine_;
  scheduler::EngineLoop& loop_;
  const Clock& clock_;
  const TaskServiceConfig config_;
  TaskImages* images_;

  std::mutex mu_;
  std::map<int64_t, std::shared_ptr<TaskChannel>> channels_;  // guarded by mu_; newest kept

  // Guards "is the task still queued in the store?" together with handing it
  // to the loop, against a cancel of a task still being prepared.
  std::mutex prepare_mu_;
  std::atomic<bool> stopping_{false};

  // Store writes after engine events (start, retry, end), in order, off the
  // engine loop's thread. Destroyed before prepare_, after running them all.
  SerialExecutor writes_;
  // Image encoding of accepted tasks (see prepare_then_enqueue). Last
  // member: destroyed first; its remaining jobs see stopping_ and return.
  SerialExecutor prepare_;
};

}  // namespace teamvl::server
