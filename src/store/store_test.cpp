#include "store/store.h"

#include <gtest/gtest.h>

namespace teamvl::store {
namespace {

TEST(RoleTest, NamesRoundTrip) {
  const struct {
    Role role;
    const char* name;
  } cases[] = {
      {Role::kAdmin, "admin"},
      {Role::kMember, "member"},
      {Role::kViewer, "viewer"},
  };
  for (const auto& c : cases) {
    EXPECT_STREQ(role_name(c.role), c.name);
    auto parsed = parse_role(c.name);
    ASSERT_TRUE(parsed.has_value()) << c.name;
    EXPECT_EQ(*parsed, c.role);
  }
}

TEST(RoleTest, RejectsUnknownNames) {
  for (const char* bad : {"", "Admin", "ADMIN", "root", "member ", " viewer", "adm"}) {
    EXPECT_FALSE(parse_role(bad).has_value()) << "'" << bad << "'";
  }
}

TEST(TaskNamesTest, KindsAndStates) {
  const struct {
    const char* name;
    bool kind, state, final_state;
  } cases[] = {
      {"chat", true, false, false},      {"api", true, false, false},
      {"pipeline", true, false, false},  {"queued", false, true, false},
      {"running", false, true, false},   {"done", false, true, true},
      {"failed", false, true, true},     {"cancelled", false, true, true},
      {"timed_out", false, true, true},  {"", false, false, false},
      {"Done", false, false, false},     {"canceled", false, false, false},
      {"timed out", false, false, false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(is_task_kind(c.name), c.kind) << c.name;
    EXPECT_EQ(is_task_state(c.name), c.state) << c.name;
    EXPECT_EQ(is_final_task_state(c.name), c.final_state) << c.name;
  }
  EXPECT_TRUE(is_task_state(task_state::kTimedOut));
  EXPECT_TRUE(is_task_kind(task_kind::kPipeline));
}

}  // namespace
}  // namespace teamvl::store
