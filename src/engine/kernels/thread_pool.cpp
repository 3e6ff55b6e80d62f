#include "engine/kernels/thread_pool.h"

#include <algorithm>
#include <chrono>

#if defined(__x86_64__)
#include <immintrin.h>
#define TEAMVL_PAUSE() _mm_pause()
#else
#define TEAMVL_PAUSE() ((void)0)
#endif

namespace teamvl::engine {
namespace {

// How long a thread spins before it sleeps. During a forward pass the next
// kernel comes within a few microseconds, so an idle worker spins a little
// longer than that gap; then it sleeps and burns nothing (the machine may be
// shared with other work, and between steps the pool is idle). The submitter
// waits only for indices a worker is running, so its spin can be longer.
constexpr auto kWorkerSpin = std::chrono::microseconds(60);
constexpr auto kSubmitterSpin = std::chrono::microseconds(200);

// Spins until pred() or `budget` has passed; true if pred() became true.
template <typename Pred>
bool spin_until(Pred&& pred, std::chrono::microseconds budget) {
  const auto deadline = std::chrono::steady_clock::now() + budget;
  for (;;) {
    for (int i = 0; i < 16; ++i) {
      if (pred()) return true;
      TEAMVL_PAUSE();
    }
    if (std::chrono::steady_clock::now() >= deadline) return pred();
  }
}

constexpr uint64_t make_state(uint32_t gen, uint32_t next) { return (static_cast<uint64_t>(gen) << 32) | next; }
constexpr uint32_t state_gen(uint64_t s) { return static_cast<uint32_t>(s >> 32); }
constexpr uint32_t state_next(uint64_t s) { return static_cast<uint32_t>(s); }

thread_local bool t_inside_job = false;

}  // namespace

ThreadPool::ThreadPool(int n_threads) {
  if (n_threads <= 0) n_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  n_threads_ = n_threads;
  // Generation 0 with every index claimed: nothing to run yet.
  state_.store(make_state(0, static_cast<uint32_t>(n_threads_)));
  workers_.reserve(n_threads - 1);
  for (int i = 1; i < n_threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true);
  }
  job_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::finish_index() {
  if (done_.fetch_add(1) + 1 == n_threads_ && submitter_sleeping_.load()) {
    std::lock_guard<std::mutex> lock(mu_);
    done_cv_.notify_one();
  }
}

void ThreadPool::run_claimed(uint32_t gen) {
  uint64_t s = state_.load();
  while (state_gen(s) == gen && state_next(s) < static_cast<uint32_t>(n_threads_)) {
    if (!state_.compare_exchange_weak(s, s + 1)) continue;  // s reloaded
    // The claim keeps this job alive (its submitter waits for every index), so
    // job_ is this generation's until finish_index().
    (*job_)(static_cast<int>(state_next(s)), n_threads_);
    finish_index();
    s = state_.load();
  }
}

void ThreadPool::wait_for_job(uint32_t seen_gen) {
  auto has_job = [&] { return state_gen(state_.load()) != seen_gen || stop_.load(); };
  if (spin_until(has_job, kWorkerSpin)) return;
  std::unique_lock<std::mutex> lock(mu_);
  sleeping_workers_.fetch_add(1);
  job_cv_.wait(lock, has_job);
  sleeping_workers_.fetch_sub(1);
}

void ThreadPool::worker_loop() {
  t_inside_job = true;  // a worker never submits to its own pool: run nested jobs inline
  uint32_t seen_gen = 0;
  for (;;) {
    wait_for_job(seen_gen);
    if (stop_.load()) return;
    seen_gen = state_gen(state_.load());
    run_claimed(seen_gen);
  }
}

void ThreadPool::wait_for_done() {
  auto done = [&] { return done_.load() == n_threads_; };
  if (spin_until(done, kSubmitterSpin)) return;
  std::unique_lock<std::mutex> lock(mu_);
  submitter_sleeping_.store(true);
  done_cv_.wait(lock, done);
  submitter_sleeping_.store(false);
}

void ThreadPool::run_on_all(const std::function<void(int ith, int nth)>& fn) {
  if (n_threads_ == 1 || t_inside_job) {
    // Inline: a nested job sees a pool of one.
    fn(0, 1);
    return;
  }
  std::lock_guard<std::mutex> submit(submit_mu_);
  job_ = &fn;
  done_.store(0);
  // Publish with index 0 claimed by this thread (seq_cst, paired with the
  // sleeping_workers_ check below and the workers' check under mu_).
  const uint32_t gen = state_gen(state_.load()) + 1;
  state_.store(make_state(gen, 1));
  if (sleeping_workers_.load() > 0) {
    std::lock_guard<std::mutex> lock(mu_);
    job_cv_.notify_all();
  }
  t_inside_job = true;
  fn(0, n_threads_);
  finish_index();
  run_claimed(gen);  // indices no worker has taken yet
  t_inside_job = false;
  wait_for_done();
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
