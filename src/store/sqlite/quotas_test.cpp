#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "store/sqlite/test_util.h"

namespace teamvl::store::sqlite {
namespace {

using QuotasTest = StoreTest;

TEST_F(QuotasTest, NoRowMeansAllUnset) {
  const int64_t uid = add_user("r");
  auto q = store_->get_quota(uid);
  ASSERT_OK(q);
  EXPECT_EQ(q->user_id, uid);
  EXPECT_FALSE(q->inferences_per_day || q->tokens_per_day || q->max_concurrent ||
               q->memory_budget_gib || q->priority_ceiling);
  EXPECT_CODE(store_->get_quota(uid + 1), StatusCode::kNotFound);
}

TEST_F(QuotasTest, SetThenOverwriteIncludingUnsetting) {
  const int64_t uid = add_user("s");
  Quota q;
  q.user_id = uid;
  q.inferences_per_day = 100;
  q.tokens_per_day = 50'000;
  q.max_concurrent = 2;
  q.memory_budget_gib = 1.5;
  q.priority_ceiling = 3;
  ASSERT_OK(store_->set_quota(q));
  auto got = store_->get_quota(uid);
  ASSERT_OK(got);
  EXPECT_EQ(got->inferences_per_day, 100);
  EXPECT_EQ(got->tokens_per_day, 50'000);
  EXPECT_EQ(got->max_concurrent, 2);
  EXPECT_EQ(got->memory_budget_gib, 1.5);
  EXPECT_EQ(got->priority_ceiling, 3);

  Quota less;
  less.user_id = uid;
  less.max_concurrent = 4;
  ASSERT_OK(store_->set_quota(less));
  got = store_->get_quota(uid);
  ASSERT_OK(got);
  EXPECT_FALSE(got->inferences_per_day.has_value());
  EXPECT_FALSE(got->tokens_per_day.has_value());
  EXPECT_EQ(got->max_concurrent, 4);
  EXPECT_FALSE(got->memory_budget_gib.has_value());
  EXPECT_FALSE(got->priority_ceiling.has_value());
}

TEST_F(QuotasTest, RejectsBadValuesAndUnknownUsers) {
  const int64_t uid = add_user("t");
  const struct {
    const char* what;
    Quota quota;
  } bad[] = {
      {"negative inferences", {uid, -1, {}, {}, {}, {}}},
      {"negative tokens", {uid, {}, -5, {}, {}, {}}},
      {"negative concurrency", {uid, {}, {}, -1, {}, {}}},
      {"negative memory", {uid, {}, {}, {}, -0.5, {}}},
      {"NaN memory", {uid, {}, {}, {}, std::numeric_limits<double>::quiet_NaN(), {}}},
      {"negative priority", {uid, {}, {}, {}, {}, -2}},
  };
  for (const auto& c : bad) {
    EXPECT_CODE(store_->set_quota(c.quota), StatusCode::kInvalidArgument) << c.what;
  }
  Quota ghost;
  ghost.user_id = uid + 7;
  ghost.max_concurrent = 1;
  EXPECT_CODE(store_->set_quota(ghost), StatusCode::kNotFound);
}

using SettingsTest = StoreTest;

TEST_F(SettingsTest, SetOverwriteAndList) {
  auto empty = store_->get_team_settings();
  ASSERT_OK(empty);
  EXPECT_TRUE(empty->empty());
  ASSERT_OK(store_->set_team_setting("show_content", "false"));
  ASSERT_OK(store_->set_team_setting("banner", "\"hello\""));
  ASSERT_OK(store_->set_team_setting("show_content", "true"));
  auto s = store_->get_team_settings();
  ASSERT_OK(s);
  ASSERT_EQ(s->size(), 2u);
  EXPECT_EQ(s->at("show_content"), "true");
  EXPECT_EQ(s->at("banner"), "\"hello\"");
  reopen();
  EXPECT_EQ(store_->get_team_settings()->at("banner"), "\"hello\"");
}

TEST_F(SettingsTest, RejectsBadJsonAndEmptyKey) {
  EXPECT_CODE(store_->set_team_setting("k", "{not json"), StatusCode::kInvalidArgument);
  EXPECT_CODE(store_->set_team_setting("k", ""), StatusCode::kInvalidArgument);
  EXPECT_CODE(store_->set_team_setting("", "1"), StatusCode::kInvalidArgument);
  EXPECT_TRUE(store_->get_team_settings()->empty());
}

}  // namespace
}  // namespace teamvl::store::sqlite
