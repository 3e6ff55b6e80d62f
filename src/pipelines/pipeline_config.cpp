#include "pipelines/pipeline_config.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>

namespace teamvl::pipelines {

const char* format_name(OutputFormat f) {
  switch (f) {
    case OutputFormat::kMarkdown: return "markdown";
    case OutputFormat::kHtml: return "html";
    case OutputFormat::kJson: return "json";
    case OutputFormat::kText: return "text";
  }
  return "text";
}

const char* format_extension(OutputFormat f) {
  switch (f) {
    case OutputFormat::kMarkdown: return "md";
    case OutputFormat::kHtml: return "html";
    case OutputFormat::kJson: return "json";
    case OutputFormat::kText: return "txt";
  }
  return "txt";
}

Result<OutputFormat> parse_format(const std::string& s, const std::string& field) {
  if (s == "markdown" || s == "md") return OutputFormat::kMarkdown;
  if (s == "html") return OutputFormat::kHtml;
  if (s == "json") return OutputFormat::kJson;
  if (s == "text") return OutputFormat::kText;
  return Status::InvalidArgument("'" + field + "' must be markdown, html, json or text (got '" + s + "')");
}

namespace {

Result<int64_t> read_int(const YAML::Node& n, const std::string& where, int64_t min, int64_t max) {
  try {
    int64_t v = n.as<int64_t>();
    if (v < min || v > max)
      return Status::InvalidArgument(where + " must be from " + std::to_string(min) + " to " + std::to_string(max));
    return v;
  } catch (const YAML::Exception&) {
    return Status::InvalidArgument(where + " must be an integer");
  }
}

Result<int> read_auto_retry(const YAML::Node& n, const std::string& where) {
  std::string s = n.Scalar();
  if (s == "true" || s == "yes" || s == "on") return kAutoRetryTrue;
  if (s == "false" || s == "no" || s == "off") return 0;
  auto v = read_int(n, where + " (a retry count or true/false)", 0, kMaxAutoRetry);
  if (!v.ok()) return v.status();
  return static_cast<int>(*v);
}

}  // namespace

Result<PipelineDefaults> load_pipeline_config(const std::string& path, const PipelineDefaults& base,
                                              bool required) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (required) return Status::InvalidArgument("pipeline_config: no such file '" + path + "'");
    return base;
  }
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(path + ": not valid YAML: " + e.what());
  }
  PipelineDefaults out = base;
  if (root.IsNull()) return out;
  if (!root.IsMap()) return Status::InvalidArgument(path + ": expected a mapping of settings");
  for (const auto& kv : root) {
    std::string key = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    std::string where = path + ": '" + key + "'";
    if (!v.IsScalar()) return Status::InvalidArgument(where + " must be a single value");
    if (key == "task_timeout") {
      auto t = read_int(v, where + " (seconds)", 1, 7 * 86400);
      if (!t.ok()) return t.status();
      out.task_timeout_s = *t;
    } else if (key == "auto_retry") {
      auto r = read_auto_retry(v, where);
      if (!r.ok()) return r.status();
      out.auto_retry = *r;
    } else if (key == "output_format") {
      auto f = parse_format(v.Scalar(), key);
      if (!f.ok()) return Status::InvalidArgument(path + ": " + f.status().message());
      out.output_format = *f;
    } else if (key == "shared_storage") {
      if (v.Scalar().empty()) return Status::InvalidArgument(where + " must be a folder path");
      out.shared_storage = v.Scalar();
    } else {
      return Status::InvalidArgument(path + ": unknown key '" + key +
                                     "' (known: task_timeout, auto_retry, output_format, shared_storage)");
    }
  }
  return out;
}

}  // namespace teamvl::pipelines
