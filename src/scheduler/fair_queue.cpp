#include "scheduler/fair_queue.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <set>

namespace teamvl::scheduler {
namespace {

constexpr size_t kServiceWindow = 32;  // tasks remembered for the ETA mean

bool valid_priority(int p) { return p >= 0 && p <= 3; }

}  // namespace

const char* policy_name(QueuePolicy p) { return p == QueuePolicy::kFifo ? "fifo" : "fair"; }

Result<QueuePolicy> parse_policy(const std::string& name) {
  if (name == "fair") return QueuePolicy::kFair;
  if (name == "fifo") return QueuePolicy::kFifo;
  return Status::InvalidArgument("unknown scheduling policy '" + name + "' (expected fair or fifo)");
}

FairQueue::FairQueue(QueuePolicy policy, const Clock& clock) : policy_(policy), clock_(clock) {}

Status FairQueue::enqueue(QueuedTask task) {
  if (where_.count(task.task_id)) {
    return Status::AlreadyExists("task " + std::to_string(task.task_id) + " is already queued or running");
  }
  if (!valid_priority(task.priority)) {
    return Status::InvalidArgument("priority " + std::to_string(task.priority) + " is outside 0..3");
  }
  if (task.enqueued_at == 0) task.enqueued_at = clock_.now_micros();
  task.est_input_tokens = std::max<int64_t>(task.est_input_tokens, 0);
  task.max_output_tokens = std::max<int64_t>(task.max_output_tokens, 0);
  lift(task.member);
  Member& m = members_[task.member];
  where_[task.task_id] = Where{task.member, true, next_seq_++, {}};
  m.queue.push_back(std::move(task));
  return Status::Ok();
}

Status FairQueue::requeue_front(const QueuedTask& task) {
  auto it = where_.find(task.task_id);
  if (it == where_.end() || it->second.queued) {
    return Status::NotFound("task " + std::to_string(task.task_id) + " is not running");
  }
  Member& m = members_[it->second.member];
  std::erase(m.running, task.task_id);
  --running_total_;
  QueuedTask t = task;
  t.member = it->second.member;
  it->second.queued = true;
  it->second.task = {};
  m.queue.push_front(std::move(t));
  return Status::Ok();
}

bool FairQueue::remove(int64_t task_id) {
  auto it = where_.find(task_id);
  if (it == where_.end() || !it->second.queued) return false;
  const int64_t member = it->second.member;
  Member& m = members_[member];
  auto qt = std::find_if(m.queue.begin(), m.queue.end(),
                         [&](const QueuedTask& t) { return t.task_id == task_id; });
  if (qt != m.queue.end()) m.queue.erase(qt);
  where_.erase(it);
  if (!m.active()) note_inactive(member);
  return true;
}

bool FairQueue::finish(int64_t task_id) {
  auto it = where_.find(task_id);
  if (it == where_.end() || it->second.queued) return false;
  const int64_t member = it->second.member;
  Member& m = members_[member];
  std::erase(m.running, task_id);
  --running_total_;
  where_.erase(it);
  if (!m.active()) note_inactive(member);
  return true;
}

void FairQueue::lift(int64_t member) {
  Member& m = members_[member];
  if (m.active()) return;
  // Lift to the lowest counter among the other backlogged members (or, with
  // nobody backlogged, to where that lowest counter stood when the system went
  // idle), so a member cannot bank service while away.
  double low = std::numeric_limits<double>::infinity();
  for (const auto& [id, o] : members_) {
    if (id != member && o.active()) low = std::min(low, o.counter);
  }
  if (low == std::numeric_limits<double>::infinity()) low = floor_;
  floor_ = std::max(floor_, low);
  m.counter = std::max(m.counter, low);
}

void FairQueue::note_inactive(int64_t member) {
  // The member just left the backlogged set: remember the lowest counter of
  // that set, counting the member itself, as the floor for later arrivals.
  double low = members_[member].counter;
  for (const auto& [id, o] : members_) {
    if (o.active()) low = std::min(low, o.counter);
  }
  floor_ = std::max(floor_, low);
}

void FairQueue::charge(int64_t member, int64_t input_tokens, int64_t output_tokens) {
  Member& m = members_[member];
  m.counter += static_cast<double>(std::max<int64_t>(input_tokens, 0) + 2 * std::max<int64_t>(output_tokens, 0)) /
               m.weight;
}

Status FairQueue::set_weight(int64_t member, double weight) {
  if (!(weight > 0) || weight > 1e6) {
    return Status::InvalidArgument("fair-share weight must be positive, got " + std::to_string(weight));
  }
  members_[member].weight = weight;
  return Status::Ok();
}

Status FairQueue::set_priority(int64_t task_id, int priority) {
  if (!valid_priority(priority)) {
    return Status::InvalidArgument("priority " + std::to_string(priority) + " is outside 0..3");
  }
  auto it = where_.find(task_id);
  if (it == where_.end() || !it->second.queued) {
    return Status::NotFound("task " + std::to_string(task_id) + " is not queued");
  }
  for (QueuedTask& t : members_[it->second.member].queue) {
    if (t.task_id == task_id) t.priority = priority;
  }
  return Status::Ok();
}

double FairQueue::cost(const QueuedTask& t, const Member& m) const {
  return static_cast<double>(t.est_input_tokens + 2 * t.max_output_tokens) / m.weight;
}

std::optional<FairQueue::Pick> FairQueue::select(const AdmitFn& admit) const {
  return policy_ == QueuePolicy::kFifo ? select_fifo(admit) : select_fair(admit);
}

std::optional<FairQueue::Pick> FairQueue::select_fifo(const AdmitFn& admit) const {
  std::optional<Pick> best;
  int best_priority = -1;
  int64_t best_seq = 0;
  for (const auto& [id, m] : members_) {
    for (size_t i = 0; i < m.queue.size(); ++i) {
      const QueuedTask& t = m.queue[i];
      const int64_t seq = where_.at(t.task_id).seq;
      if (!best || t.priority > best_priority || (t.priority == best_priority && seq < best_seq)) {
        best = Pick{id, i};
        best_priority = t.priority;
        best_seq = seq;
      }
    }
  }
  if (!best) return std::nullopt;
  // Strict arrival order: a head that cannot run holds everybody back.
  if (admit && admit(members_.at(best->member).queue[best->index]) != Verdict::kAdmit) return std::nullopt;
  return best;
}

std::optional<FairQueue::Pick> FairQueue::select_fair(const AdmitFn& admit) const {
  std::set<int, std::greater<>> classes;
  for (const auto& [id, m] : members_) {
    for (const QueuedTask& t : m.queue) classes.insert(t.priority);
  }
  std::set<int64_t> skipped;
  for (int p : classes) {
    // Each member's first task of class p, by (counter, arrival).
    struct Cand {
      double counter;
      int64_t seq;
      Pick pick;
    };
    std::vector<Cand> cands;
    for (const auto& [id, m] : members_) {
      if (skipped.count(id)) continue;
      for (size_t i = 0; i < m.queue.size(); ++i) {
        if (m.queue[i].priority != p) continue;
        cands.push_back({m.counter, where_.at(m.queue[i].task_id).seq, Pick{id, i}});
        break;
      }
    }
    std::sort(cands.begin(), cands.end(), [](const Cand& a, const Cand& b) {
      return a.counter != b.counter ? a.counter < b.counter : a.seq < b.seq;
    });
    for (const Cand& c : cands) {
      const Verdict v = admit ? admit(members_.at(c.pick.member).queue[c.pick.index]) : Verdict::kAdmit;
      if (v == Verdict::kAdmit) return c.pick;
      if (v == Verdict::kStop) return std::nullopt;
      skipped.insert(c.pick.member);
    }
  }
  return std::nullopt;
}

std::optional<QueuedTask> FairQueue::peek(const AdmitFn& admit) const {
  auto pick = select(admit);
  if (!pick) return std::nullopt;
  return members_.at(pick->member).queue[pick->index];
}

std::optional<QueuedTask> FairQueue::pop(const AdmitFn& admit) {
  auto pick = select(admit);
  if (!pick) return std::nullopt;
  Member& m = members_.at(pick->member);
  QueuedTask t = m.queue[pick->index];
  m.queue.erase(m.queue.begin() + static_cast<std::ptrdiff_t>(pick->index));
  m.running.push_back(t.task_id);
  ++running_total_;
  Where& w = where_.at(t.task_id);
  w.queued = false;
  w.task = t;
  return t;
}

std::vector<int64_t> FairQueue::projected_order() const {
  // Replays pick-by-pick selection on a copy of the counters, charging each
  // picked task its estimated full cost. O(tasks * members), fine for the
  // tens to hundreds of tasks a team queues.
  std::map<int64_t, double> counters;
  std::map<int64_t, std::vector<const QueuedTask*>> left;  // per member, in order
  size_t total = 0;
  for (const auto& [id, m] : members_) {
    if (m.queue.empty()) continue;
    counters[id] = m.counter;
    for (const QueuedTask& t : m.queue) left[id].push_back(&t);
    total += m.queue.size();
  }
  std::vector<int64_t> order;
  order.reserve(total);
  if (policy_ == QueuePolicy::kFifo) {
    std::vector<const QueuedTask*> all;
    for (auto& [id, v] : left) all.insert(all.end(), v.begin(), v.end());
    std::sort(all.begin(), all.end(), [&](const QueuedTask* a, const QueuedTask* b) {
      if (a->priority != b->priority) return a->priority > b->priority;
      return where_.at(a->task_id).seq < where_.at(b->task_id).seq;
    });
    for (const QueuedTask* t : all) order.push_back(t->task_id);
    return order;
  }
  while (order.size() < total) {
    int best_p = -1;
    for (auto& [id, v] : left) {
      for (const QueuedTask* t : v) best_p = std::max(best_p, t->priority);
    }
    int64_t best_member = 0;
    size_t best_index = 0;
    double best_counter = 0;
    int64_t best_seq = 0;
    bool found = false;
    for (auto& [id, v] : left) {
      for (size_t i = 0; i < v.size(); ++i) {
        if (v[i]->priority != best_p) continue;
        const int64_t seq = where_.at(v[i]->task_id).seq;
        const double c = counters[id];
        if (!found || c < best_counter || (c == best_counter && seq < best_seq)) {
          found = true;
          best_member = id;
          best_index = i;
          best_counter = c;
          best_seq = seq;
        }
        break;
      }
    }
    auto& v = left[best_member];
    const QueuedTask* t = v[best_index];
    order.push_back(t->task_id);
    counters[best_member] += cost(*t, members_.at(best_member));
    v.erase(v.begin() + static_cast<std::ptrdiff_t>(best_index));
  }
  return order;
}

int64_t FairQueue::position(int64_t task_id) const {
  if (!is_queued(task_id)) return 0;
  const std::vector<int64_t> order = projected_order();
  auto it = std::find(order.begin(), order.end(), task_id);
  return it == order.end() ? 0 : (it - order.begin()) + 1;
}

std::unordered_map<int64_t, int64_t> FairQueue::positions() const {
  std::unordered_map<int64_t, int64_t> out;
  const std::vector<int64_t> order = projected_order();
  for (size_t i = 0; i < order.size(); ++i) out[order[i]] = static_cast<int64_t>(i) + 1;
  return out;
}

QueueSnapshot FairQueue::snapshot() const {
  QueueSnapshot s;
  s.policy = policy_;
  const auto pos = positions();
  for (const auto& [id, m] : members_) {
    if (!m.active()) continue;
    MemberQueueView v;
    v.member = id;
    v.counter = m.counter;
    v.weight = m.weight;
    v.queued.assign(m.queue.begin(), m.queue.end());
    for (const QueuedTask& t : m.queue) v.positions.push_back(pos.at(t.task_id));
    v.running = m.running;
    s.queued += static_cast<int64_t>(m.queue.size());
    s.running += static_cast<int64_t>(m.running.size());
    s.members.push_back(std::move(v));
  }
  return s;
}

double FairQueue::counter(int64_t member) const {
  auto it = members_.find(member);
  return it == members_.end() ? 0 : it->second.counter;
}

int64_t FairQueue::queued_count() const {
  return static_cast<int64_t>(where_.size()) - running_total_;
}

int64_t FairQueue::queued_count(int64_t member) const {
  auto it = members_.find(member);
  return it == members_.end() ? 0 : static_cast<int64_t>(it->second.queue.size());
}

int64_t FairQueue::running_count(int64_t member) const {
  auto it = members_.find(member);
  return it == members_.end() ? 0 : static_cast<int64_t>(it->second.running.size());
}

void FairQueue::record_service_seconds(double seconds) {
  if (!(seconds >= 0)) return;
  service_seconds_.push_back(seconds);
  while (service_seconds_.size() > kServiceWindow) service_seconds_.pop_front();
}

std::optional<double> FairQueue::mean_service_seconds() const {
  if (service_seconds_.empty()) return std::nullopt;
  return std::accumulate(service_seconds_.begin(), service_seconds_.end(), 0.0) /
         static_cast<double>(service_seconds_.size());
}

std::optional<double> FairQueue::eta_seconds(int64_t position, int64_t parallel) const {
  auto mean = mean_service_seconds();
  if (!mean || position <= 0) return mean ? std::optional<double>(0.0) : std::nullopt;
  return static_cast<double>(position) * *mean / static_cast<double>(std::max<int64_t>(parallel, 1));
}

}  // namespace teamvl::scheduler
