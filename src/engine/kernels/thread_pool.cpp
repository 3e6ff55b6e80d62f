#include "engine/kernels/thread_pool.h"

#include <algorithm>

#if defined(__x86_64__)
#include <immintrin.h>
#define TEAMVL_PAUSE() _mm_pause()
#else
#define TEAMVL_PAUSE() ((void)0)
#endif

namespace teamvl::engine {
namespace {

// Waiting for the next job or for workers: spin briefly (kernels come back to
// back during decode and a futex wake costs more than a small job), then yield
// the core a few times (other runnable threads may be the ones we wait for when
// the machine is oversubscribed), then sleep on the condition variable.
constexpr int kSpinIterations = 2000;
constexpr int kYieldIterations = 64;

// One step of the spin/yield phase; false once it is time to block.
inline bool backoff(int& step) {
  ++step;
  if (step < kSpinIterations) {
    TEAMVL_PAUSE();
    return true;
  }
  if (step < kSpinIterations + kYieldIterations) {
    std::this_thread::yield();
    return true;
  }
  return false;
}

thread_local bool t_inside_job = false;

}  // namespace

ThreadPool::ThreadPool(int n_threads) {
  if (n_threads <= 0) n_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  n_threads_ = n_threads;
  workers_.reserve(n_threads - 1);
  for (int i = 1; i < n_threads; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true);
  }
  start_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::worker_loop(int index) {
  uint64_t seen = 0;
  t_inside_job = true;  // a worker never submits to its own pool: run nested jobs inline
  for (;;) {
    int step = 0;
    while (generation_.load(std::memory_order_acquire) == seen && !stop_.load()) {
      if (backoff(step)) continue;
      std::unique_lock<std::mutex> lock(mu_);
      start_cv_.wait(lock, [&] {
        return generation_.load(std::memory_order_acquire) != seen || stop_.load();
      });
    }
    if (stop_.load()) return;
    seen = generation_.load(std::memory_order_acquire);
    (*job_)(index, n_threads_);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard<std::mutex> lock(mu_);
      done_cv_.notify_one();
    }
  }
}

void ThreadPool::wait_for_workers() {
  int step = 0;
  while (pending_.load(std::memory_order_acquire) != 0) {
    if (backoff(step)) continue;
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(lock, [&] { return pending_.load(std::memory_order_acquire) == 0; });
  }
}

void ThreadPool::run_on_all(const std::function<void(int ith, int nth)>& fn) {
  if (n_threads_ == 1 || t_inside_job) {
    // Inline: a nested job sees a pool of one.
    fn(0, 1);
    return;
  }
  std::lock_guard<std::mutex> submit(submit_mu_);
  job_ = &fn;
  pending_.store(n_threads_ - 1, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(mu_);
    generation_.fetch_add(1, std::memory_order_acq_rel);
  }
  start_cv_.notify_all();
  t_inside_job = true;
  fn(0, n_threads_);
  t_inside_job = false;
  wait_for_workers();
  job_ = nullptr;
}

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  parallel_for(n, 1, fn);
}

void ThreadPool::parallel_for(int64_t n, int64_t grain,
                              const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  if (n <= grain || n_threads_ == 1 || t_inside_job) {
    fn(0, n);
    return;
  }
  // About 4 chunks per thread so a thread slowed by a neighbour is balanced out.
  int64_t chunk = std::max(grain, (n + 4 * n_threads_ - 1) / (4 * n_threads_));
  chunk = (chunk + grain - 1) / grain * grain;
  std::atomic<int64_t> next{0};
  run_on_all([&](int, int) {
    for (;;) {
      const int64_t begin = next.fetch_add(chunk, std::memory_order_relaxed);
      if (begin >= n) return;
      fn(begin, std::min(n, begin + chunk));
    }
  });
}

}  // namespace teamvl::engine
