#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/sqlite/test_util.h"

namespace teamvl::store::sqlite {
namespace {

class PresetsTest : public StoreTest {
 protected:
  Result<Preset> create(int64_t user_id, const std::string& name,
                        const std::string& params = R"({"temperature":0.7})") {
    Preset p;
    p.user_id = user_id;
    p.name = name;
    p.params_json = params;
    return store_->create_preset(p);
  }
  std::vector<std::string> names(int64_t user_id) {
    std::vector<std::string> out;
    auto list = store_->list_presets(user_id);
    EXPECT_TRUE(list.ok()) << list.status().to_string();
    if (list.ok()) {
      for (const Preset& p : *list) out.push_back(p.name);
    }
    return out;
  }
};

TEST_F(PresetsTest, CreateFillsIdAndTimesAndReadsBack) {
  const int64_t uid = add_user("ann");
  auto made = create(uid, "precise", R"({"temperature":0,"top_p":1})");
  ASSERT_OK(made);
  EXPECT_GT(made->id, 0);
  EXPECT_EQ(made->created_at, clock_.now_unix());
  EXPECT_EQ(made->updated_at, clock_.now_unix());
  auto got = store_->get_preset(made->id);
  ASSERT_OK(got);
  EXPECT_EQ(got->user_id, uid);
  EXPECT_EQ(got->name, "precise");
  EXPECT_EQ(got->params_json, R"({"temperature":0,"top_p":1})");
  // Empty parameters are an empty object.
  auto bare = create(uid, "defaults", "");
  ASSERT_OK(bare);
  EXPECT_EQ(store_->get_preset(bare->id)->params_json, "{}");
}

TEST_F(PresetsTest, NamesAreUniquePerMember) {
  const int64_t a = add_user("bo");
  const int64_t b = add_user("cy");
  ASSERT_OK(create(a, "creative"));
  auto dup = create(a, "creative", R"({"temperature":1.5})");
  EXPECT_CODE(dup, StatusCode::kAlreadyExists);
  EXPECT_NE(dup.status().message().find("creative"), std::string::npos);
  EXPECT_OK(create(b, "creative"));           // another member may use the name
  EXPECT_OK(create(a, "Creative"));           // names are case-sensitive
  EXPECT_EQ(names(a), (std::vector<std::string>{"Creative", "creative"}));
  EXPECT_EQ(names(b), (std::vector<std::string>{"creative"}));
}

TEST_F(PresetsTest, RefusesBadPresets) {
  const int64_t uid = add_user("di");
  EXPECT_CODE(create(uid, ""), StatusCode::kInvalidArgument);
  for (const char* bad : {"{", "temperature=1", "[1,2]", "3", "\"x\"", "{} []"}) {
    EXPECT_CODE(create(uid, "p", bad), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_CODE(create(uid + 10, "p"), StatusCode::kNotFound);
  EXPECT_CODE(store_->get_preset(1), StatusCode::kNotFound);
  EXPECT_CODE(store_->delete_preset(1), StatusCode::kNotFound);
  EXPECT_TRUE(store_->list_presets(uid)->empty());
}

TEST_F(PresetsTest, ListIsOneMembersByName) {
  const int64_t a = add_user("ed");
  const int64_t b = add_user("flo");
  ASSERT_OK(create(a, "zeta"));
  ASSERT_OK(create(b, "mine"));
  ASSERT_OK(create(a, "alpha"));
  ASSERT_OK(create(a, "mid"));
  EXPECT_EQ(names(a), (std::vector<std::string>{"alpha", "mid", "zeta"}));
  EXPECT_EQ(names(b), (std::vector<std::string>{"mine"}));
  EXPECT_TRUE(names(b + 5).empty());
}

TEST_F(PresetsTest, UpdateWritesNameAndParams) {
  const int64_t a = add_user("gil");
  const int64_t b = add_user("hal");
  auto made = create(a, "draft");
  ASSERT_OK(made);
  ASSERT_OK(create(a, "taken"));
  ASSERT_OK(create(b, "theirs"));
  clock_.advance_seconds(90);

  Preset p = *made;
  p.name = "final";
  p.params_json = R"({"temperature":0.2,"stop":["\n\n"]})";
  p.user_id = b;       // the owner cannot be changed by an update
  p.created_at = 1;    // nor the creation time
  ASSERT_OK(store_->update_preset(p));
  auto got = store_->get_preset(made->id);
  ASSERT_OK(got);
  EXPECT_EQ(got->name, "final");
  EXPECT_EQ(got->params_json, R"({"temperature":0.2,"stop":["\n\n"]})");
  EXPECT_EQ(got->user_id, a);
  EXPECT_EQ(got->created_at, made->created_at);
  EXPECT_EQ(got->updated_at, clock_.now_unix());

  // A name this member already uses is refused; another member's is fine.
  p.name = "taken";
  EXPECT_CODE(store_->update_preset(p), StatusCode::kAlreadyExists);
  p.name = "theirs";
  EXPECT_OK(store_->update_preset(p));
  p.params_json = "nope";
  EXPECT_CODE(store_->update_preset(p), StatusCode::kInvalidArgument);
  p.name = "";
  p.params_json = "{}";
  EXPECT_CODE(store_->update_preset(p), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->get_preset(made->id)->name, "theirs");
  EXPECT_EQ(store_->get_preset(made->id)->params_json, R"({"temperature":0.2,"stop":["\n\n"]})");

  Preset ghost = p;
  ghost.id = 999;
  ghost.name = "ghost";
  EXPECT_CODE(store_->update_preset(ghost), StatusCode::kNotFound);
}

TEST_F(PresetsTest, DeleteFreesTheName) {
  const int64_t uid = add_user("ida");
  auto made = create(uid, "once");
  ASSERT_OK(made);
  ASSERT_OK(store_->delete_preset(made->id));
  EXPECT_CODE(store_->get_preset(made->id), StatusCode::kNotFound);
  EXPECT_CODE(store_->delete_preset(made->id), StatusCode::kNotFound);
  auto again = create(uid, "once");
  ASSERT_OK(again);
  EXPECT_NE(again->id, made->id);
}

}  // namespace
}  // namespace teamvl::store::sqlite
