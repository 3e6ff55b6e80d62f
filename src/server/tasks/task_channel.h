// The event history of one task and its live SSE subscribers. Every event gets
// a sequence id, so a client reconnecting with Last-Event-ID gets exactly the
// events it missed. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "server/http/http.h"

namespace teamvl::server {

class TaskChannel {
 public:
  // Appends an event and sends it to every subscriber. `final` closes the
  // channel: subscribers' streams end after it.
  void publish(const std::string& event, const std::string& data_json, bool final = false);
  // A stream that replays events with id > last_event_id, then follows.
  std::shared_ptr<SseStream> subscribe(int64_t last_event_id);
  // Like subscribe, with a function instead of a stream (e.g. to reformat
  // events). It runs under the channel's lock: it must not block. It is
  // dropped when it returns false or after the final event.
  void subscribe_fn(int64_t last_event_id, std::function<bool(const SseStream::Event&)> fn);
  // Waits until the final event; false on timeout.
  bool wait_finished(std::chrono::milliseconds timeout);
  bool finished() const;
  // Text generated so far (token events concatenated).
  std::string text() const;
  void append_text(const std::string& t);

 private:
  mutable std::mutex mu_;
  std::vector<SseStream::Event> history_;          // guarded by mu_
  std::vector<std::shared_ptr<SseStream>> subs_;   // guarded by mu_
  std::vector<std::function<bool(const SseStream::Event&)>> fns_;  // guarded by mu_
  std::condition_variable finished_cv_;
  bool finished_ = false;                          // guarded by mu_
  std::string text_;                               // guarded by mu_
};

}  // namespace teamvl::server
