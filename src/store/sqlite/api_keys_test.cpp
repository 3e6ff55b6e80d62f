#include <gtest/gtest.h>

#include "store/sqlite/test_util.h"

namespace teamvl::store::sqlite {
namespace {

class ApiKeysTest : public StoreTest {
 protected:
  Result<ApiKey> create(int64_t user_id, const std::string& prefix) {
    ApiKey k;
    k.user_id = user_id;
    k.name = "key " + prefix;
    k.prefix = prefix;
    k.secret_hash = "hash-" + prefix;
    return store_->create_api_key(k);
  }
};

TEST_F(ApiKeysTest, CreateFillsIdAndCreatedAt) {
  const int64_t uid = add_user("kim");
  auto k = create(uid, "tvl_abc");
  ASSERT_OK(k);
  EXPECT_GT(k->id, 0);
  EXPECT_EQ(k->created_at, clock_.now_unix());

  for (auto got : {store_->get_api_key(k->id), store_->find_api_key("tvl_abc")}) {
    ASSERT_OK(got);
    EXPECT_EQ(got->id, k->id);
    EXPECT_EQ(got->user_id, uid);
    EXPECT_EQ(got->name, "key tvl_abc");
    EXPECT_EQ(got->secret_hash, "hash-tvl_abc");
    EXPECT_EQ(got->call_count, 0);
    EXPECT_FALSE(got->last_used_at.has_value());
    EXPECT_FALSE(got->revoked_at.has_value());
    EXPECT_FALSE(got->expires_at.has_value());
    EXPECT_FALSE(got->rotated_to.has_value());
  }
}

TEST_F(ApiKeysTest, Errors) {
  const int64_t uid = add_user("lee");
  ASSERT_OK(create(uid, "tvl_dup"));
  EXPECT_CODE(create(uid, "tvl_dup"), StatusCode::kAlreadyExists);
  EXPECT_CODE(create(uid + 50, "tvl_other"), StatusCode::kNotFound);
  EXPECT_CODE(create(uid, ""), StatusCode::kInvalidArgument);
  EXPECT_CODE(store_->get_api_key(999), StatusCode::kNotFound);
  EXPECT_CODE(store_->find_api_key("tvl_none"), StatusCode::kNotFound);
  EXPECT_CODE(store_->revoke_api_key(999, 1), StatusCode::kNotFound);
  EXPECT_CODE(store_->record_api_key_use(999, 1), StatusCode::kNotFound);
  EXPECT_CODE(store_->rotate_api_key(999, ApiKey{}, 1), StatusCode::kNotFound);
}

TEST_F(ApiKeysTest, ListAllOrOneMemberNewestFirst) {
  const int64_t a = add_user("a");
  const int64_t b = add_user("b");
  const int64_t k1 = create(a, "p1")->id;
  const int64_t k2 = create(b, "p2")->id;
  const int64_t k3 = create(a, "p3")->id;
  auto all = store_->list_api_keys(std::nullopt);
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].id, k3);
  EXPECT_EQ((*all)[1].id, k2);
  EXPECT_EQ((*all)[2].id, k1);
  auto mine = store_->list_api_keys(a);
  ASSERT_OK(mine);
  ASSERT_EQ(mine->size(), 2u);
  EXPECT_EQ((*mine)[0].id, k3);
  EXPECT_EQ((*mine)[1].id, k1);
  EXPECT_TRUE(store_->list_api_keys(b + 10)->empty());
}

TEST_F(ApiKeysTest, RevokeKeepsTheFirstTime) {
  const int64_t id = create(add_user("m"), "pm")->id;
  ASSERT_OK(store_->revoke_api_key(id, 500));
  ASSERT_OK(store_->revoke_api_key(id, 900));
  EXPECT_EQ(store_->get_api_key(id)->revoked_at, 500);
}

TEST_F(ApiKeysTest, RecordUseCountsAndStamps) {
  const int64_t id = create(add_user("n"), "pn")->id;
  ASSERT_OK(store_->record_api_key_use(id, 10));
  ASSERT_OK(store_->record_api_key_use(id, 20));
  ASSERT_OK(store_->record_api_key_use(id, 30));
  auto k = store_->get_api_key(id);
  ASSERT_OK(k);
  EXPECT_EQ(k->call_count, 3);
  EXPECT_EQ(k->last_used_at, 30);
}

TEST_F(ApiKeysTest, RotateLinksOldToNewWithGrace) {
  const int64_t uid = add_user("o");
  const int64_t old_id = create(uid, "old")->id;
  ApiKey fresh;
  fresh.name = "rotated";
  fresh.prefix = "new";
  fresh.secret_hash = "h2";
  auto made = store_->rotate_api_key(old_id, fresh, 7777);
  ASSERT_OK(made);
  EXPECT_EQ(made->user_id, uid);  // taken from the old key
  EXPECT_EQ(made->prefix, "new");
  auto old = store_->get_api_key(old_id);
  ASSERT_OK(old);
  EXPECT_EQ(old->expires_at, 7777);
  EXPECT_EQ(old->rotated_to, made->id);
  EXPECT_FALSE(old->revoked_at.has_value());
  EXPECT_OK(store_->find_api_key("new"));

  // Rotating the same key again is refused; so is rotating a revoked one.
  fresh.prefix = "newer";
  EXPECT_CODE(store_->rotate_api_key(old_id, fresh, 8888), StatusCode::kFailedPrecondition);
  ASSERT_OK(store_->revoke_api_key(made->id, 1));
  EXPECT_CODE(store_->rotate_api_key(made->id, fresh, 8888), StatusCode::kFailedPrecondition);
  EXPECT_CODE(store_->find_api_key("newer"), StatusCode::kNotFound);
}

TEST_F(ApiKeysTest, RotateIsAtomic) {
  const int64_t uid = add_user("p");
  const int64_t old_id = create(uid, "keep")->id;
  ASSERT_OK(create(uid, "taken"));
  ApiKey clash;
  clash.prefix = "taken";
  clash.secret_hash = "h";
  EXPECT_CODE(store_->rotate_api_key(old_id, clash, 5), StatusCode::kAlreadyExists);
  auto old = store_->get_api_key(old_id);
  ASSERT_OK(old);
  EXPECT_FALSE(old->expires_at.has_value());
  EXPECT_FALSE(old->rotated_to.has_value());

  // A replacement for somebody else's key is refused and leaves nothing.
  ApiKey foreign;
  foreign.user_id = add_user("q");
  foreign.prefix = "foreign";
  EXPECT_CODE(store_->rotate_api_key(old_id, foreign, 5), StatusCode::kInvalidArgument);
  EXPECT_CODE(store_->find_api_key("foreign"), StatusCode::kNotFound);
}

}  // namespace
}  // namespace teamvl::store::sqlite
