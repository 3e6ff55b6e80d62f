// The engine loop on the demo model: the issue's sharing scenarios (a short
// task of one member against another member's 20 long ones, fair vs fifo),
// memory budgets checked after every step, refusals with numbers, cancel,
// preemption with unchanged greedy output, timeouts, MAX_USERS, priorities.
#include "scheduler/engine_loop.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <set>

#include "engine/model/test_models.h"

namespace teamvl::scheduler {
namespace {

using namespace std::chrono_literals;
using engine::Engine;
using engine::EngineOptions;
using engine::GenerationRequest;
using engine::Prompt;

// What a task's listener heard, in one global order shared by all tasks.
struct TaskLog {
  std::vector<int64_t> started;      // event order of each on_started
  int64_t first_token = -1;          // event order
  std::string text;
  int32_t n_output = 0;
  std::vector<int64_t> positions;
  int preempted = 0;
  int64_t finished = -1;             // event order
  std::optional<TaskResult> result;
};

class Recorder {
 public:
  Listener listener(int64_t id, std::function<void(int32_t)> on_token_extra = nullptr) {
    Listener l;
    l.on_queued = [this, id](int64_t pos, std::optional<double>) {
      std::lock_guard lock(mu_);
      tasks_[id].positions.push_back(pos);
    };
    l.on_started = [this, id](int) {
      std::lock_guard lock(mu_);
      tasks_[id].started.push_back(++order_);
    };
    l.on_token = [this, id, on_token_extra](const std::string& text, int32_t n) {
      {
        std::lock_guard lock(mu_);
        TaskLog& t = tasks_[id];
        if (t.first_token < 0) t.first_token = ++order_;
        t.text += text;
        t.n_output = n;
        cv_.notify_all();  // under the lock: a woken test may destroy us right after
      }
      if (on_token_extra) on_token_extra(n);
    };
    l.on_preempted = [this, id](const Status&) {
      std::lock_guard lock(mu_);
      tasks_[id].preempted++;
    };
    l.on_finished = [this, id](const TaskResult& r) {
      std::lock_guard lock(mu_);
      tasks_[id].result = r;
      tasks_[id].finished = ++order_;
      cv_.notify_all();
    };
    return l;
  }
  bool wait(const std::function<bool(std::map<int64_t, TaskLog>&)>& pred, std::chrono::seconds limit = 60s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return pred(tasks_); });
  }
  bool wait_finished(const std::vector<int64_t>& ids, std::chrono::seconds limit = 60s) {
    return wait(
        [&](auto& t) {
          for (int64_t id : ids)
            if (!t[id].result) return false;
          return true;
        },
        limit);
  }
  TaskLog get(int64_t id) {
    std::lock_guard lock(mu_);
    return tasks_[id];
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int64_t order_ = 0;
  std::map<int64_t, TaskLog> tasks_;
};

class EngineLoopTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    EngineOptions o;
    o.model_path = engine::testing::demo_model_path("F32");
    o.n_threads = 1;
    o.n_ctx = 512;
    auto e = Engine::load(o);
    ASSERT_TRUE(e.ok()) << e.status().to_string();
    engine_ = std::move(e).value().release();
    corpus_ = engine_->tokenize(
        "The river flows from the mountains to the sea, past fields and towns where people work and "
        "rest; numbers 0 1 2 3 4 5 6 7 8 9 and code like def add(a, b): return a + b appear too. "
        "Describe the weather today in one sentence, please, with as many words as you like.",
        false);
  }
  static void TearDownTestSuite() {
    delete engine_;
    engine_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(engine_, nullptr);
    engine_->kv_cache().drop_cache();
  }

  // A prompt of n tokens; `variant` shifts the text so prompts differ.
  static Prompt prompt(int32_t n, int32_t variant = 0) {
    std::vector<int32_t> ids;
    for (int32_t i = 0; i < n; ++i) ids.push_back(corpus_[(i + variant * 7) % corpus_.size()]);
    return Prompt(ids);
  }
  static TaskSpec spec(int64_t id, int64_t member, int32_t n_prompt, int32_t max_tokens, int32_t variant = 0) {
    TaskSpec s;
    s.task_id = id;
    s.member = member;
    s.request.prompt = prompt(n_prompt, variant);
    s.request.max_tokens = max_tokens;
    s.request.ignore_eos = true;
    return s;
  }
  static int64_t block() { return engine_->kv_cache().block_bytes(); }

  static Engine* engine_;
  static std::vector<int32_t> corpus_;
};
Engine* EngineLoopTest::engine_ = nullptr;
std::vector<int32_t> EngineLoopTest::corpus_;

