// JSON in and out of HTTP: body parsing with limits (depth, type) and typed
// field access with clear messages. Errors become responses through
// HttpResponse::from_status (http.h). Include only from .cpp files (nlohmann is heavy).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/status.h"
#include "server/http/http.h"

namespace teamvl::server {

using Json = nlohmann::json;

inline constexpr int kMaxJsonDepth = 32;

// Parses the request body as a JSON object. Errors: wrong Content-Type (415),
// empty or malformed body, nesting deeper than kMaxJsonDepth, not an object.
Result<Json> parse_json_object(const HttpRequest& req);

HttpResponse json_response(int status, const Json& body);

// Typed, optional field access. A present field of the wrong type (or out of
// bounds) is an InvalidArgument naming the field.
Result<std::optional<std::string>> opt_string(const Json& obj, const char* field,
                                              size_t max_len = 1024);
Result<std::string> req_string(const Json& obj, const char* field, size_t max_len = 1024);
Result<std::optional<int64_t>> opt_int(const Json& obj, const char* field, int64_t min, int64_t max);
Result<std::optional<double>> opt_number(const Json& obj, const char* field, double min, double max);
Result<std::optional<bool>> opt_bool(const Json& obj, const char* field);
// Tri-state for quota-like fields: absent (keep), null (clear), or a value.
struct Nullable {
  bool present = false;
  bool is_null = false;
  double value = 0;
};
Result<Nullable> opt_nullable_number(const Json& obj, const char* field, double min, double max,
                                     bool integer);

// Path parameter as a positive id; NotFound (404) otherwise, like an unknown id.
Result<int64_t> path_id(const HttpRequest& req, const char* name);

}  // namespace teamvl::server
