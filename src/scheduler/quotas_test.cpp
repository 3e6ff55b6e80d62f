#include "scheduler/quotas.h"

#include <gtest/gtest.h>

namespace teamvl::scheduler {
namespace {

TEST(QuotasTest, OverridesWinOverDefaultsAndZeroMeansUnlimited) {
  QuotaDefaults d;
  d.inferences_per_day = 0;
  d.tokens_per_day = 1000;
  store::Quota o;
  o.inferences_per_day = 5;
  EffectiveQuota q = effective_quota(o, d);
  ASSERT_TRUE(q.inferences_per_day.has_value());
  EXPECT_EQ(*q.inferences_per_day, 5);
  EXPECT_EQ(*q.tokens_per_day, 1000);
  o.tokens_per_day = 0;  // an explicit 0 override lifts the limit
  EXPECT_FALSE(effective_quota(o, d).tokens_per_day.has_value());
}

TEST(QuotasTest, EachLimitRefusesWithNumbersAndReset) {
  const int64_t now = 1'700'000'123;  // 2023-11-14T22:15:23Z
  EffectiveQuota q;
  q.inferences_per_day = 2;
  q.tokens_per_day = 100;
  q.max_concurrent = 1;
  store::Usage u;
  EXPECT_FALSE(check_submission(q, u, 0, 10, now).has_value());

  u.inferences = 2;
  auto d = check_submission(q, u, 0, 10, now);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->quota, "inferences_per_day");
  EXPECT_EQ(d->limit, 2);
  EXPECT_EQ(d->used, 2);
  EXPECT_EQ(d->resets_at, 1'700'006'400);  // next midnight UTC

  u.inferences = 0;
  u.input_tokens = 60;
  u.output_tokens = 30;
  d = check_submission(q, u, 0, 20, now);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->quota, "tokens_per_day");
  EXPECT_EQ(d->used, 90);

  u = {};
  d = check_submission(q, u, 1, 1, now);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->quota, "max_concurrent");
}

TEST(QuotasTest, UtcDays) {
  EXPECT_EQ(utc_day(0), "1970-01-01");
  EXPECT_EQ(utc_day(1'700'000'123), "2023-11-14");
  EXPECT_EQ(next_utc_midnight(86399), 86400);
  EXPECT_EQ(next_utc_midnight(86400), 172800);
}

}  // namespace
}  // namespace teamvl::scheduler
