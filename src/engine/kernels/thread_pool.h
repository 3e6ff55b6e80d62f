// A persistent pool of worker threads shared by all kernels. The calling thread
// takes part in every job, so ThreadPool(1) runs everything inline.
// A job never waits for a worker that has not started on it: the caller runs
// whatever no worker has claimed, so a worker that the OS has not scheduled
// (an oversubscribed machine) costs nothing. Idle workers spin for a few tens
// of microseconds (kernels come back to back during a forward pass), then sleep
// on a condition variable: a pool with no work burns no CPU.
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

  // Calls fn(ith, size()) exactly once for every ith in [0, size()). The caller
  // runs ith 0, then every index no worker has claimed yet (so two indices may
  // run one after the other on one thread: fn must not wait for another index).
  void run_on_all(const std::function<void(int ith, int nth)>& fn);

 private:
  void worker_loop();
  // Claims and runs indices of the current job until none is left or the job
  // is no longer generation `gen`.
  void run_claimed(uint32_t gen);
  void finish_index();
  void wait_for_job(uint32_t seen_gen);
  void wait_for_done();

  int n_threads_;
  std::vector<std::thread> workers_;
  std::mutex submit_mu_;  // held by the thread whose job is running

  // The current job; read only by a thread holding a claimed index of it.
  const std::function<void(int, int)>* job_ = nullptr;
  // Job generation (high 32 bits) | next unclaimed index (low 32 bits).
  std::atomic<uint64_t> state_{0};
  std::atomic<int> done_{0};  // indices of the current job finished

  // Sleeping side: a thread sleeps only after raising its flag/count, and the
  // other side takes mu_ before notifying when it sees one (no lost wake-up).
  std::mutex mu_;
  std::condition_variable job_cv_;   // idle workers
  std::condition_variable done_cv_;  // the submitter waiting for the last index
  std::atomic<int> sleeping_workers_{0};
  std::atomic<bool> submitter_sleeping_{false};
  std::atomic<bool> stop_{false};
};

}  // namespace teamvl::engine
