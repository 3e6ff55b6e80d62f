// Small, Beast-free helpers of the HTTP layer: percent-decoding, query and
// cookie parsing, JSON string escaping, SSE event framing and HTTP dates.
// Pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/http/http.h"

namespace teamvl::server {

// ASCII case-insensitive equality (header names, cookie names are exact).
bool iequals(std::string_view a, std::string_view b);

// Decodes %XY escapes (and '+' as a space when plus_as_space, for query
// strings). Null on a malformed escape or an encoded NUL byte.
std::optional<std::string> percent_decode(std::string_view s, bool plus_as_space = false);

// "/a/b?x=1#frag" -> path "/a/b", query "x=1" (the fragment is dropped).
struct TargetParts {
  std::string_view path;
  std::string_view query;
};
TargetParts split_target(std::string_view target);

// "a=1&b=x+y&c" -> {a:"1", b:"x y", c:""}; the first of repeated keys wins.
// Null when an escape is malformed.
std::optional<std::map<std::string, std::string>> parse_query(std::string_view query);

// Splits a raw path on '/', dropping empty segments, and percent-decodes each
// segment on its own (so "%2F" stays inside its segment). Null on a bad escape.
std::optional<std::vector<std::string>> split_path(std::string_view raw_path);

// The value of cookie `name` in one Cookie header value ("a=1; b=2"), with
// surrounding double quotes removed; null when absent.
std::optional<std::string> find_cookie(std::string_view cookie_header, std::string_view name);

// Escapes `s` for use inside a JSON string literal (no surrounding quotes).
std::string json_escape(std::string_view s);

// {"error":{"code":"...","message":"..."}}
std::string json_error_body(std::string_view code, std::string_view message);

// The wire form of one event: optional "id:" and "event:" lines (line breaks
// removed), one "data:" line per line of data (\n, \r\n or \r), then a blank line.
std::string format_sse_event(const SseStream::Event& e);

// A header value is safe to send when it holds no CR, LF or NUL.
bool valid_header_value(std::string_view v);
// A header name is an RFC 9110 token.
bool valid_header_name(std::string_view v);

// IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
std::string http_date(int64_t unix_seconds);
// Parses an IMF-fixdate; null when malformed.
std::optional<int64_t> parse_http_date(std::string_view s);

}  // namespace teamvl::server
