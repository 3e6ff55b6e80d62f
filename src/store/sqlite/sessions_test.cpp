#include <gtest/gtest.h>

#include "store/sqlite/test_util.h"

namespace teamvl::store::sqlite {
namespace {

class SessionsTest : public StoreTest {
 protected:
  WebSession make(const std::string& token, int64_t user_id, int64_t expires_at) {
    WebSession s;
    s.token_hash = token;
    s.user_id = user_id;
    s.csrf_token = "csrf-" + token;
    s.client_addr = "10.0.0.7";
    s.created_at = 100;
    s.expires_at = expires_at;
    s.last_seen_at = 100;
    return s;
  }
};

TEST_F(SessionsTest, CreateGetTouchDelete) {
  const int64_t uid = add_user("ann");
  ASSERT_OK(store_->create_session(make("aa11", uid, 5000)));
  auto got = store_->get_session("aa11");
  ASSERT_OK(got);
  EXPECT_EQ(got->user_id, uid);
  EXPECT_EQ(got->csrf_token, "csrf-aa11");
  EXPECT_EQ(got->client_addr, "10.0.0.7");
  EXPECT_EQ(got->created_at, 100);
  EXPECT_EQ(got->expires_at, 5000);
  EXPECT_EQ(got->last_seen_at, 100);

  ASSERT_OK(store_->touch_session("aa11", 250));
  EXPECT_EQ(store_->get_session("aa11")->last_seen_at, 250);

  ASSERT_OK(store_->delete_session("aa11"));
  EXPECT_CODE(store_->get_session("aa11"), StatusCode::kNotFound);
}

TEST_F(SessionsTest, ErrorsForMissingRowsDuplicatesAndBadInput) {
  const int64_t uid = add_user("ben");
  EXPECT_CODE(store_->get_session("nope"), StatusCode::kNotFound);
  EXPECT_CODE(store_->touch_session("nope", 1), StatusCode::kNotFound);
  EXPECT_CODE(store_->delete_session("nope"), StatusCode::kNotFound);
  ASSERT_OK(store_->create_session(make("t1", uid, 5000)));
  EXPECT_CODE(store_->create_session(make("t1", uid, 6000)), StatusCode::kAlreadyExists);
  EXPECT_CODE(store_->create_session(make("t2", uid + 100, 6000)), StatusCode::kNotFound);
  EXPECT_CODE(store_->create_session(make("", uid, 6000)), StatusCode::kInvalidArgument);
}

TEST_F(SessionsTest, DeleteUserSessionsOnlyTouchesThatUser) {
  const int64_t a = add_user("a");
  const int64_t b = add_user("b");
  ASSERT_OK(store_->create_session(make("a1", a, 5000)));
  ASSERT_OK(store_->create_session(make("a2", a, 5000)));
  ASSERT_OK(store_->create_session(make("b1", b, 5000)));
  ASSERT_OK(store_->delete_user_sessions(a));
  EXPECT_CODE(store_->get_session("a1"), StatusCode::kNotFound);
  EXPECT_CODE(store_->get_session("a2"), StatusCode::kNotFound);
  EXPECT_OK(store_->get_session("b1"));
  // Nothing left to delete is fine.
  EXPECT_OK(store_->delete_user_sessions(a));
}

TEST_F(SessionsTest, DeleteExpiredUsesTheGivenTime) {
  const int64_t uid = add_user("c");
  ASSERT_OK(store_->create_session(make("old", uid, 1000)));
  ASSERT_OK(store_->create_session(make("edge", uid, 2000)));
  ASSERT_OK(store_->create_session(make("new", uid, 3000)));
  ASSERT_OK(store_->delete_expired_sessions(2000));
  EXPECT_CODE(store_->get_session("old"), StatusCode::kNotFound);
  EXPECT_CODE(store_->get_session("edge"), StatusCode::kNotFound);  // expires_at <= now
  EXPECT_OK(store_->get_session("new"));
}

}  // namespace
}  // namespace teamvl::store::sqlite
