// Qwen3-VL chat template: the fixture renders made by llama.cpp's Jinja engine
// (../shared/fixtures/qwen3vl-tiny/tokenizer/chat_template.json), and cases
// the fixture lacks (content parts, vision ids, tools, tool turns) whose
// expected text was rendered by Jinja2 from the same template text stored in
// the GGUF (tokenizer.chat_template).
#include "engine/tokenizer/chat_template.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace teamvl::engine {
namespace {

using Part = ContentPart;

TEST(ChatTemplateTest, FixtureRendersMatchLlamaCpp) {
  const std::string path = std::string(TEAMVL_FIXTURES_DIR) + "/qwen3vl-tiny/tokenizer/chat_template.json";
  if (!std::filesystem::exists(path)) {
    GTEST_SKIP() << "fixtures not found at " << path << " (../shared/fixtures is absent)";
  }
  std::ifstream in(path);
  const nlohmann::json cases = nlohmann::json::parse(in);
  ASSERT_FALSE(cases.empty());
  for (const auto& c : cases) {
    std::vector<ChatMessage> msgs;
    for (const auto& m : c["messages"]) msgs.push_back({m["role"], m["content"], {}, {}});
    const bool agp = c.value("add_generation_prompt", true);
    EXPECT_EQ(render_chat(msgs, agp), c["rendered"].get<std::string>()) << "case " << c["id"];
  }
}

TEST(ChatTemplateTest, StringContentTurns) {
  const std::vector<ChatMessage> msgs = {{"system", "S", {}, {}}, {"user", "<__media__>Hi", {}, {}},
                                         {"assistant", "Hello", {}, {}}, {"user", "More", {}, {}}};
  EXPECT_EQ(render_chat(msgs, true),
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\n<__media__>Hi<|im_end|>\n"
            "<|im_start|>assistant\nHello<|im_end|>\n<|im_start|>user\nMore<|im_end|>\n"
            "<|im_start|>assistant\n");
  const std::string with_prompt = render_chat(msgs, true);
  EXPECT_EQ(render_chat(msgs, false) + "<|im_start|>assistant\n", with_prompt);
}

TEST(ChatTemplateTest, ImagePartBecomesVisionPlaceholder) {
  const std::vector<ChatMessage> msgs = {{"user", "", {Part::Image(), Part::Text("What is this?")}, {}}};
  EXPECT_EQ(render_chat(msgs, true),
      "<|im_start|>user\n"
      "<|vision_start|><|image_pad|><|vision_end|>What is this?<|im_end|>\n"
      "<|im_start|>assistant\n");
}

TEST(ChatTemplateTest, VisionIdsCountAcrossMessagesAndSystemImagesAreDropped) {
  const std::vector<ChatMessage> msgs = {
      {"system", "", {Part::Text("Sys."), Part::Image()}, {}},
      {"user", "", {Part::Image(), Part::Video(), Part::Text("Compare."), Part::Image()}, {}},
      {"assistant", "", {Part::Text("Done")}, {}},
      {"user", "", {Part::Image()}, {}},
  };
  ChatTemplateOptions opts;
  opts.add_vision_id = true;
  EXPECT_EQ(render_chat(msgs, true, opts),
      "<|im_start|>system\n"
      "Sys.<|im_end|>\n"
      "<|im_start|>user\n"
      "Picture 1: <|vision_start|><|image_pad|><|vision_end|>Video 1: <|vision_start|><|video_pad|><|vision_end|>Compare.Picture 2: <|vision_start|><|image_pad|><|vision_end|><|im_end|>\n"
      "<|im_start|>assistant\n"
      "Done<|im_end|>\n"
      "<|im_start|>user\n"
      "Picture 3: <|vision_start|><|image_pad|><|vision_end|><|im_end|>\n"
      "<|im_start|>assistant\n");
}

TEST(ChatTemplateTest, SystemMessageAfterTheFirstIsDropped) {
  const std::vector<ChatMessage> msgs = {
      {"user", "Hi", {}, {}}, {"system", "ignored", {}, {}}, {"assistant", "Yo", {}, {}}};
  EXPECT_EQ(render_chat(msgs, false),
      "<|im_start|>user\n"
      "Hi<|im_end|>\n"
      "<|im_start|>assistant\n"
      "Yo<|im_end|>\n");
}

TEST(ChatTemplateTest, ToolsToolCallsAndToolResponses) {
  const std::vector<ChatMessage> msgs = {
      {"system", "Be brief.", {}, {}},
      {"user", "Weather in Paris?", {}, {}},
      {"assistant", "", {}, {{"get_weather", "{\"city\": \"Paris\"}"}}},
      {"tool", "{\"temp\": 21}", {}, {}},
      {"tool", "", {Part::Text("sunny"), Part::Image()}, {}},
      {"user", "Thanks", {}, {}},
  };
  ChatTemplateOptions opts;
  opts.tools = {"{\"type\": \"function\", \"function\": {\"name\": \"get_weather\"}}",
                "{\"type\": \"function\", \"function\": {\"name\": \"f2\"}}"};
  EXPECT_EQ(render_chat(msgs, true, opts),
      "<|im_start|>system\n"
      "Be brief.\n"
      "\n"
      "# Tools\n"
      "\n"
      "You may call one or more functions to assist with the user query.\n"
      "\n"
      "You are provided with function signatures within <tools></tools> XML tags:\n"
      "<tools>\n"
      "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\"}}\n"
      "{\"type\": \"function\", \"function\": {\"name\": \"f2\"}}\n"
      "</tools>\n"
      "\n"
      "For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n"
      "<tool_call>\n"
      "{\"name\": <function-name>, \"arguments\": <args-json-object>}\n"
      "</tool_call><|im_end|>\n"
      "<|im_start|>user\n"
      "Weather in Paris?<|im_end|>\n"
      "<|im_start|>assistant\n"
      "<tool_call>\n"
      "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n"
      "</tool_call><|im_end|>\n"
      "<|im_start|>user\n"
      "<tool_response>\n"
      "{\"temp\": 21}\n"
      "</tool_response>\n"
      "<tool_response>\n"
      "sunny<|vision_start|><|image_pad|><|vision_end|>\n"
      "</tool_response><|im_end|>\n"
      "<|im_start|>user\n"
      "Thanks<|im_end|>\n"
      "<|im_start|>assistant\n");
}

TEST(ChatTemplateTest, ToolsWithoutSystemAndSeveralCalls) {
  const std::vector<ChatMessage> msgs = {
      {"user", "Hi", {}, {}},
      {"assistant", "Calling.", {}, {{"a", "{}"}, {"b", "{\"x\": 1}"}}},
  };
  ChatTemplateOptions opts;
  opts.tools = {"{\"name\": \"a\"}"};
  EXPECT_EQ(render_chat(msgs, true, opts),
      "<|im_start|>system\n"
      "# Tools\n"
      "\n"
      "You may call one or more functions to assist with the user query.\n"
      "\n"
      "You are provided with function signatures within <tools></tools> XML tags:\n"
      "<tools>\n"
      "{\"name\": \"a\"}\n"
      "</tools>\n"
      "\n"
      "For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n"
      "<tool_call>\n"
      "{\"name\": <function-name>, \"arguments\": <args-json-object>}\n"
      "</tool_call><|im_end|>\n"
      "<|im_start|>user\n"
      "Hi<|im_end|>\n"
      "<|im_start|>assistant\n"
      "Calling.\n"
      "<tool_call>\n"
      "{\"name\": \"a\", \"arguments\": {}}\n"
      "</tool_call>\n"
      "<tool_call>\n"
      "{\"name\": \"b\", \"arguments\": {\"x\": 1}}\n"
      "</tool_call><|im_end|>\n"
      "<|im_start|>assistant\n");
}

TEST(ChatTemplateTest, NoMessagesGivesOnlyTheGenerationPrompt) {
  EXPECT_EQ(render_chat({}, true), "<|im_start|>assistant\n");
  EXPECT_EQ(render_chat({}, false), "");
}

}  // namespace
}  // namespace teamvl::engine
