#include "base/status.h"

#include <gtest/gtest.h>

namespace teamvl {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return Status::InvalidArgument("must be positive, got " + std::to_string(v));
  return v;
}

Status chain(int v, int* out) {
  TEAMVL_ASSIGN_OR_RETURN(*out, parse_positive(v));
  return Status::Ok();
}

TEST(StatusTest, OkAndErrorsCarryCodeAndMessage) {
  EXPECT_TRUE(Status::Ok().ok());
  Status s = Status::NotFound("user 'bob'");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.to_string(), "not_found: user 'bob'");
}

TEST(StatusTest, ResultPropagatesThroughMacros) {
  int out = 0;
  EXPECT_TRUE(chain(5, &out).ok());
  EXPECT_EQ(out, 5);
  Status s = chain(-1, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "must be positive, got -1");
}

}  // namespace
}  // namespace teamvl
