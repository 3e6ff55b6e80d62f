// A persistent pool of worker threads shared by all kernels. The calling thread
// takes part in every job, so ThreadPool(1) runs everything inline.
// Thread safety: jobs from different threads are serialized (one job at a
// time); a job submitted from inside a job runs inline on that thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace teamvl::engine {

class ThreadPool {
 public:
  // n_threads <= 0 means std::thread::hardware_concurrency().
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Threads that run a job, the caller included.
  int size() const { return n_threads_; }

  // Calls fn(begin, end) on disjoint ranges covering [0, n), spread over the
  // threads in chunks (dynamic: a fast thread takes more). Returns when done.
  void parallel_for(int64_t n, const std::function<void(int64_t begin, int64_t end)>& fn);
  // As parallel_for with every range starting at a multiple of `grain` and
  // holding a multiple of `grain` elements (except the last one).
  void parallel_for(int64_t n, int64_t grain,
                    const std::function<void(int64_t begin, int64_t end)>& fn);

  // Calls fn(thread_index, size()) once on every thread; the caller is index 0.
  void run_on_all(const std::function<void(int ith, int nth)>& fn);

 private:
  void worker_loop(int index);
  void wait_for_workers();

  int n_threads_;
  std::vector<std::thread> workers_;
  std::mutex submit_mu_;  // held by the thread whose job is running

  std::mutex mu_;  // guards the sleeping side of generation_/pending_/stop_
  std::condition_variable start_cv_;
  std::condition_variable done_cv_;
  const std::function<void(int, int)>* job_ = nullptr;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
};

}  // namespace teamvl::engine
