#include "pipelines/definition.h"

#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <cctype>
#include <set>

#include "pipelines/template.h"

namespace teamvl::pipelines {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxSteps = 20;
constexpr size_t kMaxPromptBytes = 64 * 1024;
constexpr size_t kMaxDescriptionBytes = 2000;

Status unknown_fields(const Json& obj, const std::set<std::string>& known, const std::string& where) {
  for (const auto& [k, _] : obj.items())
    if (!known.count(k)) {
      std::string list;
      for (const auto& n : known) list += (list.empty() ? "" : ", ") + n;
      std::string prefix = where.empty() ? "" : where.substr(0, where.size() - 1) + ": ";
      return Status::InvalidArgument(prefix + "unknown field '" + k + "' (known: " + list + ")");
    }
  return Status::Ok();
}

Result<std::string> get_string(const Json& obj, const std::string& field, const std::string& where, bool required,
                               size_t max_len, const std::string& fallback = "") {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) {
    if (required) return Status::InvalidArgument(where + field + " is required");
    return fallback;
  }
  if (!it->is_string()) return Status::InvalidArgument(where + field + " must be a string");
  const auto& s = it->get_ref<const std::string&>();
  if (s.size() > max_len)
    return Status::InvalidArgument(where + field + " is longer than " + std::to_string(max_len) + " bytes");
  return s;
}

Result<int64_t> get_timeout(const Json& obj, const std::string& where, int64_t fallback) {
  auto it = obj.find("task_timeout");
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > 7 * 86400)
    return Status::InvalidArgument(where + "task_timeout must be an integer number of seconds from 1 to 604800");
  return it->get<int64_t>();
}

Result<int> get_auto_retry(const Json& obj, const std::string& where, int fallback) {
  auto it = obj.find("auto_retry");
  if (it == obj.end() || it->is_null()) return fallback;
  if (it->is_boolean()) return it->get<bool>() ? kAutoRetryTrue : 0;
  if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > kMaxAutoRetry)
    return Status::InvalidArgument(where + "auto_retry must be true, false or a retry count from 0 to " +
                                   std::to_string(kMaxAutoRetry));
  return static_cast<int>(it->get<int64_t>());
}

Result<OutputFormat> get_format(const Json& obj, const std::string& where, OutputFormat fallback) {
  TEAMVL_ASSIGN_OR_RETURN(std::string s, get_string(obj, "output_format", where, false, 20, format_name(fallback)));
  return parse_format(s, where + "output_format");
}

struct Inherited {
  int64_t timeout;
  int retry;
  OutputFormat format;
};

Result<StepDef> parse_step(const Json& j, size_t index, const Inherited& inh, const DefinitionLookups& lookups) {
  std::string where = "steps[" + std::to_string(index) + "].";
  if (!j.is_object()) return Status::InvalidArgument("steps[" + std::to_string(index) + "] must be an object");
  TEAMVL_RETURN_IF_ERROR(unknown_fields(j, {"name", "type", "owner", "prompt", "params", "preset", "output_format",
                                            "task_timeout", "auto_retry"}, where));
  StepDef s;
  TEAMVL_ASSIGN_OR_RETURN(s.name, get_string(j, "name", where, true, 64));
  if (!valid_segment_name(s.name))
    return Status::InvalidArgument(where + "name must be 1-64 of A-Z a-z 0-9 . _ - (not starting with '.')");
  TEAMVL_ASSIGN_OR_RETURN(std::string type, get_string(j, "type", where, false, 20, "generate"));
  if (type != "generate" && type != "review")
    return Status::InvalidArgument(where + "type must be generate or review");
  s.review = type == "review";
  TEAMVL_ASSIGN_OR_RETURN(s.owner, get_string(j, "owner", where, true, 256));
  auto id = lookups.member_id(s.owner);
  if (!id.ok()) return Status::InvalidArgument(where + "owner: " + id.status().message());
  s.owner_id = *id;
  TEAMVL_ASSIGN_OR_RETURN(s.task_timeout_s, get_timeout(j, where, inh.timeout));
  TEAMVL_ASSIGN_OR_RETURN(s.auto_retry, get_auto_retry(j, where, inh.retry));
  TEAMVL_ASSIGN_OR_RETURN(s.output_format, get_format(j, where, inh.format));
  if (s.review) {
    for (const char* f : {"prompt", "params", "preset"})
      if (j.contains(f)) return Status::InvalidArgument(where + f + ": a review step runs no model");
    return s;
  }
  TEAMVL_ASSIGN_OR_RETURN(s.prompt, get_string(j, "prompt", where, true, kMaxPromptBytes));
  auto names = template_placeholders(s.prompt);
  if (!names.ok()) return Status::InvalidArgument(where + "prompt: " + names.status().message());
  if (index == 0 && names->count("input"))
    return Status::InvalidArgument(where + "prompt: the first step has no {{input}} (no previous step)");
  s.uses_file = names->count("file") > 0;
  if (auto p = j.find("params"); p != j.end() && !p->is_null()) {
    if (!p->is_object()) return Status::InvalidArgument(where + "params must be an object");
    s.params_json = p->dump();
  }
  TEAMVL_ASSIGN_OR_RETURN(s.preset, get_string(j, "preset", where, false, 200));
  if (!s.preset.empty()) {
    Status st = lookups.has_preset(s.owner_id, s.preset);
    if (!st.ok()) return Status::InvalidArgument(where + "preset: " + st.message());
  }
  return s;
}

}  // namespace

