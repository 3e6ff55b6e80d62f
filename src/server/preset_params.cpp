#include "server/preset_params.h"

#include <cmath>
#include <cstdint>
#include <cstdio>

namespace teamvl::server {
namespace {

enum class Kind { kNumber, kInteger, kText, kStop };

struct ParamSpec {
  const char* name;
  Kind kind;
  double lo;  // numbers: inclusive range; text: unused
  double hi;  // text: the most characters
};

constexpr int64_t kMaxSeed = INT64_MAX;

const ParamSpec kParams[] = {
    {"temperature", Kind::kNumber, 0, 2},
    {"top_p", Kind::kNumber, 0, 1},
    {"top_k", Kind::kInteger, 0, 1000},
    {"min_p", Kind::kNumber, 0, 1},
    {"max_tokens", Kind::kInteger, 1, 32768},
    {"repetition_penalty", Kind::kNumber, 0.5, 2},
    {"presence_penalty", Kind::kNumber, -2, 2},
    {"frequency_penalty", Kind::kNumber, -2, 2},
    {"seed", Kind::kInteger, 0, static_cast<double>(kMaxSeed)},
    {"stop", Kind::kStop, 0, 0},
    {"max_image_side", Kind::kInteger, 32, 4096},
    {"system_prompt", Kind::kText, 0, static_cast<double>(kMaxSystemPromptChars)},
};

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

Status field_error(const ParamSpec& p, const std::string& expected, const Json& got) {
  std::string shown = got.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (shown.size() > 40) shown = shown.substr(0, 40) + "…";
  return Status::InvalidArgument(std::string("params.") + p.name + " must be " + expected + " (got " + shown + ")");
}

size_t utf8_chars(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

Status check_one(const ParamSpec& p, const Json& v) {
  switch (p.kind) {
    case Kind::kNumber: {
      std::string range = "a number from " + num(p.lo) + " to " + num(p.hi);
      if (!v.is_number()) return field_error(p, range, v);
      double d = v.get<double>();
      if (!(d >= p.lo && d <= p.hi)) return field_error(p, range, v);
      return Status::Ok();
    }
    case Kind::kInteger: {
      std::string hi = p.hi == static_cast<double>(kMaxSeed) ? std::to_string(kMaxSeed) : num(p.hi);
      std::string range = "an integer from " + num(p.lo) + " to " + hi;
      if (v.is_number_unsigned()) {
        if (v.get<uint64_t>() > static_cast<uint64_t>(kMaxSeed)) return field_error(p, range, v);
      } else if (!v.is_number_integer() && !(v.is_number_float() && std::isfinite(v.get<double>()) &&
                                             std::floor(v.get<double>()) == v.get<double>())) {
        return field_error(p, range, v);
      }
      double d = v.get<double>();
      if (!(d >= p.lo && d <= p.hi)) return field_error(p, range, v);
      return Status::Ok();
    }
    case Kind::kText: {
      std::string limit = "a string of at most " + num(p.hi) + " characters";
      if (!v.is_string() || utf8_chars(v.get_ref<const std::string&>()) > static_cast<size_t>(p.hi))
        return field_error(p, limit, v);
      return Status::Ok();
    }
    case Kind::kStop: {
      const char* what = "a string or an array of at most 8 strings, each of 1 to 256 bytes";
      if (v.is_string()) {
        const auto& s = v.get_ref<const std::string&>();
        return s.empty() || s.size() > 256 ? field_error(p, what, v) : Status::Ok();
      }
      if (!v.is_array() || v.size() > 8) return field_error(p, what, v);
      for (const auto& x : v)
        if (!x.is_string() || x.get_ref<const std::string&>().empty() || x.get_ref<const std::string&>().size() > 256)
          return field_error(p, what, v);
      return Status::Ok();
    }
  }
  return Status::Ok();
}

const ParamSpec* find_param(const std::string& name) {
  for (const auto& p : kParams)
    if (name == p.name) return &p;
  return nullptr;
}

}  // namespace

const std::vector<std::string>& preset_param_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& p : kParams) v.emplace_back(p.name);
    return v;
  }();
  return names;
}

Status validate_preset_params(const Json& params) {
  if (!params.is_object()) return Status::InvalidArgument("'params' must be a JSON object");
  for (const auto& [key, value] : params.items()) {
    const ParamSpec* spec = find_param(key);
    if (!spec) {
      std::string known;
      for (const auto& n : preset_param_names()) known += (known.empty() ? "" : ", ") + n;
      return Status::InvalidArgument("unknown parameter 'params." + key + "' (known: " + known + ")");
    }
    if (value.is_null()) continue;
    TEAMVL_RETURN_IF_ERROR(check_one(*spec, value));
  }
  return Status::Ok();
}

}  // namespace teamvl::server
