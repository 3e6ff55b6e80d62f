// The Boost.Beast side of the HTTP layer: accept loop, one coroutine per
// connection on its own strand, handlers on a worker pool, event streams
// written by the I/O threads, TLS, limits, timeouts and graceful shutdown.
// This is the only translation unit that includes Beast (slow to compile).
#include <utility>  // before Asio: g++ 12 + C++20 needs std::exchange declared

#if defined(__clang__) && !defined(BOOST_ASIO_HAS_CO_AWAIT) && __has_include(<coroutine>)
// Boost 1.74 finds coroutines under clang only through libc++'s
// <experimental/coroutine>; clang 14 with libstdc++ 12 has <coroutine>.
#define BOOST_ASIO_HAS_CO_AWAIT 1
#define BOOST_ASIO_HAS_STD_COROUTINE 1
#endif

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <thread>
#include <unordered_map>

#include "base/log.h"
#include "server/http/http.h"
#include "server/http/http_util.h"
#include "server/http/static_files.h"

namespace teamvl::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
using std::chrono::seconds;
using SteadyClock = std::chrono::steady_clock;

// Option values in seconds; anything below one second means one second.
seconds secs(int s) { return seconds(std::max(1, s)); }

constexpr size_t kLingerDrainBytes = 1 << 20;  // read and drop at most this after a forced close
constexpr auto kLingerTime = std::chrono::milliseconds(1000);

// What the server and an SSE producer may need from a connection. Fields
// marked "strand" are touched only on the connection's strand.
struct ConnCtl {
  explicit ConnCtl(asio::any_io_executor ex) : strand(ex), wake(ex) {}
  asio::any_io_executor strand;
  asio::steady_timer wake;          // strand: the event loop sleeps here
  std::function<void()> on_stop;    // strand: interrupts the current phase at shutdown
  bool stopping = false;            // strand: the server is shutting down
  bool reader_done = true;          // strand: the SSE disconnect watcher ended
  bool client_gone = false;         // strand: the SSE peer closed or reset
  std::atomic<bool> notify_pending{false};  // coalesces SSE wake-ups
};

bool is_http_parse_error(const beast::error_code& ec) {
  return &ec.category() == &http::make_error_code(http::error::bad_method).category();
}

// The answer to a request that could not be read; null when the connection
// should simply close (peer gone, timeout, shutdown).
std::optional<HttpResponse> read_error_response(const beast::error_code& ec, size_t max_body_bytes) {
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
    return HttpResponse::error(431, "header_too_large", "request header fields too large");
  }
  if (ec == http::error::body_limit) {
    // Whole MiB as the max_body_mb setting says it; bytes below 1 MiB.
    const std::string limit = max_body_bytes >= (1u << 20) && max_body_bytes % (1u << 20) == 0
                                  ? std::to_string(max_body_bytes >> 20) + " MiB"
                                  : std::to_string(max_body_bytes) + " bytes";
    return HttpResponse::error(413, "too_large", "request body too large: the limit is " + limit + " (max_body_mb)");
  }
  if (ec == http::error::bad_version) {
    return HttpResponse::error(505, "http_version_not_supported", "only HTTP/1.0 and HTTP/1.1 are served");
  }
  if (ec == http::error::end_of_stream || ec == http::error::partial_message) return std::nullopt;
  if (is_http_parse_error(ec)) {
    return HttpResponse::error(400, "invalid_argument", "malformed HTTP request: " + ec.message());
  }
  return std::nullopt;
}

// Fills an HttpRequest from a parsed message; an error response when the
// target is not an origin-form path or its escapes are malformed.
std::optional<HttpResponse> to_request(http::request<http::string_body>&& msg, HttpRequest* out) {
  out->method = std::string(msg.method_string());
  out->target = std::string(msg.target());
  // Absolute form ("http://host/path", RFC 9112 3.2.2): keep the path part.
  for (std::string_view scheme : {"http://", "https://"}) {
    if (out->target.size() > scheme.size() && iequals(std::string_view(out->target).substr(0, scheme.size()), scheme)) {
      size_t slash = out->target.find('/', scheme.size());
      out->target = slash == std::string::npos ? "/" : out->target.substr(slash);
    }
  }
  if (out->target.empty() || out->target.front() != '/') {
    return HttpResponse::error(400, "invalid_argument", "request target must be a path");
  }
  TargetParts parts = split_target(out->target);
  auto path = percent_decode(parts.path);
  auto query = parse_query(parts.query);
  if (!path || !query) return HttpResponse::error(400, "invalid_argument", "malformed percent-encoding");
  out->path = std::move(*path);
  out->query = std::move(*query);
  for (const auto& field : msg) {
    out->headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  out->body = std::move(msg.body());
  return std::nullopt;
}

bool has_header(const HttpResponse& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (iequals(k, name)) return true;
  }
  return false;
}

