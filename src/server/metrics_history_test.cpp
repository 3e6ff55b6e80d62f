#include "server/metrics_history.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

namespace teamvl::server {
namespace {

MetricsSample sample(int64_t at, double usage, std::map<int64_t, double> members = {}) {
  MetricsSample s;
  s.at = at;
  s.engine_usage = usage;
  s.queued_tasks = usage / 10;
  s.member_kv_bytes = std::move(members);
  return s;
}

TEST(MetricsRange, ParsesTheThreeNamesAndNamesTheFieldOtherwise) {
  EXPECT_EQ(*parse_metrics_range("hour"), MetricsRange::kHour);
  EXPECT_EQ(*parse_metrics_range("day"), MetricsRange::kDay);
  EXPECT_EQ(*parse_metrics_range("week"), MetricsRange::kWeek);
  auto bad = parse_metrics_range("month");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("range"), std::string::npos);
  EXPECT_NE(bad.status().message().find("month"), std::string::npos);
}

TEST(MetricsHistory, HourViewKeepsRawSamplesOfTheLastHourOnly) {
  MetricsHistory h;
  const int64_t t0 = 1'700'000'000;
  for (int i = 0; i < 1000; ++i) h.add(sample(t0 + i * 5, i));  // 5000 s of samples
  auto pts = h.points(MetricsRange::kHour, t0 + 999 * 5);
  ASSERT_EQ(pts.size(), 720u);  // 3600 s / 5 s
  EXPECT_EQ(pts.front().at, t0 + 280 * 5);
  EXPECT_EQ(pts.back().at, t0 + 999 * 5);
  EXPECT_DOUBLE_EQ(pts.back().engine_usage, 999);
  EXPECT_EQ(h.step_seconds(MetricsRange::kHour), 5);
}

TEST(MetricsHistory, DayViewAveragesEachMinuteIncludingTheOneFilling) {
  MetricsHistory h;
  const int64_t t0 = 1'700'000'040;  // a minute boundary (divisible by 60)
  ASSERT_EQ(t0 % 60, 0);
  // Minute 0: usage 10, 20, 30 -> 20; member 7 holds 600 bytes in one sample only.
  h.add(sample(t0, 10));
  h.add(sample(t0 + 20, 20, {{7, 600}}));
  h.add(sample(t0 + 40, 30));
  // Minute 1 (still filling): one sample.
  h.add(sample(t0 + 60, 50));
  auto pts = h.points(MetricsRange::kDay, t0 + 61);
  ASSERT_EQ(pts.size(), 2u);
  EXPECT_EQ(pts[0].at, t0);
  EXPECT_DOUBLE_EQ(pts[0].engine_usage, 20);
  EXPECT_DOUBLE_EQ(pts[0].queued_tasks, 2);
  EXPECT_DOUBLE_EQ(pts[0].member_kv_bytes.at(7), 200);  // absent samples count as 0
  EXPECT_EQ(pts[1].at, t0 + 60);
  EXPECT_DOUBLE_EQ(pts[1].engine_usage, 50);
  EXPECT_EQ(h.step_seconds(MetricsRange::kDay), 60);
}

TEST(MetricsHistory, WeekViewIsBoundedToOnePointPerTenMinutes) {
  MetricsHistory h;
  const int64_t t0 = 1'700'000'400;
  ASSERT_EQ(t0 % 600, 0);
  // Eight days of one sample a minute.
  const int64_t minutes = 8 * 24 * 60;
  for (int64_t i = 0; i < minutes; ++i) h.add(sample(t0 + i * 60, static_cast<double>(i % 10)));
  int64_t now = t0 + (minutes - 1) * 60;
  auto week = h.points(MetricsRange::kWeek, now);
  EXPECT_LE(week.size(), 1009u);
  EXPECT_GE(week.size(), 1007u);
  EXPECT_GT(week.front().at, now - 7 * 86400);
  // Each complete 10-minute bucket averages 0..9 -> 4.5.
  EXPECT_DOUBLE_EQ(week[week.size() / 2].engine_usage, 4.5);
  for (size_t i = 1; i < week.size(); ++i) EXPECT_EQ(week[i].at - week[i - 1].at, 600);
  auto day = h.points(MetricsRange::kDay, now);
  EXPECT_EQ(day.size(), 1440u);
  auto hour = h.points(MetricsRange::kHour, now);
  EXPECT_EQ(hour.size(), 60u);
}

TEST(MetricsHistory, IgnoresSamplesOlderThanTheLast) {
  MetricsHistory h;
  h.add(sample(1000, 1));
  h.add(sample(990, 2));
  h.add(sample(1005, 3));
  auto pts = h.points(MetricsRange::kHour, 1005);
  ASSERT_EQ(pts.size(), 2u);
  EXPECT_DOUBLE_EQ(pts[1].engine_usage, 3);
}

TEST(MetricsHistory, EmptyHistoryHasNoPoints) {
  MetricsHistory h;
  EXPECT_TRUE(h.points(MetricsRange::kHour, 5000).empty());
  EXPECT_TRUE(h.points(MetricsRange::kWeek, 5000).empty());
  EXPECT_EQ(h.step_seconds(MetricsRange::kHour), 0);
}

TEST(MetricsSampler, SamplesAtOnceAndStopsWithoutWaitingForTheInterval) {
  MetricsHistory h;
  std::atomic<int64_t> t{2000};
  auto started = std::chrono::steady_clock::now();
  {
    // A one-hour interval: only the first sample is taken, and the destructor
    // must still return at once.
    MetricsSampler s(h, [&] { return sample(t++, 1); }, 3'600'000);
    for (int i = 0; i < 200 && h.points(MetricsRange::kHour, 3000).empty(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_LT(took, std::chrono::seconds(5));
  EXPECT_EQ(h.points(MetricsRange::kHour, 3000).size(), 1u);
}

TEST(MetricsSampler, KeepsSamplingAtItsInterval) {
  MetricsHistory h;
  std::atomic<int64_t> t{2000};
  MetricsSampler s(h, [&] { return sample(t++, 1); }, 10);
  for (int i = 0; i < 400 && h.points(MetricsRange::kHour, 2100).size() < 3; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  s.stop();
  EXPECT_GE(h.points(MetricsRange::kHour, 2100).size(), 3u);
}

}  // namespace
}  // namespace teamvl::server
