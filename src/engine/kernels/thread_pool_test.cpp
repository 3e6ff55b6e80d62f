#include "engine/kernels/thread_pool.h"

#include <gtest/gtest.h>

#include <time.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>
#include <vector>

namespace teamvl::engine {
namespace {

TEST(ThreadPoolTest, ParallelForCoversEveryIndexOnce) {
  for (int threads : {1, 2, 4}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    for (int64_t n : {0, 1, 7, 64, 1001}) {
      for (int64_t grain : {1, 3, 16}) {
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        std::atomic<int> misaligned{0};
        pool.parallel_for(n, grain, [&](int64_t b, int64_t e) {
          if (b % grain != 0 || (e != n && (e - b) % grain != 0)) ++misaligned;
          for (int64_t i = b; i < e; ++i) hits[i].fetch_add(1);
        });
        for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << threads << " " << n << " " << i;
        EXPECT_EQ(misaligned.load(), 0);
      }
    }
  }
}

TEST(ThreadPoolTest, RunOnAllUsesEveryThreadOnce) {
  ThreadPool pool(3);
  std::vector<std::atomic<int>> seen(3);
  std::atomic<int> wrong_nth{0};
  std::thread::id caller = std::this_thread::get_id();
  std::atomic<bool> caller_is_zero{false};
  pool.run_on_all([&](int ith, int nth) {
    if (nth != 3) ++wrong_nth;
    seen[ith].fetch_add(1);
    if (ith == 0 && std::this_thread::get_id() == caller) caller_is_zero = true;
  });
  for (auto& s : seen) EXPECT_EQ(s.load(), 1);
  EXPECT_EQ(wrong_nth.load(), 0);
  EXPECT_TRUE(caller_is_zero.load());
}

TEST(ThreadPoolTest, NestedJobsRunInlineWithoutDeadlock) {
  ThreadPool pool(2);
  std::atomic<int64_t> total{0};
  pool.parallel_for(8, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      pool.parallel_for(10, [&](int64_t b2, int64_t e2) { total += e2 - b2; });
    }
  });
  EXPECT_EQ(total.load(), 80);
}

TEST(ThreadPoolTest, ConcurrentSubmittersAreSerialized) {
  ThreadPool pool(2);
  std::atomic<int64_t> sum{0};
  auto submit = [&] {
    for (int rep = 0; rep < 200; ++rep) {
      pool.parallel_for(100, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) sum += i;
      });
    }
  };
  std::thread a(submit), b(submit);
  a.join();
  b.join();
  EXPECT_EQ(sum.load(), 2 * 200 * 4950);
}

TEST(ThreadPoolTest, ManyQuickJobsComplete) {
  ThreadPool pool(4);
  std::atomic<int64_t> count{0};
  for (int rep = 0; rep < 5000; ++rep) {
    pool.run_on_all([&](int, int) { count.fetch_add(1); });
  }
  EXPECT_EQ(count.load(), 5000 * 4);
}

// Jobs spaced so that workers fall asleep between some of them and wake up
// late for others (a late worker must find nothing to claim, never rerun or
// skip an index).
TEST(ThreadPoolTest, EveryIndexOnceWhenWorkersWakeLate) {
  ThreadPool pool(4);
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> gap_us(0, 400);
  for (int job = 0; job < 300; ++job) {
    std::vector<std::atomic<int>> seen(4);
    std::atomic<int> wrong_nth{0};
    pool.run_on_all([&](int ith, int nth) {
      if (nth != 4) ++wrong_nth;
      seen[ith].fetch_add(1);
    });
    for (int i = 0; i < 4; ++i) ASSERT_EQ(seen[i].load(), 1) << "job " << job << " index " << i;
    ASSERT_EQ(wrong_nth.load(), 0);
    std::this_thread::sleep_for(std::chrono::microseconds(gap_us(rng)));
  }
}

double process_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// An idle pool must not burn CPU (the machine is shared, and between decode
// steps the other cores belong to someone else): workers spin only briefly.
TEST(ThreadPoolTest, IdlePoolSleeps) {
  ThreadPool pool(4);
  std::atomic<int64_t> total{0};
  pool.parallel_for(1000, [&](int64_t b, int64_t e) { total += e - b; });
  ASSERT_EQ(total.load(), 1000);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // past every spin
  const double cpu0 = process_cpu_seconds();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const double cpu = process_cpu_seconds() - cpu0;
  // Three spinning workers would use ~0.9 s; sleeping ones about nothing.
  EXPECT_LT(cpu, 0.05) << "idle workers used " << cpu << " s of CPU in 0.3 s";
  // And they still wake up for the next job.
  pool.parallel_for(1000, [&](int64_t b, int64_t e) { total += e - b; });
  EXPECT_EQ(total.load(), 2000);
}

}  // namespace
}  // namespace teamvl::engine
