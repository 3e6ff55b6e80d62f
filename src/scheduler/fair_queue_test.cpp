// FairQueue on its own: VTC order against the FIFO baseline, lifting of idle
// members' counters, priority classes, weights, positions, snapshot, ETA.
// A small simulator stands in for the engine: it starts what the queue hands
// out, charges input at start and output at completion, and completes the
// oldest running task first.
#include "scheduler/fair_queue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

namespace teamvl::scheduler {
namespace {

QueuedTask task(int64_t id, int64_t member, int64_t in, int64_t out, int priority = 1) {
  return QueuedTask{id, member, priority, in, out, 0};
}

// Drives a FairQueue like the engine loop would.
struct Sim {
  explicit Sim(QueuePolicy p, int per_member = 2, int max_users = 0)
      : q(p, clock), per_member(per_member), max_users(max_users) {}

  Verdict verdict(const QueuedTask& t) const {
    const int mine = q.running_count(t.member);
    if (per_member > 0 && mine >= per_member) return Verdict::kSkipMember;
    if (mine == 0 && max_users > 0) {
      std::set<int64_t> members;
      for (const QueuedTask& r : running) members.insert(r.member);
      if (static_cast<int>(members.size()) >= max_users) return Verdict::kStop;
    }
    return Verdict::kAdmit;
  }
  void admit_all() {
    while (auto t = q.pop([this](const QueuedTask& c) { return verdict(c); })) {
      started.push_back(t->task_id);
      running.push_back(*t);
      q.charge(t->member, t->est_input_tokens, 0);
    }
  }
  void complete_oldest() {
    ASSERT_FALSE(running.empty());
    QueuedTask t = running.front();
    running.erase(running.begin());
    q.charge(t.member, 0, t.max_output_tokens);
    EXPECT_TRUE(q.finish(t.task_id));
    finished.push_back(t.task_id);
  }
  void run_to_end() {
    for (int guard = 0; guard < 10000 && (!running.empty() || q.queued_count() > 0); ++guard) {
      admit_all();
      if (!running.empty()) complete_oldest();
    }
    EXPECT_EQ(q.queued_count(), 0);
  }
  size_t index_of(int64_t id) const {
    return static_cast<size_t>(std::find(started.begin(), started.end(), id) - started.begin());
  }

