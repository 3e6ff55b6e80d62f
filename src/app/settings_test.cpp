#include "app/settings.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace teamvl::app {
namespace {

TEST(SettingsTest, DefaultsFileEnvFlagsInThatOrder) {
  std::string yaml = ::testing::TempDir() + "/settings_test.yaml";
  std::ofstream(yaml) << "port: 9000\nhost: 127.0.0.1\nmax_users: 3\n";
  std::vector<std::string> args = {"--config", yaml, "--max-users", "9", "leftover"};
  auto s = load_settings(&args, {{"TEAMVL_PORT", "9001"}, {"MAX_USERS", "5"}});
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_EQ(s->integer("port"), 9001);
  EXPECT_EQ(s->entry("port").source, "env TEAMVL_PORT");
  EXPECT_EQ(s->str("host"), "127.0.0.1");
  EXPECT_EQ(s->entry("host").source, "file " + yaml);
  EXPECT_EQ(s->integer("max_users"), 9);
  EXPECT_EQ(s->entry("max_users").source, "flag --max-users");
  EXPECT_EQ(s->str("data_dir"), "./data");
  EXPECT_EQ(s->entry("data_dir").source, "default");
  EXPECT_EQ(args, std::vector<std::string>{"leftover"});
  std::remove(yaml.c_str());
}

TEST(SettingsTest, BriefNamesAndBooleans) {
  std::vector<std::string> args = {"--model-cache=off"};
  auto s = load_settings(&args, {{"GPU_MEM_PER_USER", "5.5"}});
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_DOUBLE_EQ(s->number("gpu_mem_per_user"), 5.5);
  EXPECT_FALSE(s->flag("model_cache"));
  EXPECT_EQ(s->str("model_cache"), "false");
}

TEST(SettingsTest, BadValuesNameTheSettingTheValueAndWhatIsAllowed) {
  struct Case {
    std::vector<std::string> args;
    std::map<std::string, std::string> env;
    std::string expect;
  };
  std::vector<Case> cases = {
      {{"--port", "70000"}, {}, "setting 'port' (flag --port): bad value '70000', expected an integer from 0 to 65535"},
      {{"--port"}, {}, "flag --port needs a value"},
      {{}, {{"MAX_USERS", "0"}}, "setting 'max_users' (env MAX_USERS): bad value '0'"},
      {{}, {{"GPU_MEM_PER_USER", "lots"}}, "bad value 'lots', expected a number"},
      {{"--log-level", "chatty"}, {}, "expected one of debug info warn error"},
      {{"--config", "/nonexistent/teamvl.yaml"}, {}, "does not exist"},
      {{"--tls-key", "k.pem"}, {}, "must be set together"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = c.args;
    auto s = load_settings(&args, c.env);
    ASSERT_FALSE(s.ok()) << c.expect;
    EXPECT_NE(s.status().message().find(c.expect), std::string::npos) << s.status().message();
  }
}

TEST(SettingsTest, EverySettingIsDocumentedAndItsDefaultIsValid) {
  std::string md = settings_markdown();
  for (const auto& spec : setting_specs()) {
    EXPECT_NE(md.find("`" + spec.name + "`"), std::string::npos) << spec.name;
    EXPECT_TRUE(validate_setting(spec, spec.default_value, "default").ok()) << spec.name;
    EXPECT_FALSE(spec.description.empty()) << spec.name;
    EXPECT_EQ(spec.flag.rfind("--", 0), 0u) << spec.name;
  }
}

}  // namespace
}  // namespace teamvl::app

namespace teamvl::app {
namespace {

TEST(SettingsTest, DocsSettingsPageIsCurrent) {
  std::ifstream in(std::string(TEAMVL_SOURCE_DIR) + "/docs/settings.md");
  ASSERT_TRUE(in.good()) << "docs/settings.md is missing";
  std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(doc.find(settings_markdown()), std::string::npos)
      << "docs/settings.md is out of date: regenerate its table with `teamvl config --markdown`";
}

}  // namespace
}  // namespace teamvl::app