http::response<http::string_body> to_beast(HttpResponse&& r, unsigned version, bool keep_alive, bool head) {
  if (r.status < 100 || r.status > 999) r = HttpResponse::error(500, "internal", "handler gave a bad status");
  http::response<http::string_body> res;
  res.version(version);
  res.result(static_cast<unsigned>(r.status));
  for (const auto& [k, v] : r.headers) {
    if (!valid_header_name(k) || !valid_header_value(v)) continue;  // no header injection
    if (iequals(k, "Content-Length") || iequals(k, "Transfer-Encoding") || iequals(k, "Connection")) continue;
    res.insert(k, v);
  }
  if (!has_header(r, "X-Content-Type-Options")) res.set("X-Content-Type-Options", "nosniff");
  res.set(http::field::server, "TeamVL");
  res.set(http::field::date, http_date(std::time(nullptr)));
  res.keep_alive(keep_alive);
  bool no_body = r.status < 200 || r.status == 204 || r.status == 304;
  if (head) {
    res.content_length(r.body.size());
  } else if (!no_body) {
    res.body() = std::move(r.body);
    res.prepare_payload();
  }
  return res;
}

// Status line and headers of an event stream; the body is delimited by the
// connection closing (HTTP/1.1 with neither length nor chunking).
std::string sse_header_block(const HttpResponse& r) {
  auto status = static_cast<unsigned>(r.status >= 200 && r.status <= 299 ? r.status : 200);
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " +
                    std::string(http::obsolete_reason(http::int_to_status(status))) + "\r\n";
  for (const auto& [k, v] : r.headers) {
    if (!valid_header_name(k) || !valid_header_value(v)) continue;
    if (iequals(k, "Content-Type") || iequals(k, "Cache-Control") || iequals(k, "Content-Length") ||
        iequals(k, "Transfer-Encoding") || iequals(k, "Connection") || iequals(k, "X-Accel-Buffering")) {
      continue;
    }
    out += k + ": " + v + "\r\n";
  }
  out += "Content-Type: text/event-stream\r\nCache-Control: no-cache\r\nX-Accel-Buffering: no\r\n";
  if (!has_header(r, "X-Content-Type-Options")) out += "X-Content-Type-Options: nosniff\r\n";
  out += "Server: TeamVL\r\nConnection: close\r\n\r\n";
  return out;
}

class ServerImpl final : public HttpServer {
 public:
  ServerImpl(const HttpServerOptions& opts, const Router& router)
      : opts_(opts), router_(router), ioc_(std::make_unique<asio::io_context>(std::max(1, opts.io_threads))),
        pool_(static_cast<size_t>(std::max(1, opts.handler_threads))),
        acceptor_(std::make_unique<tcp::acceptor>(asio::make_strand(*ioc_))) {}

  ~ServerImpl() override {
    shutdown(0);
    pool_.join();       // a handler past the grace period still finishes here
    acceptor_.reset();  // holds a strand of ioc_: must go first
    ioc_.reset();       // destroys what is left of the connections' coroutines
  }

