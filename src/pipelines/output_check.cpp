#include "pipelines/output_check.h"

#include <nlohmann/json.hpp>

namespace teamvl::pipelines {
namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// "```json\n{...}\n```" -> "{...}"; anything else unchanged.
std::string strip_fence(const std::string& s) {
  if (s.rfind("```", 0) != 0 || s.size() < 6 || s.compare(s.size() - 3, 3, "```") != 0) return s;
  size_t nl = s.find('\n');
  if (nl == std::string::npos || nl >= s.size() - 3) return s;
  return trim(s.substr(nl + 1, s.size() - 3 - nl - 1));
}

}  // namespace

Result<std::string> check_output(OutputFormat format, const std::string& text) {
  std::string t = trim(text);
  if (t.empty()) return Status::InvalidArgument("the output is empty");
  if (format != OutputFormat::kJson) return text;
  std::string body = strip_fence(t);
  try {
    nlohmann::json parsed = nlohmann::json::parse(body);
    if (parsed.is_discarded()) return Status::InvalidArgument("the output is not valid JSON");
  } catch (const nlohmann::json::parse_error& e) {
    // Not e.what(): it quotes the bytes last read, which may be half a UTF-8 character.
    return Status::InvalidArgument("the output is not valid JSON (error at byte " + std::to_string(e.byte) + ")");
  }
  return body;
}

}  // namespace teamvl::pipelines
