#include "server/tasks/team_events.h"

#include <algorithm>
#include <chrono>

namespace teamvl::server {

TeamEvents::TeamEvents(std::function<std::string()> snapshot) : snapshot_(std::move(snapshot)) {
  thread_ = std::thread([this] { run(); });
}

TeamEvents::~TeamEvents() { stop(); }

void TeamEvents::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
    for (auto& s : subs_) s->close();
    subs_.clear();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<SseStream> TeamEvents::subscribe() {
  std::string now = snapshot_();
  auto s = std::make_shared<SseStream>();
  std::lock_guard<std::mutex> lock(mu_);
  s->send({std::to_string(++seq_), "team", now});
  if (stop_) s->close();
  else subs_.push_back(s);
  return s;
}

void TeamEvents::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::seconds(1));
    if (stop_ || subs_.empty()) continue;
    lock.unlock();
    std::string now = snapshot_();
    lock.lock();
    if (now == last_) continue;
    last_ = now;
    SseStream::Event e{std::to_string(++seq_), "team", now};
    for (auto& s : subs_) s->send(e);
    subs_.erase(std::remove_if(subs_.begin(), subs_.end(), [](auto& s) { return s->closed(); }), subs_.end());
  }
}

}  // namespace teamvl::server
