// Load history for the Monitor page: a bounded in-memory record of what
// GET /api/v1/resources reports, kept at three resolutions so the last hour,
// day and week each cost a few hundred points. Nothing is persisted: the
// history starts again with the process.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"

namespace teamvl::server {

// One reading of the engine loop's counters (gauges; rates are per second).
struct MetricsSample {
  int64_t at = 0;  // Unix seconds
  double engine_usage = 0;  // percent of the window the engine was busy
  double tokens_per_second = 0;
  double decode_tokens_per_second = 0;
  double running_tasks = 0;
  double queued_tasks = 0;
  double active_users = 0;
  double kv_used_bytes = 0;
  double kv_capacity_bytes = 0;
  std::map<int64_t, double> member_kv_bytes;  // member id -> KV bytes held
};

enum class MetricsRange { kHour, kDay, kWeek };

// "hour" | "day" | "week"; anything else is InvalidArgument naming `range`.
Result<MetricsRange> parse_metrics_range(const std::string& text);

struct MetricsHistoryOptions {
  int64_t raw_seconds = 3600;     // raw samples kept this long (the hour view)
  int64_t day_bucket_s = 60;      // one averaged point per minute for the day view
  int64_t week_bucket_s = 600;    // one per ten minutes for the week view
};

// Thread-safe: add() from the sampler, points() from request handlers.
class MetricsHistory {
 public:
  explicit MetricsHistory(MetricsHistoryOptions options = {});

  // Samples must come in time order; one older than the last is ignored.
  void add(const MetricsSample& s);
  // The points of `range` ending at `now`, oldest first. Day and week points
  // are bucket averages stamped with the bucket start; the bucket still
  // filling is included, so the newest point is never older than a sample.
  std::vector<MetricsSample> points(MetricsRange range, int64_t now) const;
  // Seconds between points of `range` (the raw view: the sampling interval
  // seen so far, 0 before two samples).
  int64_t step_seconds(MetricsRange range) const;

 private:
  // Averages samples that fall into one fixed-width time bucket.
  struct Bucket {
    int64_t start = -1;
    int count = 0;
    MetricsSample sum;
    void add(const MetricsSample& s);
    MetricsSample average() const;
  };
  struct Tier {
    int64_t width = 0;
    size_t capacity = 0;
    std::deque<MetricsSample> done;  // finished buckets, oldest first
    Bucket filling;
    void add(const MetricsSample& s);
  };

  const MetricsHistoryOptions options_;
  mutable std::mutex mu_;
  std::deque<MetricsSample> raw_;  // guarded by mu_
  Tier day_;                       // guarded by mu_
  Tier week_;                      // guarded by mu_
  int64_t raw_step_ = 0;           // guarded by mu_
};

// Calls `take` every `interval_ms` on its own thread and adds the result to
// `history`. The destructor (or stop()) wakes and joins the thread at once.
class MetricsSampler {
 public:
  MetricsSampler(MetricsHistory& history, std::function<MetricsSample()> take, int interval_ms);
  ~MetricsSampler();
  MetricsSampler(const MetricsSampler&) = delete;
  MetricsSampler& operator=(const MetricsSampler&) = delete;
  void stop();

 private:
  void run();

  MetricsHistory& history_;
  std::function<MetricsSample()> take_;
  const int interval_ms_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace teamvl::server
