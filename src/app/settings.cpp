#include "app/settings.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>

extern char** environ;

namespace teamvl::app {
namespace {

using T = SettingType;

// The one table. Keep descriptions short: they are printed by `teamvl config`.
const std::vector<SettingSpec> kSpecs = {
    {"config", T::kPath, "teamvl.yaml", {"TEAMVL_CONFIG"}, "--config",
     "YAML settings file (optional; read when present)"},
    {"host", T::kString, "0.0.0.0", {"TEAMVL_HOST"}, "--host", "address to listen on"},
    {"port", T::kInt, "7860", {"TEAMVL_PORT"}, "--port", "TCP port (0 picks a free one)", 0, 65535},
    {"data_dir", T::kPath, "./data", {"TEAMVL_DATA_DIR"}, "--data-dir",
     "database, uploads, demo model and other state"},
    {"model", T::kPath, "", {"TEAMVL_MODEL"}, "--model",
     "Qwen3-VL text model GGUF (empty: a random-weight demo model)"},
    {"mmproj", T::kPath, "", {"TEAMVL_MMPROJ"}, "--mmproj", "Qwen3-VL vision projector GGUF"},
    {"tls_cert", T::kPath, "", {"TEAMVL_TLS_CERT"}, "--tls-cert",
     "PEM certificate; with tls_key, serve HTTPS only"},
    {"tls_key", T::kPath, "", {"TEAMVL_TLS_KEY"}, "--tls-key", "PEM private key for tls_cert"},
    {"web_dir", T::kPath, "", {"TEAMVL_WEB_DIR"}, "--web-dir",
     "built web UI (empty: web/dist beside the binary or the working directory)"},
    {"max_users", T::kInt, "4", {"MAX_USERS", "TEAMVL_MAX_USERS"}, "--max-users",
     "members served at once", 1, 1000},
    {"gpu_mem_per_user", T::kFloat, "4", {"GPU_MEM_PER_USER", "TEAMVL_GPU_MEM_PER_USER"},
     "--gpu-mem-per-user", "GiB of KV-cache/activation memory one member may hold", 0.01, 1024},
    {"model_cache", T::kBool, "true", {"MODEL_CACHE", "TEAMVL_MODEL_CACHE"}, "--model-cache",
     "keep weights loaded and cache image embeddings"},
    {"threads", T::kInt, "0", {"TEAMVL_THREADS"}, "--threads",
     "engine threads (0: one per core)", 0, 1024},
    {"max_image_side", T::kInt, "768", {"TEAMVL_MAX_IMAGE_SIDE"}, "--max-image-side",
     "longest image side fed to the vision encoder, px", 32, 8192},
    {"max_image_pixels", T::kInt, "50000000", {"TEAMVL_MAX_IMAGE_PIXELS"}, "--max-image-pixels",
     "largest image accepted (width x height, checked from the header before decoding)", 1, 1e10},
    {"max_body_mb", T::kInt, "64", {"TEAMVL_MAX_BODY_MB"}, "--max-body-mb",
     "largest request body, MiB", 1, 4096},
    {"session_hours", T::kInt, "168", {"TEAMVL_SESSION_HOURS"}, "--session-hours",
     "browser login lifetime, hours", 1, 8760},
    {"quota_inferences_per_day", T::kInt, "0", {"TEAMVL_QUOTA_INFERENCES_PER_DAY"},
     "--quota-inferences-per-day", "default per-member inferences per day (0: unlimited)", 0, 1e12},
    {"quota_tokens_per_day", T::kInt, "0", {"TEAMVL_QUOTA_TOKENS_PER_DAY"},
     "--quota-tokens-per-day", "default per-member tokens per day (0: unlimited)", 0, 1e15},
    {"quota_max_concurrent", T::kInt, "16", {"TEAMVL_QUOTA_MAX_CONCURRENT"},
     "--quota-max-concurrent", "default per-member tasks in flight (queued or running)", 1, 10000},
    {"task_timeout", T::kInt, "1800", {"TEAMVL_TASK_TIMEOUT"}, "--task-timeout",
     "default task timeout, seconds", 1, 604800},
    {"shared_storage", T::kPath, "", {"TEAMVL_SHARED_STORAGE"}, "--shared-storage",
     "team folder pipeline runs write to (empty: pipeline_config's, else data_dir/shared)"},
    {"pipeline_config", T::kPath, "config/team_pipeline.yaml", {"TEAMVL_PIPELINE_CONFIG"}, "--pipeline-config",
     "pipeline defaults: task_timeout, auto_retry, output_format, shared_storage (read when present)"},
    {"pipeline_page_side", T::kInt, "768", {"TEAMVL_PIPELINE_PAGE_SIDE"}, "--pipeline-page-side",
     "longest side of PDF pages rendered for pipeline items, px", 32, 8192},
    {"scheduler", T::kEnum, "fair", {"TEAMVL_SCHEDULER"}, "--scheduler",
     "queue policy: fair share between members (VTC) or plain fifo", 0, 0, {"fair", "fifo"}},
    {"log_level", T::kEnum, "info", {"TEAMVL_LOG_LEVEL"}, "--log-level", "log verbosity", 0, 0,
     {"debug", "info", "warn", "error"}},
};

const SettingSpec* find_spec(const std::string& name) {
  for (const auto& s : kSpecs)
    if (s.name == name) return &s;
  return nullptr;
}

const SettingSpec* find_spec_by_flag(const std::string& flag) {
  for (const auto& s : kSpecs)
    if (s.flag == flag) return &s;
  return nullptr;
}

const char* type_name(SettingType t) {
  switch (t) {
    case T::kString: return "string";
    case T::kPath: return "path";
    case T::kInt: return "integer";
    case T::kFloat: return "number";
    case T::kBool: return "boolean";
    case T::kEnum: return "one of";
  }
  return "?";
}

std::string format_bound(double v) {
  std::ostringstream o;
  o << v;
  return o.str();
}

std::string allowed_text(const SettingSpec& spec) {
  switch (spec.type) {
    case T::kInt:
    case T::kFloat:
      if (spec.min < spec.max)
        return std::string(spec.type == T::kInt ? "an integer" : "a number") + " from " +
               format_bound(spec.min) + " to " + format_bound(spec.max);
      return spec.type == T::kInt ? "an integer" : "a number";
    case T::kBool: return "true or false (also 1/0, yes/no, on/off)";
    case T::kEnum: {
      std::string s = "one of";
      for (const auto& c : spec.choices) s += " " + c;
      return s;
    }
    default: return "text";
  }
}

std::optional<bool> parse_bool(std::string v) {
  for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (v == "true" || v == "1" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "0" || v == "no" || v == "off") return false;
  return std::nullopt;
}

// Normalizes a validated value (booleans become "true"/"false").
std::string normalize(const SettingSpec& spec, const std::string& value) {
  if (spec.type == T::kBool) return *parse_bool(value) ? "true" : "false";
  return value;
}

Status apply(Settings* s, const SettingSpec& spec, const std::string& value, std::string source) {
  TEAMVL_RETURN_IF_ERROR(validate_setting(spec, value, source));
  s->set(spec.name, {normalize(spec, value), std::move(source)});
  return Status::Ok();
}

Status load_yaml(Settings* s, const std::string& path, bool required) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    if (required) return Status::InvalidArgument("config file '" + path + "' does not exist");
    return Status::Ok();
  }
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument("config file '" + path + "': " + e.what());
  }
  if (root.IsNull()) return Status::Ok();
  if (!root.IsMap())
    return Status::InvalidArgument("config file '" + path + "': expected a mapping of setting: value");
  for (const auto& kv : root) {
    std::string key = kv.first.as<std::string>();
    const SettingSpec* spec = find_spec(key);
    if (!spec || key == "config") {
      std::string names;
      for (const auto& sp : kSpecs)
        if (sp.name != "config") names += (names.empty() ? "" : ", ") + sp.name;
      return Status::InvalidArgument("config file '" + path + "': unknown setting '" + key +
                                     "' (known: " + names + ")");
    }
    if (!kv.second.IsScalar())
      return Status::InvalidArgument("config file '" + path + "': setting '" + key +
                                     "' must be a single value");
    TEAMVL_RETURN_IF_ERROR(apply(s, *spec, kv.second.as<std::string>(), "file " + path));
  }
  return Status::Ok();
}

}  // namespace

