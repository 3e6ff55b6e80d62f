// Who runs next. Per-member FIFO queues of pending tasks, ordered by priority
// class first, then by fair share between members (VTC: virtual token
// counters, Sheng et al., OSDI 2024), or by global arrival (kFifo, the
// baseline the sharing benchmark compares against). Also tracks which tasks
// are running, so a member is "backlogged" while it has tasks queued or running.
//
// Pure data structure: no threads, no engine. Not thread-safe: the engine loop
// owns it and drives it from its one thread.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "base/status.h"

namespace teamvl::scheduler {

enum class QueuePolicy { kFair, kFifo };
const char* policy_name(QueuePolicy p);  // "fair" | "fifo"
// "fair" or "fifo"; InvalidArgument otherwise.
Result<QueuePolicy> parse_policy(const std::string& name);

// One pending inference as the queue sees it.
struct QueuedTask {
  int64_t task_id = 0;
  int64_t member = 0;            // user id
  int priority = 1;              // 0..3 (see quotas.h Priority); higher first
  int64_t est_input_tokens = 0;  // text + image tokens
  int64_t max_output_tokens = 0;
  int64_t enqueued_at = 0;       // Clock::now_micros(); enqueue() fills 0
};

// What admission says about a candidate task (see FairQueue::pop).
enum class Verdict {
  kAdmit,       // run it
  kSkipMember,  // this member cannot start anything now (their own limits); try others
  kStop,        // admit nothing more now (shared resources, MAX_USERS, strict FIFO)
};
using AdmitFn = std::function<Verdict(const QueuedTask&)>;

// The queue as the team view shows it.
struct MemberQueueView {
  int64_t member = 0;
  double counter = 0;                   // virtual tokens served (weighted)
  double weight = 1;
  std::vector<QueuedTask> queued;       // in the member's own order
  std::vector<int64_t> positions;       // 1-based global position of each queued task
  std::vector<int64_t> running;         // task ids
};
struct QueueSnapshot {
  QueuePolicy policy = QueuePolicy::kFair;
  std::vector<MemberQueueView> members;  // backlogged members, by member id
  int64_t queued = 0;
  int64_t running = 0;
};

class FairQueue {
 public:
  // `clock` must outlive the queue.
  explicit FairQueue(QueuePolicy policy, const Clock& clock = Clock::real());

  QueuePolicy policy() const { return policy_; }

  // Adds a task at the tail of its member's queue. A member going from idle
  // to backlogged has their counter lifted (see lift()). AlreadyExists for a
  // task id already queued or running; InvalidArgument for a bad priority.
  Status enqueue(QueuedTask task);
  // A running task goes back to the head of its member's queue (preempted or
  // retried), keeping its place in arrival order. NotFound if not running.
  Status requeue_front(const QueuedTask& task);
  // Takes a queued task out (cancel, timeout). False when it is not queued.
  bool remove(int64_t task_id);

  // The next task in serving order that `admit` accepts, moved to running.
  // kFair: highest priority class first; in a class members by lowest
  // counter (ties: earliest head task), each member's tasks in FIFO order;
  // a kSkipMember verdict passes over that member. kFifo: only the global head
  // (priority, then arrival) is considered: anything but kAdmit stops.
  std::optional<QueuedTask> pop(const AdmitFn& admit);
  // The task pop() would take, without taking it.
  std::optional<QueuedTask> peek(const AdmitFn& admit) const;
  // A running task ended for good (done, failed, cancelled, timed out).
  // False when it was not running.
  bool finish(int64_t task_id);

  // Service received: counter += (input + 2 * output) / weight. Called as
  // tokens are processed, so counters move while tasks run.
  void charge(int64_t member, int64_t input_tokens, int64_t output_tokens);
  // Fair-share weight (> 0; default 1): a weight of 2 gets twice the tokens.
  Status set_weight(int64_t member, double weight);
  // Moves a queued task to another priority class (keeps its place in its
  // member's FIFO order). NotFound when not queued; InvalidArgument for a bad class.
  Status set_priority(int64_t task_id, int priority);

  // 1-based place of a queued task in the order tasks would be served now
  // (counters projected with each task's estimated cost); 0 when not queued.
  int64_t position(int64_t task_id) const;
  // Position of every queued task at once.
  std::unordered_map<int64_t, int64_t> positions() const;
  QueueSnapshot snapshot() const;

  double counter(int64_t member) const;
  bool is_queued(int64_t task_id) const { return where_.count(task_id) && where_.at(task_id).queued; }
  bool is_running(int64_t task_id) const { return where_.count(task_id) && !where_.at(task_id).queued; }
  int64_t queued_count() const;
  int64_t running_count() const { return running_total_; }
  int64_t queued_count(int64_t member) const;
  int64_t running_count(int64_t member) const;

  // ETA helper: remembers the durations of the last tasks served.
  void record_service_seconds(double seconds);
  // Mean of the recent service times; nullopt before the first.
  std::optional<double> mean_service_seconds() const;
  // position * mean service time / max(1, parallel): a rough wait estimate.
  std::optional<double> eta_seconds(int64_t position, int64_t parallel) const;

 private:
  struct Member {
    double counter = 0;
    double weight = 1;
    std::deque<QueuedTask> queue;  // FIFO; requeue_front pushes at the front
    std::vector<int64_t> running;  // task ids
    bool active() const { return !queue.empty() || !running.empty(); }
  };
  struct Where {
    int64_t member = 0;
    bool queued = true;
    int64_t seq = 0;           // arrival order (kept across requeues)
    QueuedTask task;           // the task while running
  };
  // A queued task found by serving order: member and index in its deque.
  struct Pick {
    int64_t member = 0;
    size_t index = 0;
  };

  void lift(int64_t member);
  void note_inactive(int64_t member);
  std::optional<Pick> select(const AdmitFn& admit) const;
  std::optional<Pick> select_fair(const AdmitFn& admit) const;
  std::optional<Pick> select_fifo(const AdmitFn& admit) const;
  // The serving order of all queued tasks (task ids), as position() sees it.
  std::vector<int64_t> projected_order() const;
  double cost(const QueuedTask& t, const Member& m) const;

  const QueuePolicy policy_;
  const Clock& clock_;
  std::map<int64_t, Member> members_;
  std::unordered_map<int64_t, Where> where_;  // queued and running tasks
  int64_t next_seq_ = 1;
  int64_t running_total_ = 0;
  double floor_ = 0;  // lowest backlogged counter when the system last went idle
  std::deque<double> service_seconds_;
};

}  // namespace teamvl::scheduler