  FakeClock clock;  // before q, which keeps a reference
  FairQueue q;
  int per_member;
  int max_users;
  std::vector<int64_t> started;
  std::vector<int64_t> finished;
  std::vector<QueuedTask> running;
};

constexpr int64_t kA = 10, kB = 20, kC = 30;

// The scenario: A enqueues 20 long tasks, then B one short one.
struct ScenarioCase {
  QueuePolicy policy;
  int max_users;
};

class ScenarioTest : public ::testing::TestWithParam<ScenarioCase> {};

TEST_P(ScenarioTest, ShortTaskOfSecondMember) {
  const ScenarioCase c = GetParam();
  Sim sim(c.policy, /*per_member=*/2, c.max_users);
  for (int i = 1; i <= 20; ++i) ASSERT_TRUE(sim.q.enqueue(task(i, kA, 500, 200)).ok());
  sim.admit_all();  // A's first two start
  ASSERT_EQ(sim.started, (std::vector<int64_t>{1, 2}));
  ASSERT_TRUE(sim.q.enqueue(task(100, kB, 20, 10)).ok());
  sim.run_to_end();
  ASSERT_EQ(sim.started.size(), 21u);
  const size_t b = sim.index_of(100), a3 = sim.index_of(3), a20 = sim.index_of(20);
  if (c.policy == QueuePolicy::kFair) {
    EXPECT_LT(b, a3) << "fair: B starts before A's third task";
  } else {
    EXPECT_GT(b, a20) << "fifo: B starts after all of A's";
  }
}

INSTANTIATE_TEST_SUITE_P(Policies, ScenarioTest,
                         ::testing::Values(ScenarioCase{QueuePolicy::kFair, 0}, ScenarioCase{QueuePolicy::kFair, 1},
                                           ScenarioCase{QueuePolicy::kFifo, 0}, ScenarioCase{QueuePolicy::kFifo, 1}),
                         [](const auto& info) {
                           return std::string(policy_name(info.param.policy)) + "_max_users_" +
                                  std::to_string(info.param.max_users);
                         });

TEST(FairQueueTest, IdleMemberCounterIsLiftedToTheLowestBacklogged) {
  FakeClock clock;
  FairQueue q(QueuePolicy::kFair, clock);
  ASSERT_TRUE(q.enqueue(task(1, kA, 100, 0)).ok());
  ASSERT_TRUE(q.enqueue(task(2, kC, 100, 0)).ok());
  ASSERT_TRUE(q.pop(nullptr).has_value());
  q.charge(kA, 1000, 0);
  q.charge(kC, 400, 0);
  EXPECT_EQ(q.counter(kB), 0);
  // B arrives while A (1000) and C (400) are backlogged: lifted to 400.
  ASSERT_TRUE(q.enqueue(task(3, kB, 10, 0)).ok());
  EXPECT_DOUBLE_EQ(q.counter(kB), 400);
  // A member already above the floor keeps its own counter.
  q.charge(kB, 5000, 0);
  ASSERT_TRUE(q.remove(3));
  ASSERT_TRUE(q.enqueue(task(4, kB, 10, 0)).ok());
  EXPECT_DOUBLE_EQ(q.counter(kB), 5400);
}

TEST(FairQueueTest, IdleTimeCannotBeBankedEvenWhenEverybodyWasIdle) {
  FakeClock clock;
  FairQueue q(QueuePolicy::kFair, clock);
  // A is served alone for a long time, then leaves.
  ASSERT_TRUE(q.enqueue(task(1, kA, 100, 0)).ok());
  ASSERT_TRUE(q.pop(nullptr).has_value());
  q.charge(kA, 100000, 0);
  ASSERT_TRUE(q.finish(1));
  // B arrives to an empty system: it starts at the floor A left, not at 0...
  ASSERT_TRUE(q.enqueue(task(2, kB, 10, 0)).ok());
  EXPECT_DOUBLE_EQ(q.counter(kB), 100000);
  // ...so when A comes back, the two alternate instead of B taking everything.
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(q.enqueue(task(10 + i, kA, 100, 0)).ok());
    ASSERT_TRUE(q.enqueue(task(20 + i, kB, 100, 0)).ok());
  }
  std::vector<int64_t> members;
  while (auto t = q.pop(nullptr)) {
    members.push_back(t->member);
    q.charge(t->member, t->est_input_tokens, 0);
    q.finish(t->task_id);
  }
  ASSERT_EQ(members.size(), 9u);
  int longest_run = 1, run = 1;
  for (size_t i = 1; i < members.size(); ++i) {
    run = members[i] == members[i - 1] ? run + 1 : 1;
    longest_run = std::max(longest_run, run);
  }
  EXPECT_LE(longest_run, 2) << "members should alternate";
}

TEST(FairQueueTest, PriorityClassComesBeforeFairness) {
  FakeClock clock;
  FairQueue q(QueuePolicy::kFair, clock);
  q.charge(kA, 100000, 0);  // A is far over its share...
  ASSERT_TRUE(q.enqueue(task(1, kB, 10, 10, /*priority=*/1)).ok());
  ASSERT_TRUE(q.enqueue(task(2, kA, 10, 10, /*priority=*/3)).ok());  // ...but urgent
  ASSERT_TRUE(q.enqueue(task(3, kB, 10, 10, /*priority=*/0)).ok());
  ASSERT_TRUE(q.enqueue(task(4, kC, 10, 10, /*priority=*/1)).ok());
  std::vector<int64_t> order;
  while (auto t = q.pop(nullptr)) {
    order.push_back(t->task_id);
    q.charge(t->member, t->est_input_tokens, t->max_output_tokens);
  }
  // Urgent first; class 1: B and C tie (both lifted), B's task arrived first; low last.
  EXPECT_EQ(order, (std::vector<int64_t>{2, 1, 4, 3}));
}

TEST(FairQueueTest, SkippedMemberDoesNotBlockOthersButStopDoes) {
  FakeClock clock;
  FairQueue q(QueuePolicy::kFair, clock);
  ASSERT_TRUE(q.enqueue(task(1, kA, 10, 10)).ok());
  ASSERT_TRUE(q.enqueue(task(2, kB, 10, 10)).ok());
  auto skip_a = [](const QueuedTask& t) { return t.member == kA ? Verdict::kSkipMember : Verdict::kAdmit; };
  auto stop_a = [](const QueuedTask& t) { return t.member == kA ? Verdict::kStop : Verdict::kAdmit; };
  EXPECT_FALSE(q.peek(stop_a).has_value()) << "A is first in order; kStop admits nothing";
  auto t = q.pop(skip_a);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->task_id, 2);
  EXPECT_TRUE(q.is_running(2));
  EXPECT_TRUE(q.is_queued(1));
}

