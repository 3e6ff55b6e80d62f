#include <gtest/gtest.h>

#include "store/sqlite/test_util.h"

namespace teamvl::store::sqlite {
namespace {

using AuditTest = StoreTest;

AuditEntry entry(const std::string& action, int64_t at = 0) {
  AuditEntry e;
  e.at = at;
  e.actor_user_id = 1;
  e.actor = "admin@example.com";
  e.action = action;
  e.target = "user:2";
  e.detail_json = R"({"k":1})";
  e.client_addr = "127.0.0.1";
  return e;
}

TEST_F(AuditTest, AppendFillsTimeAndReadsBack) {
  ASSERT_OK(store_->append_audit(entry("user.create")));
  AuditEntry cli = entry("setup", 123);
  cli.actor_user_id.reset();
  cli.actor = "cli";
  cli.detail_json = "";
  ASSERT_OK(store_->append_audit(cli));
  auto page = store_->list_audit(10, std::nullopt);
  ASSERT_OK(page);
  ASSERT_EQ(page->size(), 2u);
  const AuditEntry& newest = (*page)[0];
  EXPECT_EQ(newest.action, "setup");
  EXPECT_EQ(newest.at, 123);
  EXPECT_FALSE(newest.actor_user_id.has_value());
  EXPECT_EQ(newest.detail_json, "{}");
  const AuditEntry& oldest = (*page)[1];
  EXPECT_EQ(oldest.at, clock_.now_unix());
  EXPECT_EQ(oldest.actor_user_id, 1);
  EXPECT_EQ(oldest.actor, "admin@example.com");
  EXPECT_EQ(oldest.target, "user:2");
  EXPECT_EQ(oldest.detail_json, R"({"k":1})");
  EXPECT_EQ(oldest.client_addr, "127.0.0.1");
  EXPECT_LT(oldest.id, newest.id);
}

TEST_F(AuditTest, PagesNewestFirstWithBeforeId) {
  for (int i = 0; i < 7; ++i) ASSERT_OK(store_->append_audit(entry("a" + std::to_string(i))));
  std::vector<std::string> seen;
  std::optional<int64_t> before;
  std::vector<size_t> page_sizes;
  while (true) {
    auto page = store_->list_audit(3, before);
    ASSERT_OK(page);
    if (page->empty()) break;
    page_sizes.push_back(page->size());
    for (const auto& e : *page) seen.push_back(e.action);
    before = page->back().id;
  }
  EXPECT_EQ(page_sizes, (std::vector<size_t>{3, 3, 1}));
  EXPECT_EQ(seen, (std::vector<std::string>{"a6", "a5", "a4", "a3", "a2", "a1", "a0"}));
}

TEST_F(AuditTest, RejectsBadInput) {
  EXPECT_CODE(store_->list_audit(0, std::nullopt), StatusCode::kInvalidArgument);
  EXPECT_CODE(store_->list_audit(-3, std::nullopt), StatusCode::kInvalidArgument);
  EXPECT_CODE(store_->append_audit(entry("")), StatusCode::kInvalidArgument);
  AuditEntry bad = entry("x");
  bad.detail_json = "{oops";
  EXPECT_CODE(store_->append_audit(bad), StatusCode::kInvalidArgument);
}

TEST_F(AuditTest, SurvivesUserDeletion) {
  const int64_t uid = add_user("u");
  AuditEntry e = entry("user.delete");
  e.actor_user_id = uid;
  ASSERT_OK(store_->append_audit(e));
  ASSERT_OK(store_->delete_user(uid));
  auto page = store_->list_audit(5, std::nullopt);
  ASSERT_OK(page);
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ((*page)[0].actor_user_id, uid);
}

using UsageTest = StoreTest;

Usage delta(int64_t uid, const std::string& day, int64_t n) {
  Usage d;
  d.user_id = uid;
  d.day = day;
  d.inferences = n;
  d.input_tokens = 10 * n;
  d.output_tokens = 20 * n;
  d.images = n / 2;
  d.compute_seconds = 0.25 * static_cast<double>(n);
  return d;
}

TEST_F(UsageTest, ZeroWhenAbsentAndAccumulates) {
  const int64_t uid = add_user("v");
  auto zero = store_->get_usage(uid, "2026-03-04");
  ASSERT_OK(zero);
  EXPECT_EQ(zero->user_id, uid);
  EXPECT_EQ(zero->day, "2026-03-04");
  EXPECT_EQ(zero->inferences, 0);
  EXPECT_EQ(zero->compute_seconds, 0);

  ASSERT_OK(store_->add_usage(delta(uid, "2026-03-04", 1)));
  ASSERT_OK(store_->add_usage(delta(uid, "2026-03-04", 2)));
  ASSERT_OK(store_->add_usage(delta(uid, "2026-03-04", 4)));
  ASSERT_OK(store_->add_usage(delta(uid, "2026-03-05", 100)));
  auto u = store_->get_usage(uid, "2026-03-04");
  ASSERT_OK(u);
  EXPECT_EQ(u->inferences, 7);
  EXPECT_EQ(u->input_tokens, 70);
  EXPECT_EQ(u->output_tokens, 140);
  EXPECT_EQ(u->images, 0 + 1 + 2);
  EXPECT_DOUBLE_EQ(u->compute_seconds, 1.75);
}

TEST_F(UsageTest, ListIsInclusiveAndOrderedByDayThenUser) {
  const int64_t a = add_user("a");
  const int64_t b = add_user("b");
  ASSERT_OK(store_->add_usage(delta(b, "2026-01-02", 1)));
  ASSERT_OK(store_->add_usage(delta(a, "2026-01-02", 1)));
  ASSERT_OK(store_->add_usage(delta(a, "2026-01-01", 1)));
  ASSERT_OK(store_->add_usage(delta(a, "2026-01-03", 1)));
  ASSERT_OK(store_->add_usage(delta(a, "2025-12-31", 1)));
  auto rows = store_->list_usage("2026-01-01", "2026-01-02");
  ASSERT_OK(rows);
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].day, "2026-01-01");
  EXPECT_EQ((*rows)[1].day, "2026-01-02");
  EXPECT_EQ((*rows)[1].user_id, a);
  EXPECT_EQ((*rows)[2].day, "2026-01-02");
  EXPECT_EQ((*rows)[2].user_id, b);
  EXPECT_TRUE(store_->list_usage("2027-01-01", "2027-12-31")->empty());
}

TEST_F(UsageTest, RejectsBadDaysNegativeDeltasAndUnknownUsers) {
  const int64_t uid = add_user("w");
  for (const char* day : {"", "2026-1-01", "2026/01/01", "20260101", "2026-13-01", "2026-00-10",
                          "2026-01-32", "2026-01-00", "2026-01-0x", "2026-01-01 "}) {
    EXPECT_CODE(store_->add_usage(delta(uid, day, 1)), StatusCode::kInvalidArgument) << day;
    EXPECT_CODE(store_->get_usage(uid, day), StatusCode::kInvalidArgument) << day;
    EXPECT_CODE(store_->list_usage(day, "2026-01-01"), StatusCode::kInvalidArgument) << day;
  }
  EXPECT_CODE(store_->add_usage(delta(uid, "2026-01-01", -1)), StatusCode::kInvalidArgument);
  EXPECT_CODE(store_->add_usage(delta(uid + 9, "2026-01-01", 1)), StatusCode::kNotFound);
  EXPECT_TRUE(store_->list_usage("2000-01-01", "2999-12-31")->empty());
}

}  // namespace
}  // namespace teamvl::store::sqlite
