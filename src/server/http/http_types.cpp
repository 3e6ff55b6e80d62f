// The plain HTTP types: request lookups, response builders, the SSE stream
// queue and the router. No Beast here (see http_server.cpp).
#include <algorithm>
#include <exception>

#include "base/log.h"
#include "server/http/http.h"
#include "server/http/http_util.h"

namespace teamvl::server {
namespace {

bool is_param(std::string_view seg) { return seg.size() >= 2 && seg.front() == '{' && seg.back() == '}'; }

// Segments of a path that was already decoded (a request built by hand).
std::vector<std::string> split_decoded(std::string_view path) {
  std::vector<std::string> out;
  while (!path.empty()) {
    size_t slash = path.find('/');
    if (slash != 0) out.emplace_back(path.substr(0, slash));
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
  }
  return out;
}

int http_status_for(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kUnauthenticated: return 401;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kAlreadyExists: return 409;
    case StatusCode::kFailedPrecondition: return 409;
    case StatusCode::kResourceExhausted: return 429;
    case StatusCode::kTooLarge: return 413;
    case StatusCode::kDeadlineExceeded: return 504;
    case StatusCode::kCancelled: return 409;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kDataLoss: return 400;  // a corrupt upload is the client's fault
    case StatusCode::kInternal: return 500;
  }
  return 500;
}

}  // namespace

// ---------------------------------------------------------------- request

std::optional<std::string> HttpRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return v;
  }
  return std::nullopt;
}

std::optional<std::string> HttpRequest::cookie(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (!iequals(k, "cookie")) continue;
    if (auto value = find_cookie(v, name)) return value;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------- response

HttpResponse HttpResponse::json(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers.emplace_back("Content-Type", "application/json");
  return r;
}

HttpResponse HttpResponse::text(int status, std::string body, std::string content_type) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers.emplace_back("Content-Type", std::move(content_type));
  return r;
}

HttpResponse HttpResponse::error(int status, std::string_view code, std::string_view message) {
  return json(status, json_error_body(code, message));
}

HttpResponse HttpResponse::from_status(const Status& status) {
  if (status.ok()) return json(200, "{}");
  return error(http_status_for(status.code()), status_code_name(status.code()), status.message());
}

HttpResponse& HttpResponse::with_header(std::string name, std::string value) {
  headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

// ---------------------------------------------------------------- SSE stream

bool SseStream::send(Event e) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return false;
  queue_.push_back(std::move(e));
  if (notify_) notify_();
  return true;
}

void SseStream::close() {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return;
  closed_ = true;
  if (notify_) notify_();
}

bool SseStream::closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_;
}

bool SseStream::client_gone() const {
  std::lock_guard<std::mutex> lock(mu_);
  return client_gone_;
}

std::vector<SseStream::Event> SseStream::take(bool* done) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Event> out(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
  queue_.clear();
  if (done) *done = closed_;
  return out;
}

void SseStream::set_notify(std::function<void()> notify) {
  std::lock_guard<std::mutex> lock(mu_);
  notify_ = std::move(notify);
}

void SseStream::mark_client_gone() {
  std::lock_guard<std::mutex> lock(mu_);
  if (client_gone_) return;
  client_gone_ = true;
  closed_ = true;
  queue_.clear();
  if (notify_) notify_();
}

// ---------------------------------------------------------------- router

void Router::add(std::string method, std::string pattern, Handler handler) {
  routes_.push_back(Route{std::move(method), split_decoded(pattern), std::move(handler)});
}

const Router::Route* Router::find(std::string_view method, const std::vector<std::string>& segments,
                                  std::map<std::string, std::string>* params,
                                  std::vector<std::string>* allow) const {
  const Route* best = nullptr;
  for (const Route& r : routes_) {
    if (r.segments.size() != segments.size()) continue;
    bool match = true;
    for (size_t i = 0; i < segments.size() && match; ++i) {
      match = is_param(r.segments[i]) || r.segments[i] == segments[i];
    }
    if (!match) continue;
    if (allow) allow->push_back(r.method);
    if (r.method != method) continue;
    // A literal segment earlier in the path is more specific than a parameter.
    if (best) {
      bool better = false;
      for (size_t i = 0; i < segments.size(); ++i) {
        bool a = !is_param(r.segments[i]), b = !is_param(best->segments[i]);
        if (a != b) {
          better = a;
          break;
        }
      }
      if (!better) continue;
    }
    best = &r;
  }
  if (best && params) {
    for (size_t i = 0; i < segments.size(); ++i) {
      const std::string& s = best->segments[i];
      if (is_param(s)) (*params)[s.substr(1, s.size() - 2)] = segments[i];
    }
  }
  return best;
}

bool Router::matches_path(const HttpRequest& req) const {
  std::optional<std::vector<std::string>> segments =
      req.target.empty() ? split_decoded(req.path) : split_path(split_target(req.target).path);
  if (!segments) return false;
  std::vector<std::string> allow;
  find("", *segments, nullptr, &allow);
  return !allow.empty();
}

HttpResponse Router::dispatch(HttpRequest& req) const {
  std::optional<std::vector<std::string>> segments =
      req.target.empty() ? split_decoded(req.path) : split_path(split_target(req.target).path);
  if (!segments) return HttpResponse::error(400, "invalid_argument", "malformed percent-encoding in path");
  std::vector<std::string> allow;
  const Route* route = find(req.method, *segments, &req.params, &allow);
  if (!route && req.method == "HEAD") route = find("GET", *segments, &req.params, nullptr);
  if (!route) {
    if (allow.empty()) return HttpResponse::error(404, "not_found", "no such path: " + req.path);
    if (std::find(allow.begin(), allow.end(), "GET") != allow.end()) allow.push_back("HEAD");
    std::sort(allow.begin(), allow.end());
    allow.erase(std::unique(allow.begin(), allow.end()), allow.end());
    std::string joined;
    for (const auto& m : allow) joined += (joined.empty() ? "" : ", ") + m;
    return HttpResponse::error(405, "method_not_allowed", req.method + " is not allowed here")
        .with_header("Allow", joined);
  }
  try {
    return route->handler(req);
  } catch (const std::exception& e) {
    log_error("http", "handler for " + req.method + " " + req.path + " threw: " + e.what());
  } catch (...) {
    log_error("http", "handler for " + req.method + " " + req.path + " threw a non-exception");
  }
  return HttpResponse::error(500, "internal", "internal server error");
}

}  // namespace teamvl::server
