#include "pipelines/template.h"

#include <gtest/gtest.h>

namespace teamvl::pipelines {
namespace {

TEST(TemplateTest, FindsThePlaceholdersItUses) {
  auto names = template_placeholders("Describe {{file}} of {{ item }}; before: {{input}}");
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::set<std::string>{"file", "item", "input"}));
  auto none = template_placeholders("no placeholders, just { braces }");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(TemplateTest, RefusesUnknownAndUnclosedPlaceholders) {
  auto unknown = template_placeholders("Hello {{name}}");
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("{{name}}"), std::string::npos);
  auto unclosed = template_placeholders("Hello {{input");
  EXPECT_EQ(unclosed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unclosed.status().message().find("unclosed"), std::string::npos);
}

TEST(TemplateTest, RendersValuesVerbatimAndNeverReExpandsThem) {
  TemplateVars v{"the {{item}} table", "[2 images]", "manual.pdf"};
  EXPECT_EQ(render_template("In: {{input}} | {{file}} | {{ item }}", v),
            "In: the {{item}} table | [2 images] | manual.pdf");
  EXPECT_EQ(render_template("{{input}}{{input}}", v), "the {{item}} tablethe {{item}} table");
  EXPECT_EQ(render_template("", v), "");
}

}  // namespace
}  // namespace teamvl::pipelines
