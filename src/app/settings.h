// Settings: declared once in a table (name, type, default, environment
// variables, flag, description, allowed values). Defaults < teamvl.yaml <
// environment < command-line flags. `teamvl config` prints the effective
// values with where each came from; docs/settings.md is generated from the
// same table (`teamvl config --markdown`).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/status.h"

namespace teamvl::app {

enum class SettingType { kString, kPath, kInt, kFloat, kBool, kEnum };

struct SettingSpec {
  std::string name;                  // YAML key, e.g. "gpu_mem_per_user"
  SettingType type;
  std::string default_value;         // as text
  std::vector<std::string> env;      // first is the canonical one
  std::string flag;                  // "--gpu-mem-per-user"
  std::string description;
  double min = 0, max = 0;           // numeric bounds (inclusive) when min < max
  std::vector<std::string> choices;  // allowed values for kEnum
};

const std::vector<SettingSpec>& setting_specs();

struct SettingValue {
  std::string value;
  std::string source;  // "default", "file teamvl.yaml", "env MAX_USERS", "flag --port"
};

// The effective settings. Typed getters abort only on programmer error
// (unknown name); every value was validated when loaded.
class Settings {
 public:
  const std::string& str(const std::string& name) const;
  long long integer(const std::string& name) const;
  double number(const std::string& name) const;
  bool flag(const std::string& name) const;
  const SettingValue& entry(const std::string& name) const;
  const std::map<std::string, SettingValue>& all() const { return values_; }
  void set(const std::string& name, SettingValue v) { values_[name] = std::move(v); }

 private:
  std::map<std::string, SettingValue> values_;
};

// Checks `value` against the spec; the message names the setting, the bad
// value and what is allowed.
Status validate_setting(const SettingSpec& spec, const std::string& value, const std::string& source);

// Loads settings. `args` are the command's arguments; setting flags are
// consumed from it, the rest are left for the command. `env` is the process
// environment (injected for tests). The YAML file is --config / TEAMVL_CONFIG,
// else ./teamvl.yaml when present.
Result<Settings> load_settings(std::vector<std::string>* args,
                               const std::map<std::string, std::string>& env);

// The process environment as a map.
std::map<std::string, std::string> process_env();

// Human-readable table of effective settings and their sources.
std::string describe_settings(const Settings& s);
// Markdown reference of every setting (docs/settings.md).
std::string settings_markdown();

}  // namespace teamvl::app