constexpr int64_t kA = 1, kB = 2;

// --- the issue's scenario: A submits 20 long tasks, then B one short one ---

struct ScenarioCase {
  QueuePolicy policy;
  int32_t max_users;
};

class SharingScenarioTest : public EngineLoopTest, public ::testing::WithParamInterface<ScenarioCase> {};

TEST_P(SharingScenarioTest, ShortTaskOfSecondMemberAgainstTwentyLongOnes) {
  const ScenarioCase c = GetParam();
  EngineLoopOptions o;
  o.policy = c.policy;
  o.max_users = c.max_users;
  o.default_limits = MemberLimits{2, 0, 1.0};  // two tasks at once each
  Recorder rec;
  EngineLoop loop(*engine_, o);
  constexpr int64_t kBTask = 100;
  std::once_flag submitted_b;
  // B submits from A's first token, on the loop thread: deterministic timing.
  auto submit_b = [&](int32_t) {
    std::call_once(submitted_b, [&] { ASSERT_TRUE(loop.submit(spec(kBTask, kB, 8, 4, 3), rec.listener(kBTask)).ok()); });
  };
  for (int64_t i = 1; i <= 20; ++i) {
    ASSERT_TRUE(loop.submit(spec(i, kA, 48, 16, static_cast<int32_t>(i)), rec.listener(i, i == 1 ? std::function<void(int32_t)>(submit_b) : nullptr)).ok());
  }
  loop.start();
  std::vector<int64_t> all;
  for (int64_t i = 1; i <= 20; ++i) all.push_back(i);
  all.push_back(kBTask);
  ASSERT_TRUE(rec.wait_finished(all));
  for (int64_t id : all) {
    const TaskLog t = rec.get(id);
    ASSERT_EQ(t.result->outcome, Outcome::kDone) << id;
    EXPECT_EQ(t.result->n_output, id == kBTask ? 4 : 16);
  }
  const TaskLog b = rec.get(kBTask);
  ASSERT_GT(b.first_token, 0);
  if (c.policy == QueuePolicy::kFair) {
    EXPECT_LT(b.first_token, rec.get(3).started.front()) << "fair: B's first token before A's third task starts";
  } else {
    for (int64_t i = 1; i <= 20; ++i) {
      EXPECT_GT(b.first_token, rec.get(i).started.front()) << "fifo: after all of A's tasks started, A#" << i;
      if (c.max_users == 1) {
        EXPECT_GT(b.started.front(), rec.get(i).finished) << "fifo, MAX_USERS=1: after all of A's ended, A#" << i;
      }
    }
    ASSERT_FALSE(b.positions.empty());
    EXPECT_EQ(b.positions.front(), 19) << "queued behind A's 18 waiting tasks";
  }
}

INSTANTIATE_TEST_SUITE_P(Policies, SharingScenarioTest,
                         ::testing::Values(ScenarioCase{QueuePolicy::kFair, 4}, ScenarioCase{QueuePolicy::kFair, 1},
                                           ScenarioCase{QueuePolicy::kFifo, 4}, ScenarioCase{QueuePolicy::kFifo, 1}),
                         [](const auto& info) {
                           return std::string(policy_name(info.param.policy)) + "_max_users_" +
                                  std::to_string(info.param.max_users);
                         });

