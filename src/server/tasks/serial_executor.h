// Runs posted jobs one at a time, in the order posted, on its own thread.
// The task service uses it for the store writes that follow engine events
// (a task started, retried or finished), so a slow disk or a busy database
// never stalls the engine loop, whose thread decodes for every member.
// Thread-safe. The destructor runs every job already posted, then joins.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace teamvl::server {

class SerialExecutor {
 public:
  SerialExecutor();
  ~SerialExecutor();
  SerialExecutor(const SerialExecutor&) = delete;
  SerialExecutor& operator=(const SerialExecutor&) = delete;

  void post(std::function<void()> job);
  // Returns once every job posted before this call has run. Called from a
  // job itself it returns at once (it cannot wait for itself).
  void drain();

 private:
  void run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;  // guarded by mu_
  uint64_t posted_ = 0;                     // guarded by mu_
  uint64_t done_ = 0;                       // guarded by mu_
  bool stop_ = false;                       // guarded by mu_
  std::thread thread_;                      // last: starts after the fields above exist
};

}  // namespace teamvl::server
