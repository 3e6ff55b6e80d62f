// The Qwen3-VL-Instruct chat template (ChatML with vision placeholders),
// written directly in C++ rather than through a Jinja engine. Output is byte
// for byte what llama.cpp's Jinja renderer produces from the template stored
// in the GGUF (`tokenizer.chat_template`) for the same messages.
//
// Covered: a leading system message (string or text parts), user / assistant
// / tool turns, multi-turn, add_generation_prompt, content given as a list of
// parts (text, image, video -> "<|vision_start|><|image_pad|><|vision_end|>"
// and the video equivalent, optionally numbered "Picture N: "), the
// "<__media__>" marker that llama.cpp's multimodal server puts inside text
// (passed through untouched), tools and assistant tool calls.
// Template behaviour kept on purpose: system messages after the first message
// are dropped; images in system or assistant content are dropped.
// Not covered: the template's `tojson` filter. Tools and tool-call arguments
// are taken as already-serialized JSON text and inserted verbatim (a string
// `arguments` is exactly what the template inserts verbatim too).
// Pure functions: safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace teamvl::engine {

// The placeholder llama.cpp's multimodal tooling puts in message text where an
// image goes; the engine replaces it with <|vision_start|> image <|vision_end|>.
inline constexpr std::string_view kMediaMarker = "<__media__>";
inline constexpr std::string_view kImagePlaceholder = "<|vision_start|><|image_pad|><|vision_end|>";
inline constexpr std::string_view kVideoPlaceholder = "<|vision_start|><|video_pad|><|vision_end|>";

// One element of a message whose content is a list.
struct ContentPart {
  enum class Kind { kText, kImage, kVideo };
  Kind kind = Kind::kText;
  std::string text;  // kText only

  static ContentPart Text(std::string t) { return {Kind::kText, std::move(t)}; }
  static ContentPart Image() { return {Kind::kImage, {}}; }
  static ContentPart Video() { return {Kind::kVideo, {}}; }
};

// A call the assistant made. `arguments` is JSON text, inserted verbatim.
struct ToolCall {
  std::string name;
  std::string arguments;
};

struct ChatMessage {
  std::string role;                    // "system", "user", "assistant" or "tool"
  std::string content;                 // used when `parts` is empty; may contain <__media__>
  std::vector<ContentPart> parts;      // non-empty: content is this list instead
  std::vector<ToolCall> tool_calls;    // assistant messages only
};

struct ChatTemplateOptions {
  // Prefix each image/video with "Picture N: " / "Video N: " (template's add_vision_id).
  bool add_vision_id = false;
  // Tool definitions, each one JSON object as text; non-empty adds the tools
  // section to the system turn.
  std::vector<std::string> tools;
};

// Renders `messages` as the Qwen3-VL prompt; with add_generation_prompt the
// text ends with "<|im_start|>assistant\n" for the model to continue.
std::string render_chat(const std::vector<ChatMessage>& messages, bool add_generation_prompt,
                        const ChatTemplateOptions& options = {});

}  // namespace teamvl::engine
