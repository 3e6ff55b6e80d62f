// An injectable clock so that time-dependent logic (sessions, grace periods,
// quotas, scheduling) is testable without sleeping.
#pragma once

#include <atomic>
#include <cstdint>

namespace teamvl {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, seconds since the Unix epoch.
  virtual int64_t now_unix() const = 0;
  // Monotonic time in microseconds, for durations.
  virtual int64_t now_micros() const = 0;
  // The process-wide real clock.
  static const Clock& real();
};

// A clock tests move by hand. Thread-safe.
class FakeClock : public Clock {
 public:
  explicit FakeClock(int64_t unix_start = 1'700'000'000) : unix_(unix_start) {}
  int64_t now_unix() const override { return unix_.load(); }
  int64_t now_micros() const override { return micros_.load(); }
  void advance_seconds(int64_t s) { unix_ += s; micros_ += s * 1'000'000; }

 private:
  std::atomic<int64_t> unix_;
  std::atomic<int64_t> micros_{0};
};

}  // namespace teamvl
