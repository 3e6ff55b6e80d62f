#include "pipelines/combined_document.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace teamvl::pipelines {
namespace {

std::vector<CombinedItem> items(OutputFormat f, const std::string& first) {
  return {{"manual-a.pdf", "done", first, f}, {"manual-b.pdf", "failed", "", f}};
}

TEST(CombinedDocumentTest, HtmlKeepsHtmlOutputsAndEscapesTheRest) {
  std::string html = combined_document("manuals run 1", OutputFormat::kHtml, items(OutputFormat::kHtml, "<table><tr><td>1</td></tr></table>"));
  EXPECT_NE(html.find("<table><tr><td>1</td></tr></table>"), std::string::npos);
  EXPECT_NE(html.find("<h2>manual-a.pdf</h2>"), std::string::npos);
  EXPECT_NE(html.find("<em>failed</em>"), std::string::npos);
  std::string md = combined_document("t", OutputFormat::kHtml, items(OutputFormat::kMarkdown, "| a | <b> |"));
  EXPECT_NE(md.find("<pre>| a | &lt;b&gt; |</pre>"), std::string::npos) << md;
  EXPECT_NE(combined_document("<script>", OutputFormat::kHtml, {}).find("&lt;script&gt;"), std::string::npos);
}

TEST(CombinedDocumentTest, MarkdownJsonAndText) {
  std::string md = combined_document("manuals", OutputFormat::kMarkdown, items(OutputFormat::kMarkdown, "| m | p | u |"));
  EXPECT_EQ(md, "# manuals\n\n## manual-a.pdf\n\n| m | p | u |\n\n## manual-b.pdf\n\n_failed_\n");
  auto j = nlohmann::json::parse(combined_document("m", OutputFormat::kJson, items(OutputFormat::kJson, "{\"mm\": 3}")));
  EXPECT_EQ(j["items"][0]["output"]["mm"], 3) << "JSON outputs are embedded as JSON";
  EXPECT_EQ(j["items"][1]["state"], "failed");
  EXPECT_FALSE(j["items"][1].contains("output"));
  std::string txt = combined_document("m", OutputFormat::kText, items(OutputFormat::kText, "hello"));
  EXPECT_NE(txt.find("== manual-a.pdf ==\nhello"), std::string::npos);
}

}  // namespace
}  // namespace teamvl::pipelines
