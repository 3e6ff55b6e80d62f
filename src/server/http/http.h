// The HTTP layer's plain types. Routes see HttpRequest/HttpResponse only;
// Boost.Beast stays inside http_server.cpp. Handlers are synchronous and run
// on a worker pool (they may hash passwords or touch the store); streams
// (Server-Sent Events) are written by the I/O threads without holding a
// thread per connection.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace teamvl::server {

struct HttpRequest {
  std::string method;                       // "GET", "POST", ...
  std::string target;                       // raw request target: "/a/b?x=1"
  std::string path;                         // percent-decoded path: "/a/b"
  std::map<std::string, std::string> query; // decoded query parameters
  std::vector<std::pair<std::string, std::string>> headers;  // as received
  std::string body;
  std::string client_addr;                  // peer IP address
  bool secure = false;                      // arrived over TLS
  std::map<std::string, std::string> params;  // path parameters from the router
  // Case-insensitive header lookup; the first match.
  std::optional<std::string> header(std::string_view name) const;
  std::optional<std::string> cookie(std::string_view name) const;
};

class SseStream;

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // When set, the response is an event stream: headers are sent at once and
  // every event pushed into the stream is written as it comes.
  std::shared_ptr<SseStream> sse;

  static HttpResponse json(int status, std::string body);
  static HttpResponse text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
  // {"error":{"code":code,"message":message}}
  static HttpResponse error(int status, std::string_view code, std::string_view message);
  // The error response for a failed Status: the code's HTTP status (400, 401, 403,
  // 404, 409, 413, 429, 503, 504, 500) and its name as the error code.
  static HttpResponse from_status(const Status& status);
  HttpResponse& with_header(std::string name, std::string value);
};

// A server-sent event stream shared by its producer (any thread) and the
// connection writing it. Thread-safe.
class SseStream {
 public:
  struct Event {
    std::string id;     // optional "id:" line
    std::string event;  // optional "event:" line
    std::string data;   // may contain newlines: each becomes a "data:" line
  };

  // Queue an event; false when the stream is closed (client gone or close()).
  bool send(Event e);
  // No more events: the connection ends once the queue is written.
  void close();
  // True after close() or once the client went away (or the server shut down).
  bool closed() const;
  // True once the connection carrying the stream ended before close().
  bool client_gone() const;

  // --- for the server side ---
  // Takes the queued events; `done` is set when the stream was closed.
  std::vector<Event> take(bool* done);
  // Called (from any thread, with the stream's lock held: it must only post
  // work elsewhere) whenever an event is queued or the stream closes. Once
  // set_notify(nullptr) returns, the old function is never called again.
  void set_notify(std::function<void()> notify);
  // The client went away: later send() calls return false; queued events are dropped.
  void mark_client_gone();

 private:
  mutable std::mutex mu_;
  std::deque<Event> queue_;     // guarded by mu_
  bool closed_ = false;         // guarded by mu_
  bool client_gone_ = false;    // guarded by mu_
  std::function<void()> notify_;  // guarded by mu_
};

using Handler = std::function<HttpResponse(HttpRequest&)>;

// Maps (method, path pattern) to a handler. Patterns are literal segments and
// {name} parameters: "/api/v1/users/{id}/keys"; a literal segment wins over a
// parameter ("/users/me" before "/users/{id}"); empty segments are ignored, so
// "/a/b/" matches "/a/b". Each path segment is percent-decoded on its own, so a
// parameter may hold "%2F". HEAD falls back to the GET route. Not thread-safe
// to modify once the server runs; dispatch is read-only.
class Router {
 public:
  void add(std::string method, std::string pattern, Handler handler);
  // 404 for an unknown path, 405 (with Allow) for a known path and another
  // method; a handler that throws gives 500 and the server keeps serving.
  HttpResponse dispatch(HttpRequest& req) const;
  // Whether any route (of any method) matches the request's path; the server
  // serves static files only for paths no route claims.
  bool matches_path(const HttpRequest& req) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Handler handler;
  };
  // The route for `method` and `segments` (params filled), or null; `allow`
  // collects the methods of the routes whose pattern matches the path.
  const Route* find(std::string_view method, const std::vector<std::string>& segments,
                    std::map<std::string, std::string>* params, std::vector<std::string>* allow) const;
  std::vector<Route> routes_;
};

struct HttpServerOptions {
  std::string host = "0.0.0.0";
  int port = 7860;                          // 0: pick a free port
  std::string tls_cert;                     // PEM paths; both set => HTTPS only
  std::string tls_key;
  size_t max_body_bytes = 64 << 20;
  size_t max_header_bytes = 16 << 10;
  int read_timeout_s = 30;                  // to receive one whole request
  int idle_timeout_s = 75;                  // keep-alive with no request
  int write_timeout_s = 60;                 // to send one response or one event batch
  int sse_heartbeat_s = 15;                 // ": ping" comment on an idle event stream
  int io_threads = 1;
  int handler_threads = 8;
  std::string static_dir;                   // web UI files; empty = none
  // Paths under these prefixes never fall back to the UI's index.html.
  std::vector<std::string> api_prefixes = {"/api/", "/v1/", "/metrics"};
};

// A running server. Thread-safe. Destroying it shuts it down (grace 0) and
// waits for any handler still running.
class HttpServer {
 public:
  virtual ~HttpServer() = default;
  virtual int port() const = 0;             // the bound port
  // Stops accepting, closes streams and idle keep-alive connections, lets
  // in-flight handlers finish and send their responses (up to grace_s), then
  // returns. Calling it again does nothing. Never call it from a handler: it
  // would wait for that handler.
  virtual void shutdown(int grace_s) = 0;
  // Connections accepted and not yet closed (including event streams).
  virtual size_t open_connections() const = 0;
};

// Binds and starts serving `router` (which must outlive the server) on
// background threads; returns once listening. Errors (null and *error set):
// cannot bind, bad TLS files, static_dir not a directory.
std::unique_ptr<HttpServer> start_http_server(const HttpServerOptions& opts, const Router& router,
                                              std::string* error);

}  // namespace teamvl::server
