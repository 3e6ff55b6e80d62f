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

}  // namespace
}  // namespace teamvl::store