// --- memory ---

TEST_F(EngineLoopTest, MemberMemoryNeverExceedsTheBudgetAtAnyStep) {
  const std::map<int64_t, int64_t> budget_blocks = {{1, 6}, {2, 4}, {3, 10}};
  std::mutex mu;
  std::map<int64_t, int64_t> peak;
  int64_t violations = 0, steps = 0;
  EngineLoopOptions o;
  o.on_step = [&](const engine::StepStats&) {
    std::lock_guard lock(mu);
    ++steps;
    for (const auto& [m, blocks] : budget_blocks) {
      const int64_t used = engine_->owner_usage(std::to_string(m)).bytes;
      peak[m] = std::max(peak[m], used);
      if (used > blocks * block()) ++violations;
    }
  };
  Recorder rec;
  EngineLoop loop(*engine_, o);
  for (const auto& [m, blocks] : budget_blocks) loop.set_member_limits(m, MemberLimits{4, blocks * block(), 1.0});
  std::vector<int64_t> ids;
  for (int64_t m = 1; m <= 3; ++m) {
    for (int i = 0; i < 5; ++i) {
      const int64_t id = m * 100 + i;
      ids.push_back(id);
      // 30 + 30 tokens: 4 blocks of 16 at most.
      ASSERT_TRUE(loop.submit(spec(id, m, 30, 30, i), rec.listener(id)).ok());
    }
  }
  loop.start();
  ASSERT_TRUE(rec.wait_finished(ids));
  for (int64_t id : ids) EXPECT_EQ(rec.get(id).result->outcome, Outcome::kDone) << id;
  std::lock_guard lock(mu);
  EXPECT_GT(steps, 0);
  EXPECT_EQ(violations, 0);
  EXPECT_GT(peak[3], 4 * block()) << "a 10-block budget runs two 4-block tasks at once";
  EXPECT_LE(peak[2], 4 * block());
  for (int64_t m = 1; m <= 3; ++m) EXPECT_EQ(engine_->owner_usage(std::to_string(m)).bytes, 0);
}

