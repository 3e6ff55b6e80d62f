#include "pipelines/pipeline_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace teamvl::pipelines {
namespace {
namespace fs = std::filesystem;

class PipelineConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "teamvl_pcfg_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string write(const std::string& text) {
    std::string path = dir_ + "/team_pipeline.yaml";
    std::ofstream(path) << text;
    return path;
  }
  std::string dir_;
};

TEST_F(PipelineConfigTest, TheBriefsKeysApply) {
  std::string path = write("task_timeout: 1800\nauto_retry: true\noutput_format: html\nshared_storage: /team_workspace\n");
  PipelineDefaults base;
  base.task_timeout_s = 60;
  base.auto_retry = 0;
  auto d = load_pipeline_config(path, base, true);
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  EXPECT_EQ(d->task_timeout_s, 1800);
  EXPECT_EQ(d->auto_retry, kAutoRetryTrue);
  EXPECT_EQ(d->output_format, OutputFormat::kHtml);
  EXPECT_EQ(d->shared_storage, "/team_workspace");
  auto counted = load_pipeline_config(write("auto_retry: 3\n"), base, true);
  ASSERT_TRUE(counted.ok());
  EXPECT_EQ(counted->auto_retry, 3);
  EXPECT_EQ(counted->task_timeout_s, 60) << "absent keys keep the base";
  auto off = load_pipeline_config(write("auto_retry: false\n"), base, true);
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(off->auto_retry, 0);
}

TEST_F(PipelineConfigTest, AMissingFileIsFineUnlessAsked) {
  auto d = load_pipeline_config(dir_ + "/absent.yaml", PipelineDefaults{}, false);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->task_timeout_s, PipelineDefaults{}.task_timeout_s);
  EXPECT_EQ(load_pipeline_config(dir_ + "/absent.yaml", PipelineDefaults{}, true).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(load_pipeline_config(write(""), PipelineDefaults{}, true).ok()) << "an empty file changes nothing";
}

TEST_F(PipelineConfigTest, BadValuesNameTheKey) {
  struct Bad {
    std::string yaml, mention;
  };
  std::vector<Bad> bad = {
      {"task_timeout: 0\n", "'task_timeout'"},
      {"task_timeout: soon\n", "'task_timeout'"},
      {"auto_retry: 99\n", "'auto_retry'"},
      {"auto_retry: maybe\n", "'auto_retry'"},
      {"output_format: docx\n", "'output_format' must be markdown, html, json or text"},
      {"shared_storage: ''\n", "'shared_storage'"},
      {"shared_storage: [a, b]\n", "'shared_storage' must be a single value"},
      {"task_timeot: 5\n", "unknown key 'task_timeot'"},
      {"- a\n- b\n", "expected a mapping"},
      {"a: [unclosed\n", "not valid YAML"},
  };
  for (const auto& b : bad) {
    auto d = load_pipeline_config(write(b.yaml), PipelineDefaults{}, true);
    ASSERT_FALSE(d.ok()) << b.yaml;
    EXPECT_NE(d.status().message().find(b.mention), std::string::npos) << b.yaml << " -> " << d.status().message();
  }
}

TEST(OutputFormatTest, NamesAndExtensions) {
  EXPECT_EQ(*parse_format("md", "f"), OutputFormat::kMarkdown);
  EXPECT_STREQ(format_extension(OutputFormat::kMarkdown), "md");
  EXPECT_STREQ(format_extension(OutputFormat::kText), "txt");
  EXPECT_STREQ(format_name(OutputFormat::kJson), "json");
  EXPECT_FALSE(parse_format("HTML5", "f").ok());
}

}  // namespace
}  // namespace teamvl::pipelines
