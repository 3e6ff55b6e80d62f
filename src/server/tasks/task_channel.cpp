#include "server/tasks/task_channel.h"

#include <algorithm>

namespace teamvl::server {

void TaskChannel::publish(const std::string& event, const std::string& data_json, bool final) {
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) return;
  SseStream::Event e{std::to_string(history_.size() + 1), event, data_json};
  history_.push_back(e);
  for (auto& s : subs_) {
    s->send(e);
    if (final) s->close();
  }
  subs_.erase(std::remove_if(subs_.begin(), subs_.end(), [](auto& s) { return s->closed(); }), subs_.end());
  fns_.erase(std::remove_if(fns_.begin(), fns_.end(), [&e](auto& fn) { return !fn(e); }), fns_.end());
  if (final) {
    finished_ = true;
    subs_.clear();
    fns_.clear();
    finished_cv_.notify_all();
  }
}

std::shared_ptr<SseStream> TaskChannel::subscribe(int64_t last_event_id) {
  auto stream = std::make_shared<SseStream>();
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = static_cast<size_t>(std::max<int64_t>(0, last_event_id)); i < history_.size(); ++i)
    stream->send(history_[i]);
  if (finished_) stream->close();
  else subs_.push_back(stream);
  return stream;
}

void TaskChannel::subscribe_fn(int64_t last_event_id, std::function<bool(const SseStream::Event&)> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = static_cast<size_t>(std::max<int64_t>(0, last_event_id)); i < history_.size(); ++i)
    if (!fn(history_[i])) return;
  if (!finished_) fns_.push_back(std::move(fn));
}

bool TaskChannel::wait_finished(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return finished_cv_.wait_for(lock, timeout, [this] { return finished_; });
}

bool TaskChannel::finished() const {
  std::lock_guard<std::mutex> lock(mu_);
  return finished_;
}

std::string TaskChannel::text() const {
  std::lock_guard<std::mutex> lock(mu_);
  return text_;
}

void TaskChannel::append_text(const std::string& t) {
  std::lock_guard<std::mutex> lock(mu_);
  text_ += t;
}

}  // namespace teamvl::server