TEST_F(EngineLoopTest, RequestLargerThanTheBudgetIsRefusedWithNumbers) {
  Recorder rec;
  EngineLoop loop(*engine_, EngineLoopOptions{});
  loop.set_member_limits(5, MemberLimits{4, 4 * block(), 1.0});
  bool called = false;
  Listener l;
  l.on_finished = [&](const TaskResult&) { called = true; };
  l.on_queued = [&](int64_t, std::optional<double>) { called = true; };
  Status st = loop.submit(spec(1, 5, 30, 100), l);  // 130 tokens = 9 blocks of 64 KiB
  ASSERT_EQ(st.code(), StatusCode::kTooLarge);
  EXPECT_NE(st.message().find("needs 576 KiB of KV memory"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("your budget is 256 KiB"), std::string::npos) << st.message();
  EXPECT_EQ(loop.check_fits(5, 30, 100).code(), StatusCode::kTooLarge);
  EXPECT_TRUE(loop.check_fits(5, 30, 30).ok());
  // Other refusals.
  EXPECT_EQ(loop.submit(spec(2, 5, 600, 1), l).code(), StatusCode::kInvalidArgument) << "longer than n_ctx";
  TaskSpec empty = spec(3, 5, 1, 1);
  empty.request.prompt = Prompt();
  EXPECT_EQ(loop.submit(empty, l).code(), StatusCode::kInvalidArgument);
  TaskSpec bad = spec(4, 5, 4, 1);
  bad.priority = 9;
  EXPECT_EQ(loop.submit(bad, l).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(loop.submit(spec(5, 5, 4, 1), rec.listener(5)).ok());
  EXPECT_EQ(loop.submit(spec(5, 5, 4, 1), l).code(), StatusCode::kAlreadyExists);
  loop.start();
  ASSERT_TRUE(rec.wait_finished({5}));
  EXPECT_FALSE(called);
}

TEST_F(EngineLoopTest, ShrunkBudgetRefusesTasksThatNoLongerFit) {
  Recorder rec;
  EngineLoop loop(*engine_, EngineLoopOptions{});
  loop.set_member_limits(6, MemberLimits{1, 100 * block(), 1.0});
  ASSERT_TRUE(loop.submit(spec(1, 6, 20, 400), rec.listener(1)).ok());  // 27 blocks
  ASSERT_TRUE(loop.submit(spec(2, 6, 30, 100), rec.listener(2)).ok());  // 9 blocks, queued
  loop.start();
  ASSERT_TRUE(rec.wait([](auto& t) { return t[1].n_output >= 2; }));
  loop.set_member_limits(6, MemberLimits{1, 4 * block(), 1.0});
  ASSERT_TRUE(rec.wait_finished({1, 2}));
  for (int64_t id : {1, 2}) {
    const TaskLog t = rec.get(id);
    EXPECT_EQ(t.result->outcome, Outcome::kFailed) << id;
    EXPECT_EQ(t.result->error.code(), StatusCode::kTooLarge) << id << ": " << t.result->reason;
    EXPECT_FALSE(t.result->engine_fault);
  }
  EXPECT_GE(rec.get(1).preempted, 1) << "the running task gave way when it hit the new budget";
  EXPECT_TRUE(rec.get(2).started.empty());
  EXPECT_EQ(engine_->owner_usage("6").bytes, 0);
}

TEST_F(EngineLoopTest, CancelFreesTheMembersMemoryImmediately) {
  Recorder rec;
  EngineLoop loop(*engine_, EngineLoopOptions{});
  loop.set_member_limits(kA, MemberLimits{1, 0, 1.0});  // one at a time: task 2 waits
  ASSERT_TRUE(loop.submit(spec(1, kA, 40, 400), rec.listener(1)).ok());
  ASSERT_TRUE(loop.submit(spec(2, kA, 40, 400), rec.listener(2)).ok());
  loop.start();
  ASSERT_TRUE(rec.wait([](auto& t) { return t[1].n_output >= 5; }));
  EXPECT_GT(engine_->owner_usage("1").bytes, 0);
  // The queued one first.
  ASSERT_TRUE(loop.cancel(2).ok());
  ASSERT_TRUE(rec.get(2).result.has_value()) << "on_finished came before cancel returned";
  EXPECT_EQ(rec.get(2).result->outcome, Outcome::kCancelled);
  EXPECT_TRUE(rec.get(2).started.empty());
  // The running one: its memory is free when cancel returns.
  ASSERT_TRUE(loop.cancel(1).ok());
  EXPECT_EQ(engine_->owner_usage("1").bytes, 0);
  const TaskLog t1 = rec.get(1);
  ASSERT_TRUE(t1.result.has_value());
  EXPECT_EQ(t1.result->outcome, Outcome::kCancelled);
  EXPECT_GE(t1.result->n_output, 5);
  EXPECT_LT(t1.result->n_output, 400);
  EXPECT_EQ(loop.cancel(1).code(), StatusCode::kNotFound);
  EXPECT_EQ(loop.cancel(77).code(), StatusCode::kNotFound);
  EXPECT_EQ(loop.set_priority(1, 2).code(), StatusCode::kNotFound);
}

TEST_F(EngineLoopTest, PreemptedTaskIsRequeuedAndFinishesWithTheSameGreedyOutput) {
  // A pool of 12 blocks; A (40 + 100 tokens, 9 blocks) and B (10 + 110, 8 blocks)
  // cannot both finish in it. A has the higher counter (longer prompt): A gives way,
  // although B is the younger sequence (the runner's own choice would be B).
  EngineOptions opt = engine_->options();
  opt.kv_cache_bytes = block() * 12;
  auto small = Engine::load(opt);
  ASSERT_TRUE(small.ok());
  Engine& eng = **small;
  std::map<int64_t, TaskSpec> specs = {{1, spec(1, kA, 40, 100, 1)}, {2, spec(2, kB, 10, 110, 2)}};
  std::map<int64_t, std::string> expected;
  for (auto& [id, s] : specs) {
    GenerationRequest r = s.request;
    r.owner = "reference";
    auto c = eng.run_to_completion(r);
    ASSERT_TRUE(c.ok()) << c.status().to_string();
    ASSERT_EQ(c->tokens.size(), static_cast<size_t>(r.max_tokens));
    expected[id] = c->text;
  }
  eng.kv_cache().drop_cache();

  Recorder rec;
  EngineLoop loop(eng, EngineLoopOptions{});
  for (auto& [id, s] : specs) ASSERT_TRUE(loop.submit(s, rec.listener(id)).ok());
  loop.start();
  ASSERT_TRUE(rec.wait_finished({1, 2}));
  const TaskLog a = rec.get(1), b = rec.get(2);
  ASSERT_EQ(a.result->outcome, Outcome::kDone);
  ASSERT_EQ(b.result->outcome, Outcome::kDone);
  EXPECT_GE(a.preempted, 1);
  EXPECT_EQ(b.preempted, 0);
  EXPECT_EQ(a.result->preemptions, a.preempted);
  EXPECT_EQ(a.started.size(), static_cast<size_t>(1 + a.preempted)) << "restarted after each preemption";
  EXPECT_EQ(a.result->attempts, 1) << "a preemption is not a new attempt";
  EXPECT_EQ(a.text, expected[1]);
  EXPECT_EQ(b.text, expected[2]);
  EXPECT_EQ(a.result->n_output, 100);
  EXPECT_EQ(a.result->n_prompt, 40);
  EXPECT_GE(loop.stats().preemptions, 1);
}

// --- time ---

TEST_F(EngineLoopTest, TimeoutsEndRunningAndQueuedTasks) {
  FakeClock clock;
  EngineLoopOptions o;
  o.clock = &clock;
  Recorder rec;
  EngineLoop loop(*engine_, o);
  loop.set_member_limits(kA, MemberLimits{1, 0, 1.0});
  TaskSpec running = spec(1, kA, 20, 400);
  running.timeout = 5000ms;
  TaskSpec queued = spec(2, kA, 20, 400);
  queued.timeout = 1000ms;
  TaskSpec patient = spec(3, kB, 20, 4);  // no timeout
  ASSERT_TRUE(loop.submit(running, rec.listener(1)).ok());
  ASSERT_TRUE(loop.submit(queued, rec.listener(2)).ok());
  loop.start();
  ASSERT_TRUE(rec.wait([](auto& t) { return t[1].n_output >= 3; }));
  EXPECT_FALSE(rec.get(2).result.has_value());
  clock.advance_seconds(10);
  ASSERT_TRUE(rec.wait_finished({1, 2}));
  for (int64_t id : {1, 2}) {
    const TaskLog t = rec.get(id);
    EXPECT_EQ(t.result->outcome, Outcome::kTimedOut) << id;
    EXPECT_EQ(t.result->error.code(), StatusCode::kDeadlineExceeded) << id;
  }
  EXPECT_NE(rec.get(1).result->reason.find("while running"), std::string::npos) << rec.get(1).result->reason;
  EXPECT_NE(rec.get(2).result->reason.find("while queued"), std::string::npos) << rec.get(2).result->reason;
  EXPECT_EQ(engine_->owner_usage("1").bytes, 0);
  ASSERT_TRUE(loop.submit(patient, rec.listener(3)).ok());
  clock.advance_seconds(1000);
  ASSERT_TRUE(rec.wait_finished({3}));
  EXPECT_EQ(rec.get(3).result->outcome, Outcome::kDone);
}

// --- MAX_USERS, priorities, views ---

TEST_F(EngineLoopTest, AtMostMaxUsersMembersRunAtOnce) {
  EngineLoopOptions o;
  o.max_users = 2;
  o.default_limits = MemberLimits{2, 0, 1.0};
  Recorder rec;
  EngineLoop loop(*engine_, o);
  std::map<int64_t, int> running;  // loop thread only
  int peak_members = 0;
  std::vector<int64_t> ids;
  for (int64_t m = 1; m <= 4; ++m) {
    for (int i = 0; i < 3; ++i) {
      const int64_t id = m * 10 + i;
      ids.push_back(id);
      Listener l = rec.listener(id);
      auto started = l.on_started;
      auto finished = l.on_finished;
      l.on_started = [&, m, started](int a) {
        ++running[m];
        int members = 0;
        for (auto& [mm, n] : running) members += n > 0;
        peak_members = std::max(peak_members, members);
        started(a);
      };
      l.on_finished = [&, m, finished](const TaskResult& r) {
        --running[m];
        finished(r);
      };
      ASSERT_TRUE(loop.submit(spec(id, m, 20, 8, i), l).ok());
    }
  }
  loop.start();
  ASSERT_TRUE(rec.wait_finished(ids));
  EXPECT_EQ(peak_members, 2);
  for (int64_t id : ids) {
    EXPECT_EQ(rec.get(id).result->outcome, Outcome::kDone);
    EXPECT_FALSE(rec.get(id).positions.empty()) << "every task heard its queue position";
  }
  const LoopStats s = loop.stats();
  EXPECT_GT(s.steps, 0);
  EXPECT_GT(s.tokens_total, 12 * 8);
  EXPECT_GT(s.busy_fraction, 0);
  EXPECT_GT(s.tokens_per_second, 0);
}

TEST_F(EngineLoopTest, PriorityMovesAQueuedTaskAheadAndViewsShowTheQueue) {
  EngineLoopOptions o;
  o.max_users = 1;
  Recorder rec;
  EngineLoop loop(*engine_, o);
  loop.set_member_limits(kA, MemberLimits{1, 0, 1.0});
  ASSERT_TRUE(loop.submit(spec(1, kA, 20, 400), rec.listener(1)).ok());
  ASSERT_TRUE(loop.submit(spec(2, kA, 20, 4), rec.listener(2)).ok());
  ASSERT_TRUE(loop.submit(spec(3, kB, 20, 4), rec.listener(3)).ok());
  ASSERT_TRUE(loop.submit(spec(4, 3, 20, 4), rec.listener(4)).ok());
  loop.start();
  ASSERT_TRUE(rec.wait([](auto& t) { return t[1].n_output >= 2; }));
  ASSERT_TRUE(loop.set_priority(4, 3).ok());
  EXPECT_EQ(loop.set_priority(4, 7).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(rec.wait([](auto& t) { return !t[4].positions.empty() && t[4].positions.back() == 1; }));
  // The team view: task 1 running, three queued with positions 1..3.
  TeamView v;
  for (int i = 0; i < 100; ++i) {
    v = loop.team_view();
    if (v.queue.queued == 3 && !v.queue.members.empty() && v.queue.members.back().positions == std::vector<int64_t>{1})
      break;
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(v.running.size(), 1u);
  EXPECT_EQ(v.running[0].task_id, 1);
  EXPECT_EQ(v.queue.queued, 3);
  std::set<int64_t> positions;
  for (const auto& m : v.queue.members) positions.insert(m.positions.begin(), m.positions.end());
  EXPECT_EQ(positions, (std::set<int64_t>{1, 2, 3}));
  const LoopStats s = loop.stats();
  EXPECT_EQ(s.running_members, 1);
  EXPECT_EQ(s.queued_tasks, 3);
  bool saw_kv = false;
  for (const MemberStats& m : s.members) saw_kv = saw_kv || (m.member == kA && m.kv_bytes > 0);
  EXPECT_TRUE(saw_kv) << "per-member KV bytes from the engine";
  ASSERT_TRUE(loop.cancel(1).ok());
  ASSERT_TRUE(rec.wait_finished({2, 3, 4}));
  EXPECT_LT(rec.get(4).started.front(), rec.get(2).started.front());
  EXPECT_LT(rec.get(4).started.front(), rec.get(3).started.front());
}

TEST_F(EngineLoopTest, StopAbandonsTasksWithoutCallbacksAndFreesMemory) {
  Recorder rec;
  {
    EngineLoop loop(*engine_, EngineLoopOptions{});
    ASSERT_TRUE(loop.submit(spec(1, kA, 20, 400), rec.listener(1)).ok());
    loop.start();
    ASSERT_TRUE(rec.wait([](auto& t) { return t[1].n_output >= 2; }));
    loop.stop();
    EXPECT_EQ(loop.submit(spec(2, kA, 20, 4), Listener{}).code(), StatusCode::kFailedPrecondition);
  }
  EXPECT_FALSE(rec.get(1).result.has_value());
  EXPECT_EQ(engine_->owner_usage("1").bytes, 0);
}

// --- longer: a flooding member against two light ones, fair vs fifo ---

struct FloodStats {
  double light_mean_wait = 0;  // queue seconds of the light members' tasks
  double light_max_wait = 0;
  double flood_mean_wait = 0;
};

FloodStats run_flood(Engine& engine, QueuePolicy policy,
                     const std::function<TaskSpec(int64_t, int64_t, int32_t, int32_t, int32_t)>& make) {
  EngineLoopOptions o;
  o.policy = policy;
  o.max_users = 2;
  o.default_limits = MemberLimits{3, 0, 1.0};
  Recorder rec;
  EngineLoop loop(engine, o);
  std::vector<int64_t> flood, light;
  for (int64_t i = 1; i <= 40; ++i) {
    flood.push_back(i);
    EXPECT_TRUE(loop.submit(make(i, 1, 64, 32, static_cast<int32_t>(i)), rec.listener(i)).ok());
  }
  loop.start();
  for (int k = 0; k < 6; ++k) {
    std::this_thread::sleep_for(25ms);
    for (int64_t m : {2, 3}) {
      const int64_t id = m * 1000 + k;
      light.push_back(id);
      EXPECT_TRUE(loop.submit(make(id, m, 16, 8, k), rec.listener(id)).ok());
    }
  }
  std::vector<int64_t> all = flood;
  all.insert(all.end(), light.begin(), light.end());
  EXPECT_TRUE(rec.wait_finished(all, 300s));
  FloodStats s;
  for (int64_t id : light) {
    const double w = rec.get(id).result->queue_seconds;
    s.light_mean_wait += w / static_cast<double>(light.size());
    s.light_max_wait = std::max(s.light_max_wait, w);
  }
  for (int64_t id : flood) s.flood_mean_wait += rec.get(id).result->queue_seconds / static_cast<double>(flood.size());
  return s;
}

TEST_F(EngineLoopTest, SlowFloodingMemberDoesNotMakeOthersWait) {
  const FloodStats fair = run_flood(*engine_, QueuePolicy::kFair, spec);
  const FloodStats fifo = run_flood(*engine_, QueuePolicy::kFifo, spec);
  std::printf("policy  light mean wait  light max wait  flood mean wait (s)\n");
  std::printf("fair    %15.3f %15.3f %16.3f\n", fair.light_mean_wait, fair.light_max_wait, fair.flood_mean_wait);
  std::printf("fifo    %15.3f %15.3f %16.3f\n", fifo.light_mean_wait, fifo.light_max_wait, fifo.flood_mean_wait);
  EXPECT_LT(fair.light_mean_wait * 4, fifo.light_mean_wait);
  EXPECT_LT(fair.light_max_wait, fifo.light_max_wait);
}

}  // namespace
}  // namespace teamvl::scheduler
