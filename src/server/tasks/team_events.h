// The live team view as a Server-Sent Event stream: a snapshot is pushed to
// every subscriber when it changes (checked every second), and a fresh
// subscriber gets the current one at once. One thread for all subscribers.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/http/http.h"

namespace teamvl::server {

class TeamEvents {
 public:
  // `snapshot` returns the current team view as JSON text.
  explicit TeamEvents(std::function<std::string()> snapshot);
  ~TeamEvents();  // stops the thread and closes every stream

  std::shared_ptr<SseStream> subscribe();
  void stop();

 private:
  void run();

  std::function<std::string()> snapshot_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;                              // guarded by mu_
  std::vector<std::shared_ptr<SseStream>> subs_;   // guarded by mu_
  std::string last_;                               // guarded by mu_
  int64_t seq_ = 0;                                // guarded by mu_
  std::thread thread_;
};

}  // namespace teamvl::server
