// What a member asks the engine to do, validated and in one shape for the
// task API, the OpenAI API and pipelines. Stored as JSON in the task row so a
// restart can run it again.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/sampler/sampler.h"
#include "server/json_io.h"

namespace teamvl::server {

struct TaskMessage {
  std::string role;     // system | user | assistant
  std::string content;
  // The member's uploaded files shown with this (user) message, in order: an
  // image is one image, a PDF every page. They go before the text.
  std::vector<int64_t> file_ids;
};

inline constexpr size_t kMaxFilesPerMessage = 16;

struct TaskRequest {
  std::vector<TaskMessage> messages;
  engine::SamplingParams sampling;
  int32_t max_tokens = 512;
  std::vector<std::string> stop;
  std::optional<int64_t> session_id;   // chat session the answer is added to
  std::optional<int> priority;         // 0..3; default: the member's ceiling
  std::optional<int64_t> timeout_s;    // default: the task_timeout setting
  std::string label;                   // shown in the team view
  std::optional<int> max_image_side;   // longest side of attached images (default: the setting)

  // Files attached to all messages together (0: a text-only request).
  size_t file_count() const;

  Json to_json() const;
};

// Reads {"messages":[{"role","content","file_ids"?}...] | "prompt": "...",
// "file_ids"?, "params":{...}, "session_id", "priority", "timeout_s", "label"}.
// Errors name the field. Whether the files exist is checked at submission.
// `defaults` (the team's model defaults, preset-shaped params, may be null)
// apply first; the body's params win; its system_prompt is the first message
// when the request has no system message.
Result<TaskRequest> parse_task_request(const Json& body, const Json& defaults = Json());

// Sampling fields shared with presets and the OpenAI API: temperature, top_p,
// top_k, min_p, max_tokens, seed, stop, repetition_penalty, presence_penalty,
// frequency_penalty, max_image_side. Only the fields present change `req`.
Status apply_params(const Json& params, TaskRequest* req);

}  // namespace teamvl::server