const std::vector<SettingSpec>& setting_specs() { return kSpecs; }

Status validate_setting(const SettingSpec& spec, const std::string& value, const std::string& source) {
  auto bad = [&]() {
    return Status::InvalidArgument("setting '" + spec.name + "' (" + source + "): bad value '" +
                                   value + "', expected " + allowed_text(spec));
  };
  switch (spec.type) {
    case T::kString:
    case T::kPath:
      if (value.find('\0') != std::string::npos) return bad();
      return Status::Ok();
    case T::kInt: {
      if (value.empty()) return bad();
      char* end = nullptr;
      errno = 0;
      long long v = std::strtoll(value.c_str(), &end, 10);
      if (errno != 0 || *end != '\0') return bad();
      if (spec.min < spec.max && (v < spec.min || v > spec.max)) return bad();
      return Status::Ok();
    }
    case T::kFloat: {
      if (value.empty()) return bad();
      char* end = nullptr;
      errno = 0;
      double v = std::strtod(value.c_str(), &end);
      if (errno != 0 || *end != '\0' || !std::isfinite(v)) return bad();
      if (spec.min < spec.max && (v < spec.min || v > spec.max)) return bad();
      return Status::Ok();
    }
    case T::kBool:
      return parse_bool(value) ? Status::Ok() : bad();
    case T::kEnum:
      for (const auto& c : spec.choices)
        if (c == value) return Status::Ok();
      return bad();
  }
  return bad();
}

