// The team's pipeline defaults, read from config/team_pipeline.yaml (the
// brief's keys: task_timeout, auto_retry, output_format, shared_storage).
// A definition's step may override the first three.
#pragma once

#include <string>

#include "base/status.h"

namespace teamvl::pipelines {

enum class OutputFormat { kMarkdown, kHtml, kJson, kText };
// "markdown" | "html" | "json" | "text".
const char* format_name(OutputFormat f);
// File extension without the dot: md, html, json, txt.
const char* format_extension(OutputFormat f);
// Accepts the names above (and "md"); anything else is InvalidArgument.
Result<OutputFormat> parse_format(const std::string& s, const std::string& field);

struct PipelineDefaults {
  int64_t task_timeout_s = 1800;
  int auto_retry = 2;                       // retries after the first attempt
  OutputFormat output_format = OutputFormat::kMarkdown;
  std::string shared_storage;               // empty: <data_dir>/shared
  int page_side = 768;                      // longest side of rendered PDF pages, px (a setting)
};

// `auto_retry` is a count, or a boolean: true = 2 retries, false = none.
inline constexpr int kAutoRetryTrue = 2;
inline constexpr int kMaxAutoRetry = 10;

// Reads the YAML file at `path` over `base` (keys absent keep base's value).
// A missing file is fine when `required` is false. Errors name the file, the
// key and what is allowed; unknown keys are refused (a typo must not pass).
Result<PipelineDefaults> load_pipeline_config(const std::string& path, const PipelineDefaults& base,
                                              bool required);

}  // namespace teamvl::pipelines