  bool start(std::string* error);
  int port() const override { return port_; }
  void shutdown(int grace_s) override;
  size_t open_connections() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return conns_.size();
  }

 private:
  // Removes a connection from the registry when its coroutine ends.
  struct ConnGuard {
    ServerImpl* server;
    uint64_t id;
    ~ConnGuard() { server->unregister_connection(id); }
  };

  awaitable<void> accept_loop();
  awaitable<void> run_connection(tcp::socket socket, std::shared_ptr<ConnCtl> ctl, uint64_t id);
  template <class Stream>
  awaitable<void> serve(Stream& stream, std::shared_ptr<ConnCtl> ctl, std::string peer, bool secure);
  template <class Stream>
  awaitable<void> stream_events(Stream& stream, std::shared_ptr<ConnCtl> ctl, HttpResponse resp);
  template <class Stream>
  awaitable<void> watch_disconnect(Stream& stream, std::shared_ptr<ConnCtl> ctl);
  template <class Stream>
  awaitable<beast::error_code> write_error_and_close(Stream& stream, HttpResponse resp, unsigned version);
  template <class Stream>
  awaitable<void> linger_close(Stream& stream);
  static awaitable<HttpResponse> run_handler(ServerImpl* self, std::shared_ptr<HttpRequest> req);

  HttpResponse handle(HttpRequest& req) const;
  bool is_api_path(std::string_view path) const;
  std::shared_ptr<ConnCtl> register_connection(asio::any_io_executor strand, uint64_t* id);
  void unregister_connection(uint64_t id);

  const HttpServerOptions opts_;
  const Router& router_;
  std::optional<StaticFiles> static_files_;
  std::unique_ptr<ssl::context> ssl_;
  std::unique_ptr<asio::io_context> ioc_;
  asio::thread_pool pool_;
  std::unique_ptr<tcp::acceptor> acceptor_;  // touched only on its strand once running
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> io_threads_;
  int port_ = 0;

  std::mutex shutdown_mu_;  // serializes shutdown()
  mutable std::mutex mu_;
  std::condition_variable drained_;  // signalled when a connection ends
  std::unordered_map<uint64_t, std::shared_ptr<ConnCtl>> conns_;  // guarded by mu_
  uint64_t next_id_ = 1;   // guarded by mu_
  bool stopping_ = false;  // guarded by mu_
  bool stopped_ = false;   // guarded by mu_
};

bool ServerImpl::start(std::string* error) {
  if (!opts_.static_dir.empty()) {
    Result<StaticFiles> files = StaticFiles::open(opts_.static_dir);
    if (!files.ok()) return *error = files.status().message(), false;
    static_files_.emplace(std::move(files).value());
  }
  if (!opts_.tls_cert.empty() || !opts_.tls_key.empty()) {
    if (opts_.tls_cert.empty() || opts_.tls_key.empty()) {
      return *error = "HTTPS needs both a certificate and a key", false;
    }
    ssl_ = std::make_unique<ssl::context>(ssl::context::tls_server);
    ssl_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                      ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
    beast::error_code ec;
    ssl_->use_certificate_chain_file(opts_.tls_cert, ec);
    if (ec) return *error = "TLS certificate '" + opts_.tls_cert + "': " + ec.message(), false;
    ssl_->use_private_key_file(opts_.tls_key, ssl::context::pem, ec);
    if (ec) return *error = "TLS key '" + opts_.tls_key + "': " + ec.message(), false;
    if (SSL_CTX_check_private_key(ssl_->native_handle()) != 1) {
      return *error = "TLS key does not match the certificate", false;
    }
  }
  beast::error_code ec;
  tcp::resolver resolver(*ioc_);
  auto endpoints = resolver.resolve(opts_.host, std::to_string(opts_.port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || endpoints.empty()) return *error = "cannot resolve '" + opts_.host + "': " + ec.message(), false;
  tcp::endpoint ep = endpoints.begin()->endpoint();
  acceptor_->open(ep.protocol(), ec);
  if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_->bind(ep, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return *error = "cannot listen on " + opts_.host + ":" + std::to_string(opts_.port) + ": " + ec.message(),
           false;
  }
  port_ = acceptor_->local_endpoint(ec).port();
  work_.emplace(ioc_->get_executor());
  asio::co_spawn(acceptor_->get_executor(), accept_loop(), asio::detached);
  for (int i = 0; i < std::max(1, opts_.io_threads); ++i) {
    io_threads_.emplace_back([this] {
      for (;;) {
        try {
          ioc_->run();
          return;
        } catch (const std::exception& e) {
          log_error("http", std::string("I/O thread caught: ") + e.what());
        }
      }
    });
  }
  log_info("http", std::string(ssl_ ? "HTTPS" : "HTTP") + " listening on " + opts_.host + ":" +
                       std::to_string(port_));
  return true;
}

void ServerImpl::shutdown(int grace_s) {
  std::lock_guard<std::mutex> serial(shutdown_mu_);  // a second caller waits, then returns
  std::vector<std::shared_ptr<ConnCtl>> conns;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    stopping_ = true;
    for (auto& [id, c] : conns_) conns.push_back(c);
  }
  asio::post(acceptor_->get_executor(), [this] {
    beast::error_code ec;
    acceptor_->close(ec);
  });
  for (auto& c : conns) {
    asio::post(c->strand, [c] {
      c->stopping = true;
      if (c->on_stop) c->on_stop();
    });
  }
  {
    std::unique_lock<std::mutex> lock(mu_);
    // Idle and streaming connections close within milliseconds; the grace
    // period is for handlers still running (plus a moment for the teardown).
    auto deadline = SteadyClock::now() + seconds(std::max(0, grace_s)) + std::chrono::milliseconds(250);
    drained_.wait_until(lock, deadline, [&] { return conns_.empty(); });
    if (!conns_.empty()) {
      log_warn("http", std::to_string(conns_.size()) + " connection(s) still open after the grace period");
    }
  }
  work_.reset();
  ioc_->stop();
  for (auto& t : io_threads_) t.join();
  io_threads_.clear();
  std::lock_guard<std::mutex> lock(mu_);
  stopped_ = true;
}

