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
#include <utility>
#include <vector>

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
  bool closed() const;

  // --- for the server side ---
  // Takes the queued events; `done` is set when the stream was closed.
  std::vector<Event> take(bool* done);
  // Called (from any thread) whenever an event is queued or the stream closes.
  void set_notify(std::function<void()> notify);
  // The client went away: later send() calls return false.
  void mark_client_gone();

 private:
  mutable std::mutex mu_;
  std::deque<Event> queue_;
  bool closed_ = false;
  std::function<void()> notify_;
};

using Handler = std::function<HttpResponse(HttpRequest&)>;

// Maps (method, path pattern) to a handler. Patterns are literal segments and
// {name} parameters: "/api/v1/users/{id}/keys". Not thread-safe to modify
// once the server runs; dispatch is read-only.
class Router {
 public:
  void add(std::string method, std::string pattern, Handler handler);
  // 404 for an unknown path, 405 (with Allow) for a known path and another
  // method; a handler that throws gives 500 and the server keeps serving.
  HttpResponse dispatch(HttpRequest& req) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Handler handler;
  };
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
  int io_threads = 1;
  int handler_threads = 8;
  std::string static_dir;                   // web UI files; empty = none
  // Paths under these prefixes never fall back to the UI's index.html.
  std::vector<std::string> api_prefixes = {"/api/", "/v1/", "/metrics"};
};

class HttpServer {
 public:
  virtual ~HttpServer() = default;
  // Binds and starts serving on background threads; returns when listening.
  virtual int port() const = 0;             // the bound port
  // Stops accepting, closes streams, lets in-flight handlers finish (up to
  // grace_s), then returns.
  virtual void shutdown(int grace_s) = 0;
  virtual size_t open_connections() const = 0;
};

// Binds and starts serving `router` (which must outlive the server).
// Errors: cannot bind, bad TLS files.
std::unique_ptr<HttpServer> start_http_server(const HttpServerOptions& opts, const Router& router,
                                              std::string* error);

}  // namespace teamvl::server