TEST(FairQueueTest, FifoIsStrictArrivalOrderWithinPriority) {
  FakeClock clock;
  FairQueue q(QueuePolicy::kFifo, clock);
  ASSERT_TRUE(q.enqueue(task(1, kA, 10, 10)).ok());
  ASSERT_TRUE(q.enqueue(task(2, kB, 10, 10)).ok());
  ASSERT_TRUE(q.enqueue(task(3, kA, 10, 10, 2)).ok());
  auto skip_a = [](const QueuedTask& t) { return t.member == kA ? Verdict::kSkipMember : Verdict::kAdmit; };
  EXPECT_FALSE(q.pop(skip_a).has_value()) << "the head (A's high-priority task) holds everybody back";
  std::vector<int64_t> order;
  while (auto t = q.pop(nullptr)) order.push_back(t->task_id);
  EXPECT_EQ(order, (std::vector<int64_t>{3, 1, 2}));
}

TEST(FairQueueTest, WeightsShareServiceProportionally) {
  FakeClock clock;
  FairQueue q(QueuePolicy::kFair, clock);
  ASSERT_TRUE(q.set_weight(kA, 2.0).ok());
  EXPECT_FALSE(q.set_weight(kB, 0).ok());
  for (int i = 0; i < 60; ++i) {
    ASSERT_TRUE(q.enqueue(task(100 + i, kA, 100, 0)).ok());
    ASSERT_TRUE(q.enqueue(task(200 + i, kB, 100, 0)).ok());
  }
  std::map<int64_t, int> served;
  for (int i = 0; i < 60; ++i) {
    auto t = q.pop(nullptr);
    ASSERT_TRUE(t.has_value());
    ++served[t->member];
    q.charge(t->member, t->est_input_tokens, 0);
  }
  EXPECT_NEAR(served[kA], 40, 1);
  EXPECT_NEAR(served[kB], 20, 1);
}

TEST(FairQueueTest, PositionsFollowTheServingOrder) {
  for (QueuePolicy policy : {QueuePolicy::kFair, QueuePolicy::kFifo}) {
    SCOPED_TRACE(policy_name(policy));
    FakeClock clock;
    FairQueue q(policy, clock);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(q.enqueue(task(10 + i, kA, 300, 100)).ok());
    ASSERT_TRUE(q.enqueue(task(20, kB, 50, 10)).ok());
    ASSERT_TRUE(q.enqueue(task(30, kC, 50, 10, 2)).ok());
    ASSERT_TRUE(q.enqueue(task(21, kB, 50, 10)).ok());
    const auto pos = q.positions();
    ASSERT_EQ(pos.size(), 8u);
    std::vector<int64_t> predicted(8);
    for (const auto& [id, p] : pos) predicted[p - 1] = id;
    std::vector<int64_t> served;
    while (auto t = q.pop(nullptr)) {
      served.push_back(t->task_id);
      q.charge(t->member, t->est_input_tokens, t->max_output_tokens);
    }
    EXPECT_EQ(served, predicted);
    EXPECT_EQ(served.front(), 30) << "the high-priority task is first";
  }
}

