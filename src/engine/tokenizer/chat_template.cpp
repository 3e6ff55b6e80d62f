#include "engine/tokenizer/chat_template.h"

namespace teamvl::engine {
namespace {

constexpr std::string_view kToolsHeader =
    "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
    "You are provided with function signatures within <tools></tools> XML tags:\n<tools>";
constexpr std::string_view kToolsFooter =
    "\n</tools>\n\nFor each function call, return a json object with function name and "
    "arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n"
    "{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n";

// Rendering state that spans messages (the template's image/video counters).
struct Renderer {
  const ChatTemplateOptions& opts;
  std::string out;
  int images = 0;
  int videos = 0;

  // Content where only text counts (system and assistant turns).
  void text_only(const ChatMessage& m) {
    if (m.parts.empty()) {
      out += m.content;
      return;
    }
    for (const ContentPart& p : m.parts) {
      if (p.kind == ContentPart::Kind::kText) out += p.text;
    }
  }

  // Content with vision placeholders (user and tool turns).
  void with_vision(const ChatMessage& m) {
    if (m.parts.empty()) {
      out += m.content;
      return;
    }
    for (const ContentPart& p : m.parts) {
      switch (p.kind) {
        case ContentPart::Kind::kImage:
          ++images;
          if (opts.add_vision_id) out += "Picture " + std::to_string(images) + ": ";
          out += kImagePlaceholder;
          break;
        case ContentPart::Kind::kVideo:
          ++videos;
          if (opts.add_vision_id) out += "Video " + std::to_string(videos) + ": ";
          out += kVideoPlaceholder;
          break;
        case ContentPart::Kind::kText:
          out += p.text;
          break;
      }
    }
  }

  void system_prefix(const std::vector<ChatMessage>& msgs) {
    const bool has_system = !msgs.empty() && msgs[0].role == "system";
    if (!opts.tools.empty()) {
      out += "<|im_start|>system\n";
      if (has_system) {
        text_only(msgs[0]);
        out += "\n\n";
      }
      out += kToolsHeader;
      for (const std::string& tool : opts.tools) {
        out += "\n";
        out += tool;
      }
      out += kToolsFooter;
    } else if (has_system) {
      out += "<|im_start|>system\n";
      text_only(msgs[0]);
      out += "<|im_end|>\n";
    }
  }

  void assistant(const ChatMessage& m) {
    out += "<|im_start|>assistant\n";
    text_only(m);
    const bool has_content = m.parts.empty() ? !m.content.empty() : true;
    for (size_t i = 0; i < m.tool_calls.size(); ++i) {
      if ((i == 0 && has_content) || i > 0) out += "\n";
      out += "<tool_call>\n{\"name\": \"";
      out += m.tool_calls[i].name;
      out += "\", \"arguments\": ";
      out += m.tool_calls[i].arguments;
      out += "}\n</tool_call>";
    }
    out += "<|im_end|>\n";
  }

  void tool(const std::vector<ChatMessage>& msgs, size_t i) {
    if (i == 0 || msgs[i - 1].role != "tool") out += "<|im_start|>user";
    out += "\n<tool_response>\n";
    with_vision(msgs[i]);
    out += "\n</tool_response>";
    if (i + 1 == msgs.size() || msgs[i + 1].role != "tool") out += "<|im_end|>\n";
  }
};

}  // namespace

std::string render_chat(const std::vector<ChatMessage>& messages, bool add_generation_prompt,
                        const ChatTemplateOptions& options) {
  Renderer r{options, {}, 0, 0};
  r.system_prefix(messages);
  for (size_t i = 0; i < messages.size(); ++i) {
    const ChatMessage& m = messages[i];
    if (m.role == "user") {
      r.out += "<|im_start|>user\n";
      r.with_vision(m);
      r.out += "<|im_end|>\n";
    } else if (m.role == "assistant") {
      r.assistant(m);
    } else if (m.role == "tool") {
      r.tool(messages, i);
    }
    // "system" (rendered above when first) and other roles produce nothing.
  }
  if (add_generation_prompt) r.out += "<|im_start|>assistant\n";
  return std::move(r.out);
}

}  // namespace teamvl::engine
