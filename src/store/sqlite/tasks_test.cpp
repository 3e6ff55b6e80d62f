#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#include "store/sqlite/test_util.h"

namespace teamvl::store::sqlite {
namespace {

class TasksTest : public StoreTest {
 protected:
  Task make(int64_t user_id, const std::string& label = "t") {
    Task t;
    t.user_id = user_id;
    t.kind = task_kind::kChat;
    t.label = label;
    t.request_json = R"({"messages":[{"role":"user","content":"hi"}]})";
    return t;
  }
  int64_t add_task(int64_t user_id, const std::string& label = "t") {
    auto t = store_->create_task(make(user_id, label));
    EXPECT_TRUE(t.ok()) << t.status().to_string();
    return t.ok() ? t->id : 0;
  }
  std::string state_of(int64_t id) {
    auto t = store_->get_task(id);
    return t.ok() ? t->state : t.status().to_string();
  }
  static TaskOutcome outcome(const std::string& state) {
    TaskOutcome o;
    o.state = state;
    return o;
  }
  std::vector<int64_t> ids(const TaskFilter& f) {
    auto tasks = store_->list_tasks(f);
    EXPECT_TRUE(tasks.ok()) << tasks.status().to_string();
    std::vector<int64_t> out;
    if (tasks.ok()) {
      for (const Task& t : *tasks) out.push_back(t.id);
    }
    return out;
  }
};

TEST_F(TasksTest, CreateFillsIdAndTimesAndReadsBack) {
  const int64_t uid = add_user("ann");
  ChatSession cs;
  cs.user_id = uid;
  const int64_t session = store_->create_chat_session(cs)->id;
  ApiKey k;
  k.user_id = uid;
  k.prefix = "tvl_ann";
  k.secret_hash = "h";
  const int64_t key = store_->create_api_key(k)->id;

  Task t = make(uid, "describe cat.png");
  t.kind = task_kind::kApi;
  t.priority = 3;
  t.input_tokens = 120;
  t.image_tokens = 100;
  t.max_attempts = 3;
  t.timeout_s = 600;
  t.session_id = session;
  t.api_key_id = key;
  // Result fields of a new task are ignored: it starts queued and empty.
  t.result_text = "stale";
  t.error_code = "x";
  t.attempts = 7;
  t.started_at = 5;
  t.finished_at = 6;
  t.compute_seconds = 1.5;
  auto created = store_->create_task(t);
  ASSERT_OK(created);
  EXPECT_GT(created->id, 0);
  EXPECT_EQ(created->created_at, clock_.now_unix());

  auto got = store_->get_task(created->id);
  ASSERT_OK(got);
  EXPECT_EQ(got->id, created->id);
  EXPECT_EQ(got->user_id, uid);
  EXPECT_EQ(got->kind, "api");
  EXPECT_EQ(got->state, "queued");
  EXPECT_EQ(got->priority, 3);
  EXPECT_EQ(got->request_json, t.request_json);
  EXPECT_EQ(got->result_text, "");
  EXPECT_EQ(got->error_code, "");
  EXPECT_EQ(got->error_message, "");
  EXPECT_EQ(got->input_tokens, 120);
  EXPECT_EQ(got->image_tokens, 100);
  EXPECT_EQ(got->output_tokens, 0);
  EXPECT_EQ(got->attempts, 0);
  EXPECT_EQ(got->max_attempts, 3);
  EXPECT_EQ(got->timeout_s, 600);
  EXPECT_EQ(got->session_id, session);
  EXPECT_EQ(got->api_key_id, key);
  EXPECT_EQ(got->label, "describe cat.png");
  EXPECT_EQ(got->created_at, clock_.now_unix());
  EXPECT_EQ(got->started_at, 0);
  EXPECT_EQ(got->finished_at, 0);
  EXPECT_EQ(got->compute_seconds, 0);

  // A caller-chosen creation time is kept; an empty request is "{}".
  Task bare;
  bare.user_id = uid;
  bare.created_at = 1234;
  auto b = store_->create_task(bare);
  ASSERT_OK(b);
  EXPECT_EQ(store_->get_task(b->id)->created_at, 1234);
  EXPECT_EQ(store_->get_task(b->id)->request_json, "{}");
  EXPECT_FALSE(store_->get_task(b->id)->session_id.has_value());
  EXPECT_FALSE(store_->get_task(b->id)->api_key_id.has_value());
}

TEST_F(TasksTest, CreateRefusesBadTasks) {
  const int64_t uid = add_user("bea");
  const struct {
    const char* what;
    void (*change)(Task&);
    StatusCode code;
  } cases[] = {
      {"unknown kind", [](Task& t) { t.kind = "batch"; }, StatusCode::kInvalidArgument},
      {"empty kind", [](Task& t) { t.kind = ""; }, StatusCode::kInvalidArgument},
      {"not queued", [](Task& t) { t.state = "running"; }, StatusCode::kInvalidArgument},
      {"unknown state", [](Task& t) { t.state = "paused"; }, StatusCode::kInvalidArgument},
      {"no attempts", [](Task& t) { t.max_attempts = 0; }, StatusCode::kInvalidArgument},
      {"negative timeout", [](Task& t) { t.timeout_s = -1; }, StatusCode::kInvalidArgument},
      {"negative tokens", [](Task& t) { t.input_tokens = -5; }, StatusCode::kInvalidArgument},
      {"negative image tokens", [](Task& t) { t.image_tokens = -1; },
       StatusCode::kInvalidArgument},
      {"request not JSON", [](Task& t) { t.request_json = "{messages"; },
       StatusCode::kInvalidArgument},
      {"request an array", [](Task& t) { t.request_json = "[1]"; },
       StatusCode::kInvalidArgument},
      {"request two objects", [](Task& t) { t.request_json = "{} {}"; },
       StatusCode::kInvalidArgument},
      {"no such user", [](Task& t) { t.user_id += 100; }, StatusCode::kNotFound},
      {"no such session", [](Task& t) { t.session_id = 999; }, StatusCode::kNotFound},
      {"no such key", [](Task& t) { t.api_key_id = 999; }, StatusCode::kNotFound},
  };
  for (const auto& c : cases) {
    Task t = make(uid);
    c.change(t);
    EXPECT_CODE(store_->create_task(t), c.code) << c.what;
  }
  EXPECT_TRUE(store_->list_tasks(TaskFilter{})->empty());
  // Whitespace around an object is fine.
  Task ok = make(uid);
  ok.request_json = "  {\"a\": 1}\n";
  EXPECT_OK(store_->create_task(ok));
}

TEST_F(TasksTest, RunsThroughItsStatesOnce) {
  const int64_t id = add_task(add_user("cy"));
  clock_.advance_seconds(10);
  ASSERT_OK(store_->mark_task_running(id, 0));  // 0 = now
  auto running = store_->get_task(id);
  ASSERT_OK(running);
  EXPECT_EQ(running->state, "running");
  EXPECT_EQ(running->attempts, 1);
  EXPECT_EQ(running->started_at, clock_.now_unix());
  // Started twice: refused, nothing changes.
  EXPECT_CODE(store_->mark_task_running(id, 99), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->get_task(id)->attempts, 1);

  TaskOutcome o = outcome("done");
  o.result_text = "a cat";
  o.input_tokens = 40;
  o.image_tokens = 30;
  o.output_tokens = 2;
  o.compute_seconds = 0.25;
  o.finished_at = 5555;
  ASSERT_OK(store_->finish_task(id, o));
  auto done = store_->get_task(id);
  ASSERT_OK(done);
  EXPECT_EQ(done->state, "done");
  EXPECT_EQ(done->result_text, "a cat");
  EXPECT_EQ(done->input_tokens, 40);
  EXPECT_EQ(done->image_tokens, 30);
  EXPECT_EQ(done->output_tokens, 2);
  EXPECT_DOUBLE_EQ(done->compute_seconds, 0.25);
  EXPECT_EQ(done->finished_at, 5555);
  EXPECT_EQ(done->started_at, running->started_at);

  // A finished task stays as it is.
  TaskOutcome again = outcome("failed");
  again.error_code = "engine_fault";
  EXPECT_CODE(store_->finish_task(id, again), StatusCode::kFailedPrecondition);
  EXPECT_CODE(store_->mark_task_running(id, 1), StatusCode::kFailedPrecondition);
  EXPECT_CODE(store_->requeue_task(id, RequeueReason::kRetry), StatusCode::kFailedPrecondition);
  EXPECT_CODE(store_->set_task_priority(id, 9), StatusCode::kFailedPrecondition);
  auto after = store_->get_task(id);
  ASSERT_OK(after);
  EXPECT_EQ(after->state, "done");
  EXPECT_EQ(after->error_code, "");
  EXPECT_EQ(after->attempts, 1);
  EXPECT_EQ(after->priority, 0);
}

TEST_F(TasksTest, EveryFinalStateIsReachableFromQueuedAndRunning) {
  const int64_t uid = add_user("dee");
  for (const char* final_state : {"done", "failed", "cancelled", "timed_out"}) {
    for (bool start : {false, true}) {
      const int64_t id = add_task(uid);
      if (start) {
        ASSERT_OK(store_->mark_task_running(id, 100));
      }
      TaskOutcome o = outcome(final_state);
      o.error_code = "code";
      o.error_message = "message";
      ASSERT_OK(store_->finish_task(id, o)) << final_state << " start=" << start;
      auto t = store_->get_task(id);
      ASSERT_OK(t);
      EXPECT_EQ(t->state, final_state);
      EXPECT_EQ(t->error_code, "code");
      EXPECT_EQ(t->error_message, "message");
      EXPECT_EQ(t->started_at, start ? 100 : 0);  // cancelled while queued: never started
      EXPECT_EQ(t->finished_at, clock_.now_unix());
      EXPECT_CODE(store_->finish_task(id, o), StatusCode::kFailedPrecondition);
    }
  }
}

TEST_F(TasksTest, FinishRefusesBadOutcomes) {
  const int64_t id = add_task(add_user("eve"));
  for (const char* bad : {"", "queued", "running", "finished", "DONE"}) {
    EXPECT_CODE(store_->finish_task(id, outcome(bad)), StatusCode::kInvalidArgument) << bad;
  }
  TaskOutcome o = outcome("done");
  o.output_tokens = -1;
  EXPECT_CODE(store_->finish_task(id, o), StatusCode::kInvalidArgument);
  o = outcome("done");
  o.compute_seconds = std::numeric_limits<double>::quiet_NaN();
  EXPECT_CODE(store_->finish_task(id, o), StatusCode::kInvalidArgument);
  o.compute_seconds = -0.5;
  EXPECT_CODE(store_->finish_task(id, o), StatusCode::kInvalidArgument);
  EXPECT_EQ(state_of(id), "queued");
}

TEST_F(TasksTest, MissingTaskIsNotFound) {
  EXPECT_CODE(store_->get_task(77), StatusCode::kNotFound);
  EXPECT_CODE(store_->mark_task_running(77, 1), StatusCode::kNotFound);
  EXPECT_CODE(store_->finish_task(77, outcome("done")), StatusCode::kNotFound);
  EXPECT_CODE(store_->requeue_task(77, RequeueReason::kRetry), StatusCode::kNotFound);
  EXPECT_CODE(store_->set_task_priority(77, 1), StatusCode::kNotFound);
}

TEST_F(TasksTest, RequeueKeepsARetryAttemptAndGivesBackAPreemption) {
  const int64_t id = add_task(add_user("fay"));
  // Only a running task goes back to the queue.
  EXPECT_CODE(store_->requeue_task(id, RequeueReason::kRetry), StatusCode::kFailedPrecondition);

  ASSERT_OK(store_->mark_task_running(id, 10));
  ASSERT_OK(store_->requeue_task(id, RequeueReason::kRetry));
  auto t = store_->get_task(id);
  ASSERT_OK(t);
  EXPECT_EQ(t->state, "queued");
  EXPECT_EQ(t->attempts, 1);
  EXPECT_EQ(t->started_at, 0);

  ASSERT_OK(store_->mark_task_running(id, 20));
  EXPECT_EQ(store_->get_task(id)->attempts, 2);
  ASSERT_OK(store_->requeue_task(id, RequeueReason::kPreempted));
  t = store_->get_task(id);
  EXPECT_EQ(t->state, "queued");
  EXPECT_EQ(t->attempts, 1);

  ASSERT_OK(store_->mark_task_running(id, 30));
  EXPECT_EQ(store_->get_task(id)->attempts, 2);
  EXPECT_EQ(store_->get_task(id)->started_at, 30);
}

TEST_F(TasksTest, InterruptedTasksAreQueuedAgainAfterReopen) {
  const int64_t uid = add_user("gus");
  const int64_t queued = add_task(uid);
  const int64_t running1 = add_task(uid);
  const int64_t running2 = add_task(uid);
  const int64_t done = add_task(uid);
  const int64_t cancelled = add_task(uid);
  ASSERT_OK(store_->mark_task_running(running1, 10));
  ASSERT_OK(store_->mark_task_running(running2, 11));
  ASSERT_OK(store_->mark_task_running(done, 12));
  ASSERT_OK(store_->finish_task(done, outcome("done")));
  ASSERT_OK(store_->finish_task(cancelled, outcome("cancelled")));

  reopen();  // what a restart after kill -9 finds: every committed write
  auto n = store_->requeue_interrupted_tasks();
  ASSERT_OK(n);
  EXPECT_EQ(*n, 2);
  EXPECT_EQ(state_of(queued), "queued");
  EXPECT_EQ(state_of(running1), "queued");
  EXPECT_EQ(state_of(running2), "queued");
  EXPECT_EQ(state_of(done), "done");
  EXPECT_EQ(state_of(cancelled), "cancelled");
  // The interrupted start still counts; the task can start again.
  EXPECT_EQ(store_->get_task(running1)->attempts, 1);
  EXPECT_EQ(store_->get_task(running1)->started_at, 0);
  EXPECT_OK(store_->mark_task_running(running1, 50));
  EXPECT_EQ(store_->get_task(running1)->attempts, 2);

  EXPECT_EQ(*store_->requeue_interrupted_tasks(), 1);  // running1 again
  EXPECT_EQ(*store_->requeue_interrupted_tasks(), 0);
}

// Two engine loops (threads on one connection and on two connections) try
// to start every task: each task is started exactly once.
TEST_F(TasksTest, ConcurrentStartsExactlyOneWins) {
  const int64_t uid = add_user("hal");
  constexpr int kTasks = 40;
  std::vector<int64_t> tasks;
  for (int i = 0; i < kTasks; ++i) tasks.push_back(add_task(uid));
  std::unique_ptr<Store> other = open_another();
  ASSERT_NE(other, nullptr);

  std::vector<std::atomic<int>> wins(kTasks);
  std::atomic<int> refusals{0}, unexpected{0};
  auto loop = [&](Store* s, bool reverse) {
    for (int k = 0; k < kTasks; ++k) {
      const int i = reverse ? kTasks - 1 - k : k;
      Status st = s->mark_task_running(tasks[i], 100);
      if (st.ok()) {
        ++wins[i];
      } else if (st.code() == StatusCode::kFailedPrecondition) {
        ++refusals;
      } else {
        ++unexpected;
        ADD_FAILURE() << st.to_string();
      }
    }
  };
  std::vector<std::thread> threads;
  threads.emplace_back(loop, store_.get(), false);
  threads.emplace_back(loop, store_.get(), true);
  threads.emplace_back(loop, other.get(), false);
  threads.emplace_back(loop, other.get(), true);
  for (auto& t : threads) t.join();

  for (int i = 0; i < kTasks; ++i) {
    EXPECT_EQ(wins[i].load(), 1) << "task " << tasks[i];
    EXPECT_EQ(store_->get_task(tasks[i])->attempts, 1);
  }
  EXPECT_EQ(refusals.load(), 3 * kTasks);
  EXPECT_EQ(unexpected.load(), 0);
}

// A cancel and the engine's "done" race: exactly one outcome is written.
TEST_F(TasksTest, ConcurrentFinishesExactlyOneWins) {
  const int64_t uid = add_user("ida");
  constexpr int kTasks = 30;
  std::vector<int64_t> tasks;
  for (int i = 0; i < kTasks; ++i) {
    tasks.push_back(add_task(uid));
    ASSERT_OK(store_->mark_task_running(tasks.back(), 1));
  }
  std::unique_ptr<Store> other = open_another();
  ASSERT_NE(other, nullptr);
  std::vector<std::atomic<int>> wins(kTasks);
  auto loop = [&](Store* s, const char* state) {
    for (int i = 0; i < kTasks; ++i) {
      TaskOutcome o;
      o.state = state;
      o.result_text = state;
      Status st = s->finish_task(tasks[i], o);
      if (st.ok()) {
        ++wins[i];
      } else {
        EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << st.to_string();
      }
    }
  };
  std::thread a(loop, store_.get(), "done");
  std::thread b(loop, other.get(), "cancelled");
  a.join();
  b.join();
  for (int i = 0; i < kTasks; ++i) {
    EXPECT_EQ(wins[i].load(), 1);
    auto t = store_->get_task(tasks[i]);
    ASSERT_OK(t);
    EXPECT_EQ(t->result_text, t->state);  // the winner's outcome, whole
  }
}

TEST_F(TasksTest, CountsQueuedAndRunningPerMember) {
  const int64_t a = add_user("jo");
  const int64_t b = add_user("kai");
  EXPECT_EQ(*store_->count_active_tasks(a), 0);
  const int64_t t1 = add_task(a);
  const int64_t t2 = add_task(a);
  const int64_t t3 = add_task(a);
  add_task(b);
  ASSERT_OK(store_->mark_task_running(t1, 1));
  EXPECT_EQ(*store_->count_active_tasks(a), 3);
  EXPECT_EQ(*store_->count_active_tasks(b), 1);
  ASSERT_OK(store_->finish_task(t1, outcome("done")));
  ASSERT_OK(store_->finish_task(t2, outcome("cancelled")));
  EXPECT_EQ(*store_->count_active_tasks(a), 1);
  ASSERT_OK(store_->mark_task_running(t3, 1));
  ASSERT_OK(store_->requeue_task(t3, RequeueReason::kPreempted));
  EXPECT_EQ(*store_->count_active_tasks(a), 1);
  EXPECT_EQ(*store_->count_active_tasks(b + 100), 0);
}

TEST_F(TasksTest, PriorityChangesWhileQueuedOrRunning) {
  const int64_t id = add_task(add_user("lu"));
  ASSERT_OK(store_->set_task_priority(id, 5));
  EXPECT_EQ(store_->get_task(id)->priority, 5);
  ASSERT_OK(store_->mark_task_running(id, 1));
  ASSERT_OK(store_->set_task_priority(id, -2));
  EXPECT_EQ(store_->get_task(id)->priority, -2);
  ASSERT_OK(store_->finish_task(id, outcome("done")));
  EXPECT_CODE(store_->set_task_priority(id, 7), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->get_task(id)->priority, -2);
}

TEST_F(TasksTest, ListFiltersNewestFirst) {
  const int64_t a = add_user("max");
  const int64_t b = add_user("ned");
  const int64_t a1 = add_task(a);
  const int64_t b1 = add_task(b);
  const int64_t a2 = add_task(a);
  const int64_t a3 = add_task(a);
  const int64_t b2 = add_task(b);
  ASSERT_OK(store_->mark_task_running(a2, 1));
  ASSERT_OK(store_->finish_task(a3, outcome("failed")));
  ASSERT_OK(store_->mark_task_running(b2, 1));

  const struct {
    const char* what;
    TaskFilter filter;
    std::vector<int64_t> want;
  } cases[] = {
      {"everything", TaskFilter{}, {b2, a3, a2, b1, a1}},
      {"one member", TaskFilter{a, {}, 100, std::nullopt}, {a3, a2, a1}},
      {"one state", TaskFilter{std::nullopt, {"queued"}, 100, std::nullopt}, {b1, a1}},
      {"active", TaskFilter{std::nullopt, {"queued", "running"}, 100, std::nullopt},
       {b2, a2, b1, a1}},
      {"member and states", TaskFilter{b, {"running", "done"}, 100, std::nullopt}, {b2}},
      {"limit", TaskFilter{std::nullopt, {}, 2, std::nullopt}, {b2, a3}},
      {"before", TaskFilter{std::nullopt, {}, 100, a2}, {b1, a1}},
      {"all filters", TaskFilter{a, {"queued", "running"}, 1, a3}, {a2}},
      {"nothing", TaskFilter{b, {"cancelled"}, 100, std::nullopt}, {}},
      {"unknown member", TaskFilter{b + 9, {}, 100, std::nullopt}, {}},
  };
  for (const auto& c : cases) EXPECT_EQ(ids(c.filter), c.want) << c.what;

  EXPECT_CODE(store_->list_tasks(TaskFilter{std::nullopt, {}, 0, std::nullopt}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(store_->list_tasks(TaskFilter{std::nullopt, {"paused"}, 10, std::nullopt}),
              StatusCode::kInvalidArgument);
}

TEST_F(TasksTest, PagingVisitsEveryTaskOnce) {
  const int64_t uid = add_user("ola");
  std::vector<int64_t> all;
  for (int i = 0; i < 23; ++i) all.push_back(add_task(uid, "t" + std::to_string(i)));
  std::reverse(all.begin(), all.end());

  std::vector<int64_t> seen;
  TaskFilter page;
  page.user_id = uid;
  page.limit = 5;
  for (int pages = 0; pages < 10; ++pages) {
    std::vector<int64_t> got = ids(page);
    if (got.empty()) break;
    EXPECT_LE(got.size(), 5u);
    seen.insert(seen.end(), got.begin(), got.end());
    page.before_id = got.back();
  }
  EXPECT_EQ(seen, all);
}

}  // namespace
}  // namespace teamvl::store::sqlite