TEST(FairQueueTest, RemoveRequeueAndSnapshot) {
  FakeClock clock;
  FairQueue q(QueuePolicy::kFair, clock);
  ASSERT_TRUE(q.enqueue(task(1, kA, 10, 10)).ok());
  ASSERT_TRUE(q.enqueue(task(2, kA, 10, 10)).ok());
  ASSERT_TRUE(q.enqueue(task(3, kB, 10, 10)).ok());
  EXPECT_EQ(q.enqueue(task(1, kA, 10, 10)).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(q.enqueue(task(9, kA, 10, 10, 7)).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(q.position(1), 1);
  EXPECT_EQ(q.position(3), 2);
  EXPECT_EQ(q.position(2), 3);
  EXPECT_EQ(q.position(99), 0);

  auto first = q.pop(nullptr);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->task_id, 1);
  q.charge(kA, 10, 0);
  EXPECT_EQ(q.requeue_front(task(3, kB, 10, 10)).code(), StatusCode::kNotFound) << "3 is not running";

  QueueSnapshot s = q.snapshot();
  ASSERT_EQ(s.members.size(), 2u);
  EXPECT_EQ(s.queued, 2);
  EXPECT_EQ(s.running, 1);
  EXPECT_EQ(s.members[0].member, kA);
  EXPECT_EQ(s.members[0].running, (std::vector<int64_t>{1}));
  ASSERT_EQ(s.members[0].queued.size(), 1u);
  EXPECT_EQ(s.members[0].queued[0].task_id, 2);
  EXPECT_EQ(s.members[1].positions, (std::vector<int64_t>{1})) << "B (lower counter) is next";

  // Preempted: back at the head of A's queue, before task 2.
  ASSERT_TRUE(q.requeue_front(*first).ok());
  EXPECT_TRUE(q.is_queued(1));
  EXPECT_LT(q.position(1), q.position(2));
  // Cancel of a queued task; finish of a task that is not running.
  EXPECT_TRUE(q.remove(2));
  EXPECT_FALSE(q.remove(2));
  EXPECT_FALSE(q.finish(1));
  EXPECT_EQ(q.set_priority(1, 3).code(), StatusCode::kOk);
  EXPECT_EQ(q.position(1), 1);
  EXPECT_EQ(q.set_priority(2, 3).code(), StatusCode::kNotFound);
  EXPECT_EQ(q.queued_count(), 2);
  EXPECT_EQ(q.queued_count(kA), 1);
  EXPECT_EQ(q.running_count(), 0);
}

TEST(FairQueueTest, EtaIsPositionTimesMeanServiceOverParallelism) {
  FairQueue q(QueuePolicy::kFair);
  EXPECT_FALSE(q.eta_seconds(3, 1).has_value()) << "no history yet";
  q.record_service_seconds(2.0);
  q.record_service_seconds(4.0);
  ASSERT_TRUE(q.mean_service_seconds().has_value());
  EXPECT_DOUBLE_EQ(*q.mean_service_seconds(), 3.0);
  EXPECT_DOUBLE_EQ(*q.eta_seconds(4, 1), 12.0);
  EXPECT_DOUBLE_EQ(*q.eta_seconds(4, 2), 6.0);
  EXPECT_DOUBLE_EQ(*q.eta_seconds(0, 2), 0.0);
  for (int i = 0; i < 100; ++i) q.record_service_seconds(1.0);  // only recent tasks count
  EXPECT_DOUBLE_EQ(*q.mean_service_seconds(), 1.0);
}

TEST(FairQueueTest, PolicyNames) {
  EXPECT_EQ(parse_policy("fair").value(), QueuePolicy::kFair);
  EXPECT_EQ(parse_policy("fifo").value(), QueuePolicy::kFifo);
  EXPECT_EQ(parse_policy("lifo").status().code(), StatusCode::kInvalidArgument);
  EXPECT_STREQ(policy_name(QueuePolicy::kFifo), "fifo");
}

}  // namespace
}  // namespace teamvl::scheduler