const SettingValue& Settings::entry(const std::string& name) const {
  auto it = values_.find(name);
  assert(it != values_.end() && "unknown setting name");
  return it->second;
}
const std::string& Settings::str(const std::string& name) const { return entry(name).value; }
long long Settings::integer(const std::string& name) const { return std::stoll(str(name)); }
double Settings::number(const std::string& name) const { return std::stod(str(name)); }
bool Settings::flag(const std::string& name) const { return str(name) == "true"; }

Result<Settings> load_settings(std::vector<std::string>* args,
                               const std::map<std::string, std::string>& env) {
  Settings s;
  for (const auto& spec : kSpecs) s.set(spec.name, {spec.default_value, "default"});

  // 1. Collect flags first (they also name the config file), leaving the rest.
  std::vector<std::pair<const SettingSpec*, std::string>> flags;
  std::vector<std::string> rest;
  for (size_t i = 0; i < args->size(); ++i) {
    const std::string& a = (*args)[i];
    std::string name = a, value;
    bool has_value = false;
    if (auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      has_value = true;
    }
    const SettingSpec* spec = find_spec_by_flag(name);
    if (!spec) {
      rest.push_back(a);
      continue;
    }
    if (!has_value) {
      if (spec->type == T::kBool && (i + 1 >= args->size() || !parse_bool((*args)[i + 1]))) {
        value = "true";  // a bare boolean flag
      } else {
        if (i + 1 >= args->size())
          return Status::InvalidArgument("flag " + name + " needs a value (" + allowed_text(*spec) + ")");
        value = (*args)[++i];
      }
    }
    flags.emplace_back(spec, value);
  }
  *args = rest;

  // 2. Which YAML file: flag > env > default.
  std::string config_path = "teamvl.yaml";
  bool config_required = false;
  if (auto it = env.find("TEAMVL_CONFIG"); it != env.end() && !it->second.empty()) {
    config_path = it->second;
    config_required = true;
    s.set("config", {config_path, "env TEAMVL_CONFIG"});
  }
  for (auto& [spec, v] : flags)
    if (spec->name == "config") {
      config_path = v;
      config_required = true;
      s.set("config", {v, "flag --config"});
    }
  TEAMVL_RETURN_IF_ERROR(load_yaml(&s, config_path, config_required));

  // 3. Environment, then flags.
  for (const auto& spec : kSpecs) {
    if (spec.name == "config") continue;
    for (const auto& var : spec.env) {
      auto it = env.find(var);
      if (it == env.end()) continue;
      TEAMVL_RETURN_IF_ERROR(apply(&s, spec, it->second, "env " + var));
      break;
    }
  }
  for (auto& [spec, v] : flags) {
    if (spec->name == "config") continue;
    TEAMVL_RETURN_IF_ERROR(apply(&s, *spec, v, "flag " + spec->flag));
  }
  if (s.str("tls_cert").empty() != s.str("tls_key").empty())
    return Status::InvalidArgument("settings 'tls_cert' and 'tls_key' must be set together (tls_cert='" +
                                   s.str("tls_cert") + "', tls_key='" + s.str("tls_key") + "')");
  return s;
}

std::map<std::string, std::string> process_env() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return env;
}

std::string describe_settings(const Settings& s) {
  size_t w = 0, vw = 0;
  for (const auto& spec : kSpecs) {
    w = std::max(w, spec.name.size());
    vw = std::max(vw, s.str(spec.name).size() + 2);
  }
  std::ostringstream o;
  for (const auto& spec : kSpecs) {
    const auto& e = s.entry(spec.name);
    std::string v = "\"" + e.value + "\"";
    o << spec.name << std::string(w - spec.name.size() + 2, ' ') << v
      << std::string(vw > v.size() ? vw - v.size() + 2 : 2, ' ') << "(" << e.source << ")\n";
  }
  return o.str();
}

std::string settings_markdown() {
  std::ostringstream o;
  o << "| setting (teamvl.yaml) | environment | flag | default | allowed | description |\n"
       "|---|---|---|---|---|---|\n";
  for (const auto& spec : kSpecs) {
    std::string env;
    for (const auto& e : spec.env) env += (env.empty() ? "" : ", ") + ("`" + e + "`");
    o << "| `" << spec.name << "` | " << env << " | `" << spec.flag << "` | `"
      << spec.default_value << "` | " << (spec.type == T::kString || spec.type == T::kPath ? type_name(spec.type) : allowed_text(spec))
      << " | " << spec.description << " |\n";
  }
  return o.str();
}

}  // namespace teamvl::app