std::shared_ptr<ConnCtl> ServerImpl::register_connection(asio::any_io_executor strand, uint64_t* id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return nullptr;
  *id = next_id_++;
  auto ctl = std::make_shared<ConnCtl>(std::move(strand));
  conns_.emplace(*id, ctl);
  return ctl;
}

void ServerImpl::unregister_connection(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  conns_.erase(id);
  drained_.notify_all();
}

bool ServerImpl::is_api_path(std::string_view path) const {
  for (const auto& prefix : opts_.api_prefixes) {
    if (path.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

HttpResponse ServerImpl::handle(HttpRequest& req) const {
  try {
    bool read_only = req.method == "GET" || req.method == "HEAD";
    if (static_files_ && read_only && !is_api_path(req.path) && !router_.matches_path(req)) {
      return static_files_->serve(req);
    }
    return router_.dispatch(req);
  } catch (const std::exception& e) {
    log_error("http", std::string("request failed: ") + e.what());
  } catch (...) {
    log_error("http", "request failed with a non-exception");
  }
  return HttpResponse::error(500, "internal", "internal server error");
}

awaitable<HttpResponse> ServerImpl::run_handler(ServerImpl* self, std::shared_ptr<HttpRequest> req) {
  co_return self->handle(*req);
}

awaitable<void> ServerImpl::accept_loop() {
  asio::steady_timer backoff(acceptor_->get_executor());
  for (;;) {
    tcp::socket socket(asio::make_strand(*ioc_));
    beast::error_code ec;
    co_await acceptor_->async_accept(socket, asio::redirect_error(use_awaitable, ec));
    if (ec) {
      if (!acceptor_->is_open() || ec == asio::error::operation_aborted) co_return;
      // Out of file descriptors and the like: wait a little rather than spin.
      log_warn("http", "accept failed: " + ec.message());
      backoff.expires_after(std::chrono::milliseconds(50));
      co_await backoff.async_wait(asio::redirect_error(use_awaitable, ec));
      continue;
    }
    uint64_t id = 0;
    std::shared_ptr<ConnCtl> ctl = register_connection(socket.get_executor(), &id);
    if (!ctl) co_return;  // shutting down; the socket closes here
    asio::any_io_executor ex = socket.get_executor();
    asio::co_spawn(ex, run_connection(std::move(socket), std::move(ctl), id), asio::detached);
  }
}

awaitable<void> ServerImpl::run_connection(tcp::socket socket, std::shared_ptr<ConnCtl> ctl, uint64_t id) {
  ConnGuard guard{this, id};
  try {
    beast::error_code ec;
    std::string peer = socket.remote_endpoint(ec).address().to_string();
    socket.set_option(tcp::no_delay(true), ec);
    beast::tcp_stream stream(std::move(socket));
    if (!ssl_) {
      co_await serve(stream, ctl, std::move(peer), false);
      co_return;
    }
    beast::ssl_stream<beast::tcp_stream> tls(std::move(stream), *ssl_);
    auto& lowest = beast::get_lowest_layer(tls);
    if (ctl->stopping) co_return;
    ctl->on_stop = [&lowest] { lowest.close(); };
    lowest.expires_after(secs(opts_.read_timeout_s));
    co_await tls.async_handshake(ssl::stream_base::server, asio::redirect_error(use_awaitable, ec));
    ctl->on_stop = nullptr;
    if (ec) {
      log_debug("http", "TLS handshake with " + peer + " failed: " + ec.message());
      co_return;
    }
    co_await serve(tls, ctl, std::move(peer), true);
  } catch (const std::exception& e) {
    log_error("http", std::string("connection failed: ") + e.what());
  }
}

template <class Stream>
awaitable<void> ServerImpl::serve(Stream& stream, std::shared_ptr<ConnCtl> ctl, std::string peer, bool secure) {
  auto& lowest = beast::get_lowest_layer(stream);
  beast::flat_buffer buffer;
  beast::error_code ec;
  for (;;) {
    if (ctl->stopping) break;
    // Idle keep-alive: wait for the first byte of the next request. Shutdown
    // closes an idle connection; a request that has begun is served.
    if (buffer.size() == 0) {
      ctl->on_stop = [&lowest] { lowest.cancel(); };
      lowest.expires_after(secs(opts_.idle_timeout_s));
      size_t n = co_await stream.async_read_some(buffer.prepare(16 * 1024), asio::redirect_error(use_awaitable, ec));
      ctl->on_stop = nullptr;
      if (ec) break;
      buffer.commit(n);
    }
    // The whole request must arrive within the read timeout (slowloris).
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(std::min<size_t>(opts_.max_header_bytes, UINT32_MAX)));
    parser.body_limit(static_cast<std::uint64_t>(opts_.max_body_bytes));
    lowest.expires_after(secs(opts_.read_timeout_s));
    co_await http::async_read_header(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    if (!ec && !parser.is_done()) {
      auto expect = parser.get()[http::field::expect];
      if (iequals(std::string_view(expect.data(), expect.size()), "100-continue")) {
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        co_await asio::async_write(stream, asio::buffer(kContinue.data(), kContinue.size()),
                                   asio::redirect_error(use_awaitable, ec));
      }
      if (!ec) co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    }
    if (ec) {
      if (auto resp = read_error_response(ec, opts_.max_body_bytes)) {
        log_debug("http", peer + " bad request: " + ec.message());
        if (!ctl->stopping) co_await write_error_and_close(stream, std::move(*resp), 11);
      }
      break;
    }
    http::request<http::string_body> msg = parser.release();
    unsigned version = msg.version();
    bool keep_alive = msg.keep_alive();
    auto req = std::make_shared<HttpRequest>();
    req->client_addr = peer;
    req->secure = secure;
    if (auto bad = to_request(std::move(msg), req.get())) {
      co_await write_error_and_close(stream, std::move(*bad), version);
      break;
    }
    std::string method = req->method, target = req->target;
    auto started = SteadyClock::now();
    HttpResponse resp = co_await asio::co_spawn(pool_.get_executor(), run_handler(this, req), use_awaitable);
    if (resp.sse) {
      log_debug("http", method + " " + target + " -> event stream (" + peer + ")");
      co_await stream_events(stream, ctl, std::move(resp));
      co_return;
    }
    int status = resp.status;
    if (ctl->stopping) keep_alive = false;
    auto res = to_beast(std::move(resp), version, keep_alive, method == "HEAD");
    lowest.expires_after(secs(opts_.write_timeout_s));
    co_await http::async_write(stream, res, asio::redirect_error(use_awaitable, ec));
    if (log_level() <= LogLevel::kDebug) {
      auto us = std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - started).count();
      char ms[32];
      std::snprintf(ms, sizeof ms, "%.2f", static_cast<double>(us) / 1000.0);
      log_debug("http", method + " " + target + " -> " + std::to_string(status) + " in " + ms + " ms (" + peer + ")");
    }
    if (ec) break;
    if (!keep_alive) {
      co_await linger_close(stream);
      break;
    }
  }
  ctl->on_stop = nullptr;
  lowest.close();
}

template <class Stream>
awaitable<beast::error_code> ServerImpl::write_error_and_close(Stream& stream, HttpResponse resp,
                                                              unsigned version) {
  auto res = to_beast(std::move(resp), version == 10 ? 10 : 11, false, false);
  beast::error_code ec;
  beast::get_lowest_layer(stream).expires_after(secs(opts_.write_timeout_s));
  co_await http::async_write(stream, res, asio::redirect_error(use_awaitable, ec));
  if (!ec) co_await linger_close(stream);
  co_return ec;
}

// Half-closes and drains what the client is still sending, so that closing
// with unread data does not reset the connection before it read our answer.
template <class Stream>
awaitable<void> ServerImpl::linger_close(Stream& stream) {
  auto& lowest = beast::get_lowest_layer(stream);
  beast::error_code ec;
  lowest.socket().shutdown(tcp::socket::shutdown_send, ec);
  lowest.expires_after(kLingerTime);
  char buf[8192];
  size_t drained = 0;
  while (!ec && drained < kLingerDrainBytes) {
    drained += co_await lowest.async_read_some(asio::buffer(buf), asio::redirect_error(use_awaitable, ec));
  }
  lowest.close();
}

template <class Stream>
awaitable<void> ServerImpl::watch_disconnect(Stream& stream, std::shared_ptr<ConnCtl> ctl) {
  char buf[1024];
  beast::error_code ec;
  while (!ec) {  // whatever the client sends now is ignored; EOF or reset ends it
    co_await stream.async_read_some(asio::buffer(buf), asio::redirect_error(use_awaitable, ec));
  }
  ctl->client_gone = true;
  ctl->reader_done = true;
  ctl->wake.cancel();
}

template <class Stream>
awaitable<void> ServerImpl::stream_events(Stream& stream, std::shared_ptr<ConnCtl> ctl, HttpResponse resp) {
  auto& lowest = beast::get_lowest_layer(stream);
  std::shared_ptr<SseStream> sse = resp.sse;
  bool completed = false;  // the producer closed and every event was written
  // Whatever ends this coroutine (even destruction at a forced stop), the
  // producer must stop notifying us and learn that nobody is listening.
  struct Detach {
    SseStream* s;
    bool* completed;
    ~Detach() {
      s->set_notify(nullptr);
      if (!*completed) s->mark_client_gone();
    }
  } detach{sse.get(), &completed};
  std::weak_ptr<ConnCtl> weak = ctl;
  sse->set_notify([weak] {
    auto c = weak.lock();
    if (!c || c->notify_pending.exchange(true)) return;
    asio::post(c->strand, [c] {
      c->notify_pending = false;
      c->wake.cancel();
    });
  });
  ctl->on_stop = [c = ctl.get()] { c->wake.cancel(); };

  beast::error_code ec;
  lowest.expires_never();  // the watcher's read has no deadline; writes get one each
  ctl->reader_done = false;
  ctl->client_gone = false;
  asio::co_spawn(ctl->strand, watch_disconnect(stream, ctl), asio::detached);

  std::string header = sse_header_block(resp);
  lowest.expires_after(secs(opts_.write_timeout_s));
  co_await asio::async_write(stream, asio::buffer(header), asio::redirect_error(use_awaitable, ec));
  while (!ec && !ctl->client_gone && !ctl->stopping) {
    bool done = false;
    std::vector<SseStream::Event> events = sse->take(&done);
    if (!events.empty()) {
      std::string out;
      for (const auto& e : events) out += format_sse_event(e);
      lowest.expires_after(secs(opts_.write_timeout_s));
      co_await asio::async_write(stream, asio::buffer(out), asio::redirect_error(use_awaitable, ec));
      if (ec) break;
    }
    if (done) {
      completed = true;
      break;
    }
    // A wake-up that came while writing was lost: look at the queue again
    // before sleeping. Between take() and async_wait() nothing else runs on
    // the strand, so a notification after take() always cancels the wait.
    if (!events.empty()) continue;
    ctl->wake.expires_after(secs(opts_.sse_heartbeat_s));
    beast::error_code wait_ec;
    co_await ctl->wake.async_wait(asio::redirect_error(use_awaitable, wait_ec));
    if (!wait_ec && !ctl->client_gone && !ctl->stopping) {  // idle: keep proxies from closing it
      static constexpr std::string_view kPing = ": ping\n\n";
      lowest.expires_after(secs(opts_.write_timeout_s));
      co_await asio::async_write(stream, asio::buffer(kPing.data(), kPing.size()),
                                 asio::redirect_error(use_awaitable, ec));
    }
  }
  ctl->on_stop = nullptr;
  // Half-close so the client reads everything, give it a moment to close its
  // side, then close ours; the watcher must end before `stream` goes away.
  lowest.socket().shutdown(tcp::socket::shutdown_send, ec);
  auto deadline = SteadyClock::now() + (ctl->stopping ? std::chrono::milliseconds(0) : kLingerTime);
  bool closed = false;
  while (!ctl->reader_done) {
    if (closed || SteadyClock::now() >= deadline) {
      lowest.close();
      closed = true;
    }
    ctl->wake.expires_at(closed ? SteadyClock::now() + seconds(1) : deadline);
    beast::error_code wait_ec;
    co_await ctl->wake.async_wait(asio::redirect_error(use_awaitable, wait_ec));
  }
  lowest.close();
}

}  // namespace

std::unique_ptr<HttpServer> start_http_server(const HttpServerOptions& opts, const Router& router,
                                              std::string* error) {
  std::string local_error;
  if (!error) error = &local_error;
  auto server = std::make_unique<ServerImpl>(opts, router);
  if (!server->start(error)) {
    log_error("http", *error);
    return nullptr;
  }
  return server;
}

}  // namespace teamvl::server
