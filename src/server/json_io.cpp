#include "server/json_io.h"

#include <cmath>

namespace teamvl::server {

Result<Json> parse_json_object(const HttpRequest& req) {
  if (auto ct = req.header("Content-Type")) {
    std::string lower = *ct;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.find("application/json") == std::string::npos)
      return Status(StatusCode::kInvalidArgument,
                    "Content-Type must be application/json, got '" + *ct + "'");
  }
  if (req.body.empty()) return Status::InvalidArgument("request body is empty; expected a JSON object");
  bool too_deep = false;
  Json::parser_callback_t limit_depth = [&too_deep](int depth, Json::parse_event_t, Json&) {
    if (depth > kMaxJsonDepth) too_deep = true;
    return !too_deep;
  };
  Json j;
  try {
    j = Json::parse(req.body, limit_depth, /*allow_exceptions=*/true);
  } catch (const Json::parse_error& e) {
    if (too_deep)
      return Status::InvalidArgument("JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    return Status::InvalidArgument(std::string("malformed JSON: ") + e.what());
  }
  if (too_deep)
    return Status::InvalidArgument("JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  if (!j.is_object()) return Status::InvalidArgument("request body must be a JSON object");
  return j;
}

HttpResponse json_response(int status, const Json& body) {
  return HttpResponse::json(status, body.dump(-1, ' ', false, Json::error_handler_t::replace));
}

namespace {
Status wrong_type(const char* field, const char* expected) {
  return Status::InvalidArgument(std::string("field '") + field + "' must be " + expected);
}
}  // namespace

Result<std::optional<std::string>> opt_string(const Json& obj, const char* field, size_t max_len) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return wrong_type(field, "a string");
  const auto& s = it->get_ref<const std::string&>();
  if (s.size() > max_len)
    return Status::InvalidArgument(std::string("field '") + field + "' is longer than " +
                                   std::to_string(max_len) + " bytes");
  return std::optional<std::string>(s);
}

Result<std::string> req_string(const Json& obj, const char* field, size_t max_len) {
  TEAMVL_ASSIGN_OR_RETURN(auto v, opt_string(obj, field, max_len));
  if (!v || v->empty()) return Status::InvalidArgument(std::string("field '") + field + "' is required");
  return *v;
}

Result<std::optional<int64_t>> opt_int(const Json& obj, const char* field, int64_t min, int64_t max) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return std::optional<int64_t>();
  std::string range = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
  if (!it->is_number_integer() && !(it->is_number_float() && std::floor(it->get<double>()) == it->get<double>()))
    return wrong_type(field, range.c_str());
  double d = it->get<double>();
  if (d < static_cast<double>(min) || d > static_cast<double>(max)) return wrong_type(field, range.c_str());
  return std::optional<int64_t>(it->is_number_integer() ? it->get<int64_t>() : static_cast<int64_t>(d));
}

Result<std::optional<double>> opt_number(const Json& obj, const char* field, double min, double max) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return std::optional<double>();
  std::string range = "a number from " + std::to_string(min) + " to " + std::to_string(max);
  if (!it->is_number()) return wrong_type(field, range.c_str());
  double d = it->get<double>();
  if (!(d >= min && d <= max)) return wrong_type(field, range.c_str());
  return std::optional<double>(d);
}

Result<std::optional<bool>> opt_bool(const Json& obj, const char* field) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return std::optional<bool>();
  if (!it->is_boolean()) return wrong_type(field, "true or false");
  return std::optional<bool>(it->get<bool>());
}

Result<Nullable> opt_nullable_number(const Json& obj, const char* field, double min, double max,
                                     bool integer) {
  Nullable n;
  auto it = obj.find(field);
  if (it == obj.end()) return n;
  n.present = true;
  if (it->is_null()) {
    n.is_null = true;
    return n;
  }
  if (integer) {
    TEAMVL_ASSIGN_OR_RETURN(auto v, opt_int(obj, field, static_cast<int64_t>(min), static_cast<int64_t>(max)));
    n.value = static_cast<double>(*v);
  } else {
    TEAMVL_ASSIGN_OR_RETURN(auto v, opt_number(obj, field, min, max));
    n.value = *v;
  }
  return n;
}

Result<int64_t> path_id(const HttpRequest& req, const char* name) {
  auto it = req.params.find(name);
  if (it == req.params.end() || it->second.empty() || it->second.size() > 18)
    return Status::NotFound("no such object");
  int64_t v = 0;
  for (char c : it->second) {
    if (c < '0' || c > '9') return Status::NotFound("no such object: '" + it->second + "'");
    v = v * 10 + (c - '0');
  }
  if (v <= 0) return Status::NotFound("no such object");
  return v;
}

}  // namespace teamvl::server
