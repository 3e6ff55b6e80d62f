#include "server/tasks/serial_executor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <vector>

namespace teamvl::server {
namespace {

TEST(SerialExecutorTest, RunsJobsInOrderOneAtATime) {
  std::vector<int> seen;  // touched only by the executor's thread until drain()
  std::atomic<int> running{0};
  std::atomic<bool> overlapped{false};
  SerialExecutor ex;
  for (int i = 0; i < 200; ++i) {
    ex.post([&, i] {
      if (running.fetch_add(1) != 0) overlapped = true;
      seen.push_back(i);
      running.fetch_sub(1);
    });
  }
  ex.drain();
  ASSERT_EQ(seen.size(), 200u);
  for (int i = 0; i < 200; ++i) EXPECT_EQ(seen[i], i);
  EXPECT_FALSE(overlapped.load());
}

TEST(SerialExecutorTest, DrainWaitsForSlowJobsAndDestructorRunsTheRest) {
  std::atomic<int> done{0};
  {
    SerialExecutor ex;
    ex.post([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      ++done;
    });
    ex.drain();
    EXPECT_EQ(done.load(), 1) << "drain returned before the job ended";
    for (int i = 0; i < 10; ++i) ex.post([&] { ++done; });
  }
  EXPECT_EQ(done.load(), 11) << "jobs posted before destruction all ran";
}

TEST(SerialExecutorTest, DrainFromAJobDoesNotDeadlock) {
  SerialExecutor ex;
  std::atomic<bool> ran{false};
  ex.post([&] {
    ex.drain();
    ran = true;
  });
  ex.drain();
  EXPECT_TRUE(ran.load());
}

}  // namespace
}  // namespace teamvl::server
