#include "server/metrics_history.h"

#include <algorithm>
#include <chrono>

namespace teamvl::server {
namespace {

constexpr int64_t kDaySeconds = 86400;
constexpr int64_t kWeekSeconds = 7 * kDaySeconds;

int64_t window_seconds(MetricsRange r) {
  switch (r) {
    case MetricsRange::kHour: return 3600;
    case MetricsRange::kDay: return kDaySeconds;
    case MetricsRange::kWeek: return kWeekSeconds;
  }
  return 3600;
}

void accumulate(MetricsSample& sum, const MetricsSample& s) {
  sum.engine_usage += s.engine_usage;
  sum.tokens_per_second += s.tokens_per_second;
  sum.decode_tokens_per_second += s.decode_tokens_per_second;
  sum.running_tasks += s.running_tasks;
  sum.queued_tasks += s.queued_tasks;
  sum.active_users += s.active_users;
  sum.kv_used_bytes += s.kv_used_bytes;
  sum.kv_capacity_bytes += s.kv_capacity_bytes;
  for (const auto& [member, bytes] : s.member_kv_bytes) sum.member_kv_bytes[member] += bytes;
}

}  // namespace

Result<MetricsRange> parse_metrics_range(const std::string& text) {
  if (text == "hour") return MetricsRange::kHour;
  if (text == "day") return MetricsRange::kDay;
  if (text == "week") return MetricsRange::kWeek;
  return Status::InvalidArgument("range must be one of hour, day, week (got '" + text + "')");
}

void MetricsHistory::Bucket::add(const MetricsSample& s) {
  ++count;
  accumulate(sum, s);
}

MetricsSample MetricsHistory::Bucket::average() const {
  MetricsSample a = sum;
  a.at = start;
  if (count == 0) return a;
  double n = count;
  for (double* v : {&a.engine_usage, &a.tokens_per_second, &a.decode_tokens_per_second, &a.running_tasks,
                    &a.queued_tasks, &a.active_users, &a.kv_used_bytes, &a.kv_capacity_bytes})
    *v /= n;
  // A member missing from some samples held nothing then: averaging over all
  // samples of the bucket counts those as zero.
  for (auto& [member, bytes] : a.member_kv_bytes) bytes /= n;
  return a;
}

void MetricsHistory::Tier::add(const MetricsSample& s) {
  int64_t start = s.at - (s.at % width);
  if (filling.start != start) {
    if (filling.count > 0) done.push_back(filling.average());
    while (done.size() > capacity) done.pop_front();
    filling = Bucket{};
    filling.start = start;
  }
  filling.add(s);
}

MetricsHistory::MetricsHistory(MetricsHistoryOptions options) : options_(options) {
  day_.width = std::max<int64_t>(1, options_.day_bucket_s);
  day_.capacity = static_cast<size_t>(kDaySeconds / day_.width);
  week_.width = std::max<int64_t>(1, options_.week_bucket_s);
  week_.capacity = static_cast<size_t>(kWeekSeconds / week_.width);
}

void MetricsHistory::add(const MetricsSample& s) {
  std::lock_guard lock(mu_);
  if (!raw_.empty()) {
    if (s.at < raw_.back().at) return;
    if (s.at > raw_.back().at) raw_step_ = s.at - raw_.back().at;
  }
  raw_.push_back(s);
  // Bounded by time, and by count in case samples come faster than 1/s.
  while (!raw_.empty() && (raw_.front().at <= s.at - options_.raw_seconds ||
                           raw_.size() > static_cast<size_t>(std::max<int64_t>(1, options_.raw_seconds))))
    raw_.pop_front();
  day_.add(s);
  week_.add(s);
}

std::vector<MetricsSample> MetricsHistory::points(MetricsRange range, int64_t now) const {
  std::lock_guard lock(mu_);
  int64_t from = now - window_seconds(range);
  std::vector<MetricsSample> out;
  auto keep = [&](const MetricsSample& p) {
    if (p.at > from && p.at <= now) out.push_back(p);
  };
  if (range == MetricsRange::kHour) {
    for (const auto& p : raw_) keep(p);
    return out;
  }
  const Tier& tier = range == MetricsRange::kDay ? day_ : week_;
  for (const auto& p : tier.done) keep(p);
  if (tier.filling.count > 0) keep(tier.filling.average());
  return out;
}

int64_t MetricsHistory::step_seconds(MetricsRange range) const {
  std::lock_guard lock(mu_);
  switch (range) {
    case MetricsRange::kHour: return raw_step_;
    case MetricsRange::kDay: return day_.width;
    case MetricsRange::kWeek: return week_.width;
  }
  return 0;
}

MetricsSampler::MetricsSampler(MetricsHistory& history, std::function<MetricsSample()> take, int interval_ms)
    : history_(history), take_(std::move(take)), interval_ms_(std::max(1, interval_ms)) {
  thread_ = std::thread([this] { run(); });
}

MetricsSampler::~MetricsSampler() { stop(); }

void MetricsSampler::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void MetricsSampler::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    history_.add(take_());
    lock.lock();
    wake_.wait_for(lock, std::chrono::milliseconds(interval_ms_), [this] { return stopping_; });
  }
}

}  // namespace teamvl::server