bool valid_segment_name(const std::string& s) {
  if (s.empty() || s.size() > 64 || s[0] == '.') return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') return false;
  return true;
}

Result<PipelineDef> parse_definition(const Json& j, const PipelineDefaults& defaults,
                                     const DefinitionLookups& lookups) {
  if (!j.is_object()) return Status::InvalidArgument("the pipeline definition must be an object");
  TEAMVL_RETURN_IF_ERROR(unknown_fields(j, {"name", "description", "items", "output_format", "task_timeout",
                                            "auto_retry", "steps"}, ""));
  PipelineDef def;
  TEAMVL_ASSIGN_OR_RETURN(def.name, get_string(j, "name", "", true, 64));
  if (!valid_segment_name(def.name))
    return Status::InvalidArgument("name must be 1-64 of A-Z a-z 0-9 . _ - (not starting with '.')");
  TEAMVL_ASSIGN_OR_RETURN(def.description, get_string(j, "description", "", false, kMaxDescriptionBytes));
  TEAMVL_ASSIGN_OR_RETURN(std::string items, get_string(j, "items", "", false, 20, "document"));
  if (items != "document" && items != "page")
    return Status::InvalidArgument("items must be document (one item per file) or page (one per PDF page)");
  def.split_pages = items == "page";
  Inherited inh;
  TEAMVL_ASSIGN_OR_RETURN(inh.timeout, get_timeout(j, "", defaults.task_timeout_s));
  TEAMVL_ASSIGN_OR_RETURN(inh.retry, get_auto_retry(j, "", defaults.auto_retry));
  TEAMVL_ASSIGN_OR_RETURN(inh.format, get_format(j, "", defaults.output_format));
  def.output_format = inh.format;
  auto steps = j.find("steps");
  if (steps == j.end() || !steps->is_array() || steps->empty())
    return Status::InvalidArgument("steps must be a non-empty array");
  if (steps->size() > kMaxSteps)
    return Status::InvalidArgument("steps has more than " + std::to_string(kMaxSteps) + " entries");
  std::set<std::string> seen;
  for (size_t i = 0; i < steps->size(); ++i) {
    TEAMVL_ASSIGN_OR_RETURN(StepDef s, parse_step((*steps)[i], i, inh, lookups));
    if (!seen.insert(s.name).second)
      return Status::InvalidArgument("steps[" + std::to_string(i) + "].name '" + s.name + "' is used twice");
    if (s.review && i == 0) return Status::InvalidArgument("steps[0] cannot be a review: there is nothing to review");
    // A review passes on the text it reviewed: by default in that text's format.
    if (s.review && !(*steps)[i].contains("output_format")) s.output_format = def.steps.back().output_format;
    def.steps.push_back(std::move(s));
  }
  return def;
}

Json definition_to_json(const PipelineDef& def) {
  Json steps = Json::array();
  for (const auto& s : def.steps) {
    Json j{{"name", s.name},
           {"type", s.review ? "review" : "generate"},
           {"owner", s.owner},
           {"output_format", format_name(s.output_format)},
           {"task_timeout", s.task_timeout_s},
           {"auto_retry", s.auto_retry}};
    if (!s.review) {
      j["prompt"] = s.prompt;
      j["params"] = Json::parse(s.params_json);
      if (!s.preset.empty()) j["preset"] = s.preset;
    }
    steps.push_back(j);
  }
  return Json{{"name", def.name},
              {"description", def.description},
              {"items", def.split_pages ? "page" : "document"},
              {"output_format", format_name(def.output_format)},
              {"steps", steps}};
}

namespace {
Json yaml_node_to_json(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      Json o = Json::object();
      for (const auto& kv : n) o[kv.first.as<std::string>()] = yaml_node_to_json(kv.second);
      return o;
    }
    case YAML::NodeType::Sequence: {
      Json a = Json::array();
      for (const auto& e : n) a.push_back(yaml_node_to_json(e));
      return a;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = n.Scalar();
      if (n.Tag() == "!") return s;  // quoted: always a string
      if (s == "true" || s == "false") return s == "true";
      if (s == "null" || s == "~") return nullptr;
      Json num = Json::parse(s, nullptr, false);
      if (num.is_number()) return num;
      return s;
    }
    default: return nullptr;
  }
}
}  // namespace

Result<Json> yaml_to_json(const std::string& yaml_text) {
  try {
    return yaml_node_to_json(YAML::Load(yaml_text));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string("not valid YAML: ") + e.what());
  }
}

}  // namespace teamvl::pipelines
