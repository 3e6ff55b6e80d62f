#include "pipelines/output_check.h"

#include <gtest/gtest.h>

namespace teamvl::pipelines {
namespace {

TEST(OutputCheckTest, JsonMustParseAndLosesAFence) {
  auto plain = check_output(OutputFormat::kJson, R"( {"model": "X1", "mm": [1, 2]} )");
  ASSERT_TRUE(plain.ok());
  auto fenced = check_output(OutputFormat::kJson, "```json\n{\"a\": 1}\n```");
  ASSERT_TRUE(fenced.ok());
  EXPECT_EQ(*fenced, "{\"a\": 1}");
  for (const char* bad : {"{\"a\": }", "model: X1", "```json\nnot json\n```", "{\"a\": \"\xe5\""}) {
    auto r = check_output(OutputFormat::kJson, bad);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(r.status().message().find("not valid JSON"), std::string::npos);
    // The message is safe to put in a JSON document (no bytes of the output).
    EXPECT_EQ(r.status().message().find('\xe5'), std::string::npos);
  }
}

TEST(OutputCheckTest, TextFormatsNeedSomeText) {
  for (OutputFormat f : {OutputFormat::kMarkdown, OutputFormat::kHtml, OutputFormat::kText}) {
    auto ok = check_output(f, "| model | parameter | unit |");
    ASSERT_TRUE(ok.ok());
    EXPECT_EQ(*ok, "| model | parameter | unit |");
    EXPECT_EQ(check_output(f, " \n\t ").status().code(), StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace teamvl::pipelines
