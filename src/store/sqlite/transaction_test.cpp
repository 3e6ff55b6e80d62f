// in_transaction semantics and many threads (and connections) at once.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "store/sqlite/test_util.h"

namespace teamvl::store::sqlite {
namespace {

using namespace std::chrono_literals;
using TransactionTest = StoreTest;

User named(const std::string& name) {
  User u;
  u.username = name;
  return u;
}

TEST_F(TransactionTest, CommitsWhenFnReturnsOk) {
  ASSERT_OK(store_->in_transaction([&]() -> Status {
    TEAMVL_RETURN_IF_ERROR(store_->create_user(named("t1")).status());
    TEAMVL_RETURN_IF_ERROR(store_->create_user(named("t2")).status());
    // Reads inside see the transaction's own writes.
    TEAMVL_ASSIGN_OR_RETURN(User t1, store_->find_user("t1"));
    return store_->append_audit(AuditEntry{0, 0, t1.id, "t1", "user.create", "", "", ""});
  }));
  reopen();
  EXPECT_OK(store_->find_user("t1"));
  EXPECT_OK(store_->find_user("t2"));
  EXPECT_EQ(store_->list_audit(10, std::nullopt)->size(), 1u);
}

TEST_F(TransactionTest, RollsBackOnErrorAndReturnsFnStatus) {
  Status st = store_->in_transaction([&]() -> Status {
    TEAMVL_RETURN_IF_ERROR(store_->create_user(named("r1")).status());
    TEAMVL_RETURN_IF_ERROR(store_->set_team_setting("x", "1"));
    return Status::PermissionDenied("changed my mind");
  });
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(st.message(), "changed my mind");
  EXPECT_CODE(store_->find_user("r1"), StatusCode::kNotFound);
  EXPECT_TRUE(store_->get_team_settings()->empty());
}

TEST_F(TransactionTest, RollsBackWhenAStoreCallFailsInside) {
  add_user("dup");
  Status st = store_->in_transaction([&]() -> Status {
    TEAMVL_RETURN_IF_ERROR(store_->create_user(named("fresh")).status());
    return store_->create_user(named("dup")).status();
  });
  EXPECT_EQ(st.code(), StatusCode::kAlreadyExists);
  EXPECT_CODE(store_->find_user("fresh"), StatusCode::kNotFound);
}

TEST_F(TransactionTest, RollsBackAndRethrowsWhenFnThrows) {
  EXPECT_THROW((void)store_->in_transaction([&]() -> Status {
                 (void)store_->create_user(named("thrower"));
                 throw std::runtime_error("boom");
               }),
               std::runtime_error);
  EXPECT_CODE(store_->find_user("thrower"), StatusCode::kNotFound);
  // The connection is usable afterwards, in and out of transactions.
  EXPECT_OK(store_->create_user(named("after")));
  EXPECT_OK(store_->in_transaction([&] { return store_->set_team_setting("k", "2"); }));
}

TEST_F(TransactionTest, NestedCallsAndTransactions) {
  ASSERT_OK(store_->in_transaction([&]() -> Status {
    // complete_setup and rotate_api_key open transactions of their own.
    TEAMVL_ASSIGN_OR_RETURN(User admin, store_->complete_setup(named("root")));
    ApiKey k;
    k.user_id = admin.id;
    k.prefix = "p1";
    TEAMVL_ASSIGN_OR_RETURN(ApiKey first, store_->create_api_key(k));
    k.prefix = "p2";
    TEAMVL_RETURN_IF_ERROR(store_->rotate_api_key(first.id, k, 99).status());
    // An inner transaction that fails undoes only its own writes.
    Status inner = store_->in_transaction([&]() -> Status {
      TEAMVL_RETURN_IF_ERROR(store_->create_user(named("inner")).status());
      return Status::Cancelled("inner gives up");
    });
    EXPECT_EQ(inner.code(), StatusCode::kCancelled);
    return store_->create_user(named("outer")).status();
  }));
  EXPECT_TRUE(*store_->setup_done());
  EXPECT_EQ(store_->find_api_key("p1")->expires_at, 99);
  EXPECT_OK(store_->find_api_key("p2"));
  EXPECT_CODE(store_->find_user("inner"), StatusCode::kNotFound);
  EXPECT_OK(store_->find_user("outer"));
}

TEST_F(TransactionTest, FailedNestedSetupRollsBackWithOuter) {
  Status st = store_->in_transaction([&]() -> Status {
    TEAMVL_RETURN_IF_ERROR(store_->complete_setup(named("root")).status());
    return Status::Internal("later step failed");
  });
  EXPECT_EQ(st.code(), StatusCode::kInternal);
  EXPECT_FALSE(*store_->setup_done());
  EXPECT_OK(store_->complete_setup(named("root")));
}

TEST_F(TransactionTest, OtherThreadWaitsForTheTransaction) {
  std::atomic<bool> inside{false};
  std::atomic<bool> committed{false};
  std::thread writer([&] {
    Status st = store_->in_transaction([&]() -> Status {
      TEAMVL_RETURN_IF_ERROR(store_->create_user(named("first")).status());
      inside = true;
      std::this_thread::sleep_for(150ms);  // the other thread blocks meanwhile
      committed = true;
      return Status::Ok();
    });
    EXPECT_OK(st);
  });
  while (!inside) std::this_thread::yield();
  // Runs while the transaction is open: must wait for it, then succeed and
  // see its result.
  auto second = store_->create_user(named("second"));
  EXPECT_TRUE(committed.load());
  EXPECT_OK(second);
  EXPECT_OK(store_->find_user("first"));
  writer.join();
}

TEST_F(TransactionTest, SecondConnectionWaitsThroughBusyTimeout) {
  std::unique_ptr<Store> other = open_another();
  ASSERT_NE(other, nullptr);
  std::atomic<bool> inside{false};
  std::thread writer([&] {
    EXPECT_OK(store_->in_transaction([&]() -> Status {
      TEAMVL_RETURN_IF_ERROR(store_->create_user(named("holder")).status());
      inside = true;
      std::this_thread::sleep_for(200ms);
      return Status::Ok();
    }));
  });
  while (!inside) std::this_thread::yield();
  const auto start = std::chrono::steady_clock::now();
  EXPECT_OK(other->create_user(named("waiter")));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 50ms);
  writer.join();
  EXPECT_OK(store_->find_user("waiter"));
  EXPECT_OK(other->find_user("holder"));
}

TEST_F(TransactionTest, NoBusyTimeoutMeansUnavailable) {
  SqliteStoreOptions impatient;
  impatient.busy_timeout_ms = 0;
  auto other = open_sqlite_store(path_, impatient);
  ASSERT_OK(other);
  std::atomic<bool> inside{false};
  std::atomic<bool> release{false};
  std::thread writer([&] {
    EXPECT_OK(store_->in_transaction([&]() -> Status {
      inside = true;
      while (!release) std::this_thread::yield();
      return Status::Ok();
    }));
  });
  while (!inside) std::this_thread::yield();
  EXPECT_CODE((*other)->create_user(named("loser")), StatusCode::kUnavailable);
  release = true;
  writer.join();
  EXPECT_OK((*other)->create_user(named("winner")));
}

TEST_F(TransactionTest, EightThreadsWritingAllLand) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 25;
  const int64_t shared = add_user("shared");
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string name = "u" + std::to_string(t) + "_" + std::to_string(i);
        Usage d;
        d.user_id = shared;
        d.day = "2026-05-01";
        d.inferences = 1;
        d.output_tokens = 3;
        bool ok = store_->create_user(named(name)).ok() && store_->add_usage(d).ok() &&
                  store_->append_audit(AuditEntry{0, 0, {}, "t", "write", name, "", ""}).ok();
        // Every fifth round goes through a transaction with two writes.
        if (i % 5 == 0) {
          ok = ok && store_->in_transaction([&]() -> Status {
                       TEAMVL_RETURN_IF_ERROR(store_->add_usage(d));
                       return store_->set_team_setting("last_" + std::to_string(t),
                                                       std::to_string(i));
                     }).ok();
        }
        if (!ok) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(store_->list_users()->size(), size_t{kThreads * kPerThread + 1});
  auto u = store_->get_usage(shared, "2026-05-01");
  ASSERT_OK(u);
  const int64_t expected = kThreads * (kPerThread + kPerThread / 5);
  EXPECT_EQ(u->inferences, expected);
  EXPECT_EQ(u->output_tokens, 3 * expected);
  EXPECT_EQ(store_->list_audit(100000, std::nullopt)->size(), size_t{kThreads * kPerThread});
  EXPECT_EQ(store_->get_team_settings()->size(), size_t{kThreads});
}

TEST_F(TransactionTest, TwoConnectionsAddingUsageNeverLoseAnIncrement) {
  std::unique_ptr<Store> other = open_another();
  ASSERT_NE(other, nullptr);
  const int64_t uid = add_user("counted");
  constexpr int kAdds = 100;
  auto adder = [&](Store* s) {
    for (int i = 0; i < kAdds; ++i) {
      Usage d;
      d.user_id = uid;
      d.day = "2026-06-01";
      d.input_tokens = 1;
      EXPECT_OK(s->add_usage(d));
    }
  };
  std::thread a(adder, store_.get());
  std::thread b(adder, other.get());
  a.join();
  b.join();
  EXPECT_EQ(store_->get_usage(uid, "2026-06-01")->input_tokens, 2 * kAdds);
}

}  // namespace
}  // namespace teamvl::store::sqlite
