#include <gtest/gtest.h>

#include "store/sqlite/test_util.h"

namespace teamvl::store::sqlite {
namespace {

using UsersTest = StoreTest;

TEST_F(UsersTest, CreateFillsIdAndTimesAndReadsBack) {
  User u;
  u.username = "ada@example.com";
  u.display_name = "Ada";
  u.role = Role::kViewer;
  u.password_hash = "$argon2id$hash";
  u.must_change_password = true;
  u.disabled = true;
  u.created_at = 5;  // ignored: the store sets the times
  auto created = store_->create_user(u);
  ASSERT_OK(created);
  EXPECT_GT(created->id, 0);
  EXPECT_EQ(created->created_at, clock_.now_unix());
  EXPECT_EQ(created->updated_at, clock_.now_unix());

  for (auto got : {store_->get_user(created->id), store_->find_user("ada@example.com")}) {
    ASSERT_OK(got);
    EXPECT_EQ(got->id, created->id);
    EXPECT_EQ(got->username, "ada@example.com");
    EXPECT_EQ(got->display_name, "Ada");
    EXPECT_EQ(got->role, Role::kViewer);
    EXPECT_EQ(got->password_hash, "$argon2id$hash");
    EXPECT_TRUE(got->must_change_password);
    EXPECT_TRUE(got->disabled);
    EXPECT_EQ(got->created_at, clock_.now_unix());
  }
}

TEST_F(UsersTest, DuplicateUsernameIsAlreadyExists) {
  add_user("bob");
  User again;
  again.username = "bob";
  EXPECT_CODE(store_->create_user(again), StatusCode::kAlreadyExists);
  // Case-sensitive: a different spelling is a different user.
  again.username = "Bob";
  EXPECT_OK(store_->create_user(again));
}

TEST_F(UsersTest, EmptyUsernameIsInvalid) {
  EXPECT_CODE(store_->create_user(User{}), StatusCode::kInvalidArgument);
}

TEST_F(UsersTest, MissingUserIsNotFound) {
  EXPECT_CODE(store_->get_user(42), StatusCode::kNotFound);
  EXPECT_CODE(store_->find_user("nobody"), StatusCode::kNotFound);
  User ghost;
  ghost.id = 42;
  ghost.username = "ghost";
  EXPECT_CODE(store_->update_user(ghost), StatusCode::kNotFound);
  EXPECT_CODE(store_->delete_user(42), StatusCode::kNotFound);
}

TEST_F(UsersTest, ListIsOrderedById) {
  const int64_t c = add_user("carol");
  const int64_t a = add_user("alice");
  const int64_t b = add_user("bob");
  auto users = store_->list_users();
  ASSERT_OK(users);
  ASSERT_EQ(users->size(), 3u);
  EXPECT_EQ((*users)[0].id, c);
  EXPECT_EQ((*users)[1].id, a);
  EXPECT_EQ((*users)[2].id, b);
  EXPECT_EQ((*users)[1].username, "alice");
}

TEST_F(UsersTest, UpdateWritesFieldsButKeepsCreatedAt) {
  const int64_t id = add_user("dave");
  clock_.advance_seconds(100);
  auto u = store_->get_user(id);
  ASSERT_OK(u);
  User changed = *u;
  changed.username = "david";
  changed.display_name = "David";
  changed.role = Role::kAdmin;
  changed.password_hash = "new";
  changed.must_change_password = true;
  changed.disabled = true;
  changed.created_at = 1;
  changed.updated_at = 0;  // 0: the store stamps the time
  ASSERT_OK(store_->update_user(changed));
  auto got = store_->get_user(id);
  ASSERT_OK(got);
  EXPECT_EQ(got->username, "david");
  EXPECT_EQ(got->display_name, "David");
  EXPECT_EQ(got->role, Role::kAdmin);
  EXPECT_EQ(got->password_hash, "new");
  EXPECT_TRUE(got->must_change_password);
  EXPECT_TRUE(got->disabled);
  EXPECT_EQ(got->created_at, u->created_at);
  EXPECT_EQ(got->updated_at, u->created_at + 100);
  EXPECT_CODE(store_->find_user("dave"), StatusCode::kNotFound);

  changed.updated_at = 12345;  // a time the caller chose is written as given
  ASSERT_OK(store_->update_user(changed));
  EXPECT_EQ(store_->get_user(id)->updated_at, 12345);
  EXPECT_EQ(store_->get_user(id)->created_at, u->created_at);
}

TEST_F(UsersTest, UpdateToTakenUsernameIsAlreadyExists) {
  add_user("erin");
  const int64_t id = add_user("frank");
  auto u = store_->get_user(id);
  ASSERT_OK(u);
  User changed = *u;
  changed.username = "erin";
  EXPECT_CODE(store_->update_user(changed), StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->get_user(id)->username, "frank");
}

TEST_F(UsersTest, DeleteCascadesToSessionsKeysQuotaAndUsage) {
  const int64_t gone = add_user("gone");
  const int64_t kept = add_user("kept");
  for (int64_t uid : {gone, kept}) {
    const std::string tag = std::to_string(uid);
    WebSession s;
    s.token_hash = "session-" + tag;
    s.user_id = uid;
    s.csrf_token = "csrf";
    s.expires_at = clock_.now_unix() + 3600;
    ASSERT_OK(store_->create_session(s));
    ApiKey k;
    k.user_id = uid;
    k.prefix = "tvl_" + tag;
    k.secret_hash = "h";
    ASSERT_OK(store_->create_api_key(k));
    Quota q;
    q.user_id = uid;
    q.tokens_per_day = 1000;
    ASSERT_OK(store_->set_quota(q));
    Usage d;
    d.user_id = uid;
    d.day = "2026-01-02";
    d.inferences = 1;
    ASSERT_OK(store_->add_usage(d));
  }
  ASSERT_OK(store_->delete_user(gone));

  const std::string g = std::to_string(gone);
  EXPECT_CODE(store_->get_user(gone), StatusCode::kNotFound);
  EXPECT_CODE(store_->get_session("session-" + g), StatusCode::kNotFound);
  EXPECT_CODE(store_->find_api_key("tvl_" + g), StatusCode::kNotFound);
  EXPECT_CODE(store_->get_quota(gone), StatusCode::kNotFound);
  auto usage = store_->list_usage("2026-01-01", "2026-12-31");
  ASSERT_OK(usage);
  ASSERT_EQ(usage->size(), 1u);
  EXPECT_EQ((*usage)[0].user_id, kept);

  // The other member keeps everything.
  const std::string k = std::to_string(kept);
  EXPECT_OK(store_->get_session("session-" + k));
  EXPECT_OK(store_->find_api_key("tvl_" + k));
  EXPECT_EQ(store_->get_quota(kept)->tokens_per_day, 1000);
}

TEST_F(UsersTest, IdsAreNotReusedAfterDelete) {
  const int64_t first = add_user("first");
  ASSERT_OK(store_->delete_user(first));
  EXPECT_GT(add_user("second"), first);
}

TEST_F(UsersTest, SetupCompletesOnceAndStaysDoneAfterReopen) {
  auto done = store_->setup_done();
  ASSERT_OK(done);
  EXPECT_FALSE(*done);

  User admin;
  admin.username = "root@example.com";
  admin.role = Role::kViewer;  // setup always makes an admin
  auto created = store_->complete_setup(admin);
  ASSERT_OK(created);
  EXPECT_EQ(created->role, Role::kAdmin);
  EXPECT_EQ(store_->get_user(created->id)->role, Role::kAdmin);
  EXPECT_TRUE(*store_->setup_done());

  User second;
  second.username = "other@example.com";
  EXPECT_CODE(store_->complete_setup(second), StatusCode::kFailedPrecondition);
  EXPECT_CODE(store_->find_user("other@example.com"), StatusCode::kNotFound);

  reopen();
  EXPECT_TRUE(*store_->setup_done());
  EXPECT_CODE(store_->complete_setup(second), StatusCode::kFailedPrecondition);
  EXPECT_CODE(store_->find_user("other@example.com"), StatusCode::kNotFound);
}

TEST_F(UsersTest, FailedSetupLeavesSetupOpen) {
  add_user("taken");
  User admin;
  admin.username = "taken";
  EXPECT_CODE(store_->complete_setup(admin), StatusCode::kAlreadyExists);
  EXPECT_FALSE(*store_->setup_done());
  admin.username = "free";
  EXPECT_OK(store_->complete_setup(admin));
}

TEST_F(UsersTest, DataSurvivesReopen) {
  const int64_t id = add_user("persist");
  reopen();
  auto got = store_->get_user(id);
  ASSERT_OK(got);
  EXPECT_EQ(got->username, "persist");
}

}  // namespace
}  // namespace teamvl::store::sqlite
