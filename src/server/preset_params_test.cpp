#include "server/preset_params.h"

#include <gtest/gtest.h>

namespace teamvl::server {
namespace {

TEST(PresetParamsTest, AcceptsEveryKnownFieldAtItsBounds) {
  Json low = {{"temperature", 0},     {"top_p", 0},           {"top_k", 0},
              {"min_p", 0},           {"max_tokens", 1},      {"repetition_penalty", 0.5},
              {"presence_penalty", -2}, {"frequency_penalty", -2}, {"seed", 0},
              {"stop", "###"},        {"max_image_side", 32}, {"system_prompt", ""}};
  Json high = {{"temperature", 2},    {"top_p", 1},            {"top_k", 1000},
               {"min_p", 1},          {"max_tokens", 32768},   {"repetition_penalty", 2},
               {"presence_penalty", 2}, {"frequency_penalty", 2}, {"seed", INT64_MAX},
               {"stop", Json::array({"a", "b"})}, {"max_image_side", 4096},
               {"system_prompt", std::string(8000, 'x')}};
  EXPECT_TRUE(validate_preset_params(low).ok()) << validate_preset_params(low).message();
  EXPECT_TRUE(validate_preset_params(high).ok()) << validate_preset_params(high).message();
  EXPECT_TRUE(validate_preset_params(Json::object()).ok());
  EXPECT_TRUE(validate_preset_params({{"temperature", nullptr}}).ok()) << "null means not set";
  EXPECT_TRUE(validate_preset_params({{"max_tokens", 256.0}}).ok()) << "a whole float is an integer";
  EXPECT_EQ(preset_param_names().size(), low.size());
}

TEST(PresetParamsTest, RefusesEachBadValueNamingTheField) {
  struct Case {
    Json params;
    std::string must_mention;
  };
  std::string long_prompt;
  for (int i = 0; i < 8001; ++i) long_prompt += "é";  // 8001 characters, 16002 bytes
  std::vector<Case> cases = {
      {{{"temperature", 2.01}}, "params.temperature must be a number from 0 to 2"},
      {{{"temperature", -0.1}}, "params.temperature"},
      {{{"temperature", "hot"}}, "params.temperature"},
      {{{"top_p", 1.5}}, "params.top_p must be a number from 0 to 1"},
      {{{"top_k", 1001}}, "params.top_k must be an integer from 0 to 1000"},
      {{{"top_k", 2.5}}, "params.top_k"},
      {{{"min_p", -1}}, "params.min_p"},
      {{{"max_tokens", 0}}, "params.max_tokens must be an integer from 1 to 32768"},
      {{{"max_tokens", 32769}}, "params.max_tokens"},
      {{{"repetition_penalty", 0.4}}, "params.repetition_penalty must be a number from 0.5 to 2"},
      {{{"presence_penalty", 2.5}}, "params.presence_penalty must be a number from -2 to 2"},
      {{{"frequency_penalty", -3}}, "params.frequency_penalty"},
      {{{"seed", -1}}, "params.seed"},
      {{{"seed", 18446744073709551615ull}}, "params.seed"},
      {{{"seed", "42"}}, "params.seed"},
      {{{"max_image_side", 31}}, "params.max_image_side must be an integer from 32 to 4096"},
      {{{"max_image_side", 4097}}, "params.max_image_side"},
      {{{"system_prompt", 5}}, "params.system_prompt must be a string of at most 8000 characters"},
      {{{"system_prompt", long_prompt}}, "params.system_prompt"},
      {{{"stop", ""}}, "params.stop"},
      {{{"stop", Json::array({1})}}, "params.stop"},
      {{{"stop", Json::array({"a", "b", "c", "d", "e", "f", "g", "h", "i"})}}, "params.stop"},
      {{{"tempreature", 1}}, "unknown parameter 'params.tempreature' (known: temperature, top_p, top_k"},
  };
  for (const auto& c : cases) {
    Status st = validate_preset_params(c.params);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << c.params.dump();
    EXPECT_NE(st.message().find(c.must_mention), std::string::npos) << c.params.dump() << " -> " << st.message();
  }
  EXPECT_FALSE(validate_preset_params(Json::array()).ok());
  EXPECT_FALSE(validate_preset_params("temperature").ok());
}

TEST(PresetParamsTest, SystemPromptLimitCountsCharactersNotBytes) {
  std::string prompt;
  for (int i = 0; i < 8000; ++i) prompt += "é";
  EXPECT_TRUE(validate_preset_params({{"system_prompt", prompt}}).ok());
}

TEST(PresetParamsTest, UnknownFieldListsEveryKnownOne) {
  Status st = validate_preset_params({{"colour", "red"}});
  for (const auto& name : preset_param_names()) EXPECT_NE(st.message().find(name), std::string::npos) << name;
}

}  // namespace
}  // namespace teamvl::server
