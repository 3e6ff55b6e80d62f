#include "pipelines/definition.h"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

namespace teamvl::pipelines {
namespace {

using Json = nlohmann::json;

// The team: alice (1) and bob (2) may own steps; vera is a viewer.
DefinitionLookups team() {
  DefinitionLookups l;
  l.member_id = [](const std::string& name) -> Result<int64_t> {
    static const std::map<std::string, int64_t> ids = {{"alice", 1}, {"bob", 2}};
    if (name == "vera") return Status::InvalidArgument("member 'vera' is a viewer");
    auto it = ids.find(name);
    if (it == ids.end()) return Status::NotFound("no member '" + name + "'");
    return it->second;
  };
  l.has_preset = [](int64_t user, const std::string& preset) {
    return user == 1 && preset == "careful" ? Status::Ok() : Status::NotFound("no preset '" + preset + "'");
  };
  return l;
}

Json step(const std::string& name, const std::string& owner, const std::string& prompt) {
  return Json{{"name", name}, {"owner", owner}, {"prompt", prompt}};
}

Json valid() {
  return Json{{"name", "manuals"},
              {"steps",
               {step("describe", "alice", "Describe {{file}} of {{item}}"),
                step("tables", "bob", "Tables of: {{input}}"),
                {{"name", "check"}, {"type", "review"}, {"owner", "alice"}}}}};
}

TEST(DefinitionTest, FillsTheTeamDefaultsAndResolvesOwners) {
  PipelineDefaults d;
  d.task_timeout_s = 90;
  d.auto_retry = 1;
  d.output_format = OutputFormat::kHtml;
  Json j = valid();
  j["steps"][1]["output_format"] = "markdown";
  j["steps"][1]["auto_retry"] = false;
  j["steps"][1]["task_timeout"] = 30;
  j["steps"][0]["preset"] = "careful";
  j["steps"][0]["params"] = {{"max_tokens", 8}};
  auto def = parse_definition(j, d, team());
  ASSERT_TRUE(def.ok()) << def.status().to_string();
  ASSERT_EQ(def->steps.size(), 3u);
  EXPECT_EQ(def->output_format, OutputFormat::kHtml);
  EXPECT_FALSE(def->split_pages);
  const StepDef& a = def->steps[0];
  EXPECT_EQ(a.owner_id, 1);
  EXPECT_TRUE(a.uses_file);
  EXPECT_EQ(a.task_timeout_s, 90);
  EXPECT_EQ(a.auto_retry, 1);
  EXPECT_EQ(a.output_format, OutputFormat::kHtml);
  EXPECT_EQ(a.preset, "careful");
  const StepDef& b = def->steps[1];
  EXPECT_EQ(b.owner_id, 2);
  EXPECT_FALSE(b.uses_file);
  EXPECT_EQ(b.auto_retry, 0);
  EXPECT_EQ(b.task_timeout_s, 30);
  const StepDef& r = def->steps[2];
  EXPECT_TRUE(r.review);
  EXPECT_EQ(r.output_format, OutputFormat::kMarkdown) << "a review keeps the format of what it reviews";

  // The stored form reads back to the same definition, defaults included.
  Json stored = definition_to_json(*def);
  auto again = parse_definition(stored, PipelineDefaults{}, team());
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_EQ(definition_to_json(*again), stored);
  EXPECT_EQ(stored["steps"][0]["task_timeout"], 90);
}

TEST(DefinitionTest, EveryBadInputNamesItsField) {
  struct Bad {
    std::function<void(Json&)> edit;
    std::string mention;
  };
  std::vector<Bad> bad = {
      {[](Json& j) { j.erase("name"); }, "name is required"},
      {[](Json& j) { j["name"] = "../etc"; }, "name must be"},
      {[](Json& j) { j["name"] = ".hidden"; }, "name must be"},
      {[](Json& j) { j["name"] = 7; }, "name must be a string"},
      {[](Json& j) { j["description"] = std::string(2001, 'x'); }, "description is longer"},
      {[](Json& j) { j["items"] = "chapter"; }, "items must be document"},
      {[](Json& j) { j["output_format"] = "pdf"; }, "'output_format' must be markdown"},
      {[](Json& j) { j["task_timeout"] = 0; }, "task_timeout must be"},
      {[](Json& j) { j["auto_retry"] = 11; }, "auto_retry must be"},
      {[](Json& j) { j["auto_retry"] = "yes"; }, "auto_retry must be"},
      {[](Json& j) { j["steps"] = Json::array(); }, "steps must be a non-empty array"},
      {[](Json& j) { j["steps"] = "describe"; }, "steps must be a non-empty array"},
      {[](Json& j) { j["colour"] = "red"; }, "unknown field 'colour'"},
      {[](Json& j) { j["steps"][0] = 5; }, "steps[0] must be an object"},
      {[](Json& j) { j["steps"][0].erase("name"); }, "steps[0].name is required"},
      {[](Json& j) { j["steps"][0]["name"] = "a/b"; }, "steps[0].name must be"},
      {[](Json& j) { j["steps"][1]["name"] = "describe"; }, "used twice"},
      {[](Json& j) { j["steps"][0]["type"] = "vote"; }, "steps[0].type must be"},
      {[](Json& j) { j["steps"][0].erase("owner"); }, "steps[0].owner is required"},
      {[](Json& j) { j["steps"][0]["owner"] = "mallory"; }, "steps[0].owner: no member 'mallory'"},
      {[](Json& j) { j["steps"][1]["owner"] = "vera"; }, "steps[1].owner: member 'vera' is a viewer"},
      {[](Json& j) { j["steps"][0].erase("prompt"); }, "steps[0].prompt is required"},
      {[](Json& j) { j["steps"][0]["prompt"] = "{{input}}"; }, "first step has no {{input}}"},
      {[](Json& j) { j["steps"][1]["prompt"] = "{{inputs}}"; }, "steps[1].prompt: unknown placeholder"},
      {[](Json& j) { j["steps"][1]["prompt"] = "{{input"; }, "steps[1].prompt: unclosed"},
      {[](Json& j) { j["steps"][0]["prompt"] = std::string(64 * 1024 + 1, 'x'); }, "steps[0].prompt is longer"},
      {[](Json& j) { j["steps"][0]["params"] = "hot"; }, "steps[0].params must be an object"},
      {[](Json& j) { j["steps"][1]["preset"] = "careful"; }, "steps[1].preset: no preset 'careful'"},
      {[](Json& j) { j["steps"][0]["output_format"] = "docx"; }, "steps[0].output_format"},
      {[](Json& j) { j["steps"][0]["task_timeout"] = 604801; }, "steps[0].task_timeout"},
      {[](Json& j) { j["steps"][0]["auto_retry"] = -1; }, "steps[0].auto_retry"},
      {[](Json& j) { j["steps"][0]["temperature"] = 1; }, "steps[0]: unknown field 'temperature'"},
      {[](Json& j) { j["steps"][2]["prompt"] = "hi"; }, "steps[2].prompt: a review step runs no model"},
      {[](Json& j) { j["steps"].erase(0); j["steps"].erase(0); }, "steps[0] cannot be a review"},
      {[](Json& j) {
         for (int i = 0; i < 20; ++i) j["steps"].push_back(step("s" + std::to_string(i), "bob", "{{input}}"));
       },
       "more than 20"},
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    Json j = valid();
    bad[i].edit(j);
    auto def = parse_definition(j, PipelineDefaults{}, team());
    ASSERT_FALSE(def.ok()) << "case " << i << ": " << j.dump();
    EXPECT_EQ(def.status().code(), StatusCode::kInvalidArgument) << i;
    EXPECT_NE(def.status().message().find(bad[i].mention), std::string::npos)
        << "case " << i << ": '" << def.status().message() << "' should mention '" << bad[i].mention << "'";
  }
  EXPECT_FALSE(parse_definition(Json::array(), PipelineDefaults{}, team()).ok());
}

TEST(DefinitionTest, YamlBecomesTheSameJson) {
  auto j = yaml_to_json(
      "name: manuals\n"
      "items: page\n"
      "task_timeout: 1800\n"
      "auto_retry: true\n"
      "output_format: html\n"
      "steps:\n"
      "  - name: describe\n"
      "    owner: alice\n"
      "    prompt: \"Describe {{file}}\"\n"
      "    params: {temperature: 0.2, max_tokens: 64}\n"
      "  - name: code\n"
      "    owner: bob\n"
      "    prompt: '123'\n");
  ASSERT_TRUE(j.ok()) << j.status().to_string();
  EXPECT_EQ((*j)["auto_retry"], true);
  EXPECT_EQ((*j)["task_timeout"], 1800);
  EXPECT_EQ((*j)["steps"][0]["params"]["temperature"], 0.2);
  EXPECT_EQ((*j)["steps"][1]["prompt"], "123") << "a quoted scalar stays a string";
  auto def = parse_definition(*j, PipelineDefaults{}, team());
  ASSERT_TRUE(def.ok()) << def.status().to_string();
  EXPECT_TRUE(def->split_pages);
  EXPECT_EQ(def->steps[0].auto_retry, kAutoRetryTrue);
  EXPECT_EQ(yaml_to_json("a: [unclosed").status().code(), StatusCode::kInvalidArgument);
}

TEST(DefinitionTest, SegmentNamesCannotLeaveTheirFolder) {
  for (const char* ok : {"manuals", "a.b-c_d", "X1"}) EXPECT_TRUE(valid_segment_name(ok)) << ok;
  for (const char* bad : {"", ".", "..", ".git", "a/b", "a\\b", "a b", "ä"}) EXPECT_FALSE(valid_segment_name(bad)) << bad;
  EXPECT_FALSE(valid_segment_name(std::string(65, 'a')));
}

}  // namespace
}  // namespace teamvl::pipelines
