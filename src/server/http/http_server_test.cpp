// End-to-end tests of the HTTP server over real loopback sockets: routing,
// JSON errors, limits, timeouts, keep-alive, static files, shutdown.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "server/http/http.h"
#include "server/http/http_test_client.h"

namespace teamvl::server {
namespace {
namespace fs = std::filesystem;
using testing::http_request;
using testing::RawResponse;
using testing::TestClient;
using namespace std::chrono_literals;

std::string error_code_of(const RawResponse& r) {
  try {
    return nlohmann::json::parse(r.body).at("error").at("code").get<std::string>();
  } catch (...) {
    return "<not a JSON error: " + r.body + ">";
  }
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    opts_.host = "127.0.0.1";
    opts_.port = 0;
    router_.add("GET", "/api/v1/users/{id}/keys/{key}", [](HttpRequest& req) {
      nlohmann::json j = {{"id", req.params["id"]}, {"key", req.params["key"]}, {"path", req.path}};
      return HttpResponse::json(200, j.dump());
    });
    router_.add("GET", "/api/v1/echo", [](HttpRequest& req) {
      nlohmann::json j = {{"query", req.query}, {"peer", req.client_addr}, {"secure", req.secure},
                          {"cookie", req.cookie("sid").value_or("")}};
      return HttpResponse::json(200, j.dump()).with_header("X-Bad", "a\r\nInjected: 1");
    });
    router_.add("POST", "/api/v1/echo", [](HttpRequest& req) { return HttpResponse::text(200, req.body); });
    router_.add("GET", "/api/v1/throw", [](HttpRequest&) -> HttpResponse { throw std::runtime_error("no"); });
    router_.add("GET", "/api/v1/slow", [this](HttpRequest&) {
      slow_started_ = true;
      std::this_thread::sleep_for(800ms);
      return HttpResponse::text(200, "slow done");
    });
  }
  void TearDown() override {
    server_.reset();
    if (!static_dir_.empty()) fs::remove_all(static_dir_);
  }

  void start() {
    std::string error;
    server_ = start_http_server(opts_, router_, &error);
    ASSERT_TRUE(server_) << error;
    port_ = server_->port();
    ASSERT_GT(port_, 0);
  }

  void make_static_dir() {
    char tmpl[] = "/tmp/teamvl_http_ui_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    static_dir_ = tmpl;
    std::ofstream(static_dir_ / "index.html") << "<html>spa</html>";
    fs::create_directories(static_dir_ / "assets");
    std::ofstream(static_dir_ / "assets" / "app.js") << "let x = 1;";
    opts_.static_dir = static_dir_.string();
  }

  HttpServerOptions opts_;
  Router router_;
  std::unique_ptr<HttpServer> server_;
  int port_ = 0;
  fs::path static_dir_;
  std::atomic<bool> slow_started_{false};
};

TEST_F(HttpServerTest, RoutingWithParams) {
  start();
  auto r = http_request(port_, "GET", "/api/v1/users/u%201/keys/k-9");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["id"], "u 1");
  EXPECT_EQ(j["key"], "k-9");
  EXPECT_EQ(j["path"], "/api/v1/users/u 1/keys/k-9");
  EXPECT_EQ(r->header("Content-Type"), "application/json");
  EXPECT_EQ(r->header("X-Content-Type-Options"), "nosniff");
}

TEST_F(HttpServerTest, QueryCookiePeerAndHeaderInjection) {
  start();
  auto r = http_request(port_, "GET", "/api/v1/echo?a=1&b=x+y&c=%26", "", "Cookie: theme=dark; sid=s3\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["query"]["a"], "1");
  EXPECT_EQ(j["query"]["b"], "x y");
  EXPECT_EQ(j["query"]["c"], "&");
  EXPECT_EQ(j["peer"], "127.0.0.1");
  EXPECT_EQ(j["secure"], false);
  EXPECT_EQ(j["cookie"], "s3");
  EXPECT_FALSE(r->header("Injected").has_value());
  EXPECT_FALSE(r->header("X-Bad").has_value());
}

TEST_F(HttpServerTest, ErrorsAreJsonWithStatus) {
  start();
  struct Case {
    const char* method;
    const char* target;
    int status;
    const char* code;
  } cases[] = {
      {"GET", "/api/v1/nothing", 404, "not_found"},
      {"DELETE", "/api/v1/echo", 405, "method_not_allowed"},
      {"GET", "/api/v1/throw", 500, "internal"},
      {"GET", "/api/v1/users/%zz/keys/1", 400, "invalid_argument"},
      {"GET", "/", 404, "not_found"},  // no static dir configured
  };
  for (const auto& c : cases) {
    auto r = http_request(port_, c.method, c.target);
    ASSERT_TRUE(r) << c.target;
    EXPECT_EQ(r->status, c.status) << c.target;
    EXPECT_EQ(error_code_of(*r), c.code) << c.target;
    EXPECT_EQ(r->header("Content-Type"), "application/json") << c.target;
  }
  auto r = http_request(port_, "PUT", "/api/v1/echo", "x");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("Allow"), "GET, HEAD, POST");
}

TEST_F(HttpServerTest, OversizeBodyIs413) {
  opts_.max_body_bytes = 1024;
  start();
  auto ok = http_request(port_, "POST", "/api/v1/echo", std::string(1024, 'a'));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body.size(), 1024u);
  auto big = http_request(port_, "POST", "/api/v1/echo", std::string(200 * 1024, 'b'));
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  EXPECT_EQ(error_code_of(*big), "too_large");
  EXPECT_NE(big->body.find("the limit is 1024 bytes"), std::string::npos) << big->body;
  // Chunked: the limit is found while reading, not from a Content-Length.
  auto c = TestClient::connect(port_);
  ASSERT_TRUE(c);
  std::string chunk(1000, 'c');
  std::string req = "POST /api/v1/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i) req += "3e8\r\n" + chunk + "\r\n";
  req += "0\r\n\r\n";
  ASSERT_TRUE(c->send(req));
  auto r = c->read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_TRUE(c->wait_closed(3000));
}

TEST_F(HttpServerTest, OversizeHeaderIs431) {
  opts_.max_header_bytes = 2048;
  start();
  auto r = http_request(port_, "GET", "/api/v1/echo", "", "X-Big: " + std::string(4096, 'h') + "\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(error_code_of(*r), "header_too_large");
  auto fine = http_request(port_, "GET", "/api/v1/echo", "", "X-Small: " + std::string(512, 'h') + "\r\n");
  ASSERT_TRUE(fine);
  EXPECT_EQ(fine->status, 200);
}

TEST_F(HttpServerTest, MalformedRequestIs400) {
  start();
  for (std::string raw : {"GARBAGE\r\n\r\n", "GET /x HTTP/1.1\r\nBad Header\r\n\r\n",
                          "GET /x HTTP/1.1\r\nContent-Length: abc\r\n\r\n", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
                          "GET /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"}) {
    auto c = TestClient::connect(port_);
    ASSERT_TRUE(c);
    ASSERT_TRUE(c->send(raw));
    auto r = c->read_response();
    ASSERT_TRUE(r) << raw;
    EXPECT_EQ(r->status, 400) << raw;
    EXPECT_EQ(error_code_of(*r), "invalid_argument") << raw;
    EXPECT_TRUE(c->wait_closed(3000)) << raw;
  }
}

TEST_F(HttpServerTest, AbsoluteFormAndVersions) {
  start();
  auto c = TestClient::connect(port_);
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->send("GET http://example.com/api/v1/users/1/keys/2?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n"));
  auto r = c->read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(nlohmann::json::parse(r->body)["path"], "/api/v1/users/1/keys/2");
  // HTTP/1.0 is answered and closed (no keep-alive asked for).
  ASSERT_TRUE(c->send("GET /api/v1/echo HTTP/1.0\r\n\r\n"));
  r = c->read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(c->wait_closed(3000));
  auto v = TestClient::connect(port_);
  ASSERT_TRUE(v);
  ASSERT_TRUE(v->send("GET /api/v1/echo HTTP/1.2\r\nHost: x\r\n\r\n"));
  r = v->read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 505);
  EXPECT_EQ(error_code_of(*r), "http_version_not_supported");
  auto w = TestClient::connect(port_);
  ASSERT_TRUE(w);
  ASSERT_TRUE(w->send("GET /api/v1/echo HTTP/2.0\r\nHost: x\r\n\r\n"));
  r = w->read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 505);
}

TEST_F(HttpServerTest, ThrowingHandlerThenNextRequestOnSameConnection) {
  start();
  auto c = TestClient::connect(port_);
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->send("GET /api/v1/throw HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r = c->read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  ASSERT_TRUE(c->send("GET /api/v1/users/1/keys/2 HTTP/1.1\r\nHost: x\r\n\r\n"));
  r = c->read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpServerTest, KeepAliveAndPipelining) {
  start();
  auto c = TestClient::connect(port_);
  ASSERT_TRUE(c);
  for (int i = 0; i < 5; ++i) {
    std::string body = "req" + std::to_string(i);
    ASSERT_TRUE(c->send("POST /api/v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\n\r\n" + body));
    auto r = c->read_response();
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->body, body);
    EXPECT_NE(r->header("Connection"), "close");
  }
  EXPECT_EQ(server_->open_connections(), 1u);
  // Three requests in one write come back in order.
  std::string batch;
  for (int i = 0; i < 3; ++i) batch += "GET /api/v1/users/" + std::to_string(i) + "/keys/k HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_TRUE(c->send(batch));
  for (int i = 0; i < 3; ++i) {
    auto r = c->read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(nlohmann::json::parse(r->body)["id"], std::to_string(i));
  }
  // Connection: close is honoured.
  ASSERT_TRUE(c->send("GET /api/v1/echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  auto r = c->read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("Connection"), "close");
  EXPECT_TRUE(c->wait_closed(3000));
}

TEST_F(HttpServerTest, HeadAndExpectContinue) {
  start();
  auto c = TestClient::connect(port_);
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->send("HEAD /api/v1/users/1/keys/2 HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r = c->read_response(5000, /*head=*/true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  ASSERT_TRUE(r->header("Content-Length"));
  EXPECT_GT(std::stoi(*r->header("Content-Length")), 10);
  // No body follows a HEAD answer: the next response starts right away.
  ASSERT_TRUE(c->send("POST /api/v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  auto cont = c->read_until("\r\n\r\n");
  ASSERT_TRUE(cont);
  EXPECT_EQ(*cont, "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(c->send("hello"));
  r = c->read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello");
}

// A slowloris client: trickles header bytes forever. ("Slow" is kept out of the
// name: it would put this one-second test in the slow tier.)
TEST_F(HttpServerTest, ReadTimeoutClosesTricklingClient) {
  opts_.read_timeout_s = 1;
  start();
  auto c = TestClient::connect(port_);
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->send("GET /api/v1/echo HTTP/1.1\r\n"));
  auto t0 = std::chrono::steady_clock::now();
  bool closed = false;
  // One header byte every 100 ms never completes the request.
  for (int i = 0; i < 40 && !closed; ++i) {
    if (!c->send("X")) {
      closed = true;
      break;
    }
    closed = c->wait_closed(100);
  }
  auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_TRUE(closed);
  EXPECT_LT(elapsed, 2500ms);
  EXPECT_GT(elapsed, 700ms);
  EXPECT_EQ(c->pending().find("200"), std::string::npos);
}

TEST_F(HttpServerTest, IdleKeepAliveTimesOut) {
  opts_.idle_timeout_s = 1;
  start();
  auto c = TestClient::connect(port_);
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->send("GET /api/v1/echo HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(c->read_response());
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(c->wait_closed(3000));
  EXPECT_GT(std::chrono::steady_clock::now() - t0, 700ms);
  for (int i = 0; i < 100 && server_->open_connections() != 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(server_->open_connections(), 0u);
}

TEST_F(HttpServerTest, StaticFilesSpaFallbackAndTraversal) {
  make_static_dir();
  start();
  auto r = http_request(port_, "GET", "/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "<html>spa</html>");
  EXPECT_EQ(r->header("Content-Type"), "text/html; charset=utf-8");
  r = http_request(port_, "GET", "/assets/app.js");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "let x = 1;");
  EXPECT_EQ(r->header("Content-Type"), "text/javascript; charset=utf-8");
  std::string etag = r->header("ETag").value_or("");
  ASSERT_FALSE(etag.empty());
  r = http_request(port_, "GET", "/assets/app.js", "", "If-None-Match: " + etag + "\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 304);
  r = http_request(port_, "GET", "/workspace/chat/7");  // client-side route
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "<html>spa</html>");
  // API paths never fall back to the UI.
  r = http_request(port_, "GET", "/api/v1/unknown");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(error_code_of(*r), "not_found");
  // Routes still win over files.
  r = http_request(port_, "GET", "/api/v1/users/1/keys/2");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  for (const char* evil : {"/../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/assets/..%2f..%2f..%2fetc%2fpasswd",
                           "/assets/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/..%5c..%5cetc%5cpasswd"}) {
    r = http_request(port_, "GET", evil);
    ASSERT_TRUE(r) << evil;
    EXPECT_NE(r->status, 200) << evil;
    EXPECT_EQ(r->body.find("root:"), std::string::npos) << evil;
  }
  r = http_request(port_, "POST", "/assets/app.js", "x");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);  // no route claims it; static files answer GET/HEAD only
}

TEST_F(HttpServerTest, ShutdownLetsInFlightHandlerFinish) {
  start();
  auto idle = TestClient::connect(port_);  // an idle keep-alive connection
  ASSERT_TRUE(idle);
  ASSERT_TRUE(idle->send("GET /api/v1/echo HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(idle->read_response());
  auto slow = std::async(std::launch::async, [this] { return http_request(port_, "GET", "/api/v1/slow"); });
  for (int i = 0; i < 200 && !slow_started_; ++i) std::this_thread::sleep_for(5ms);
  ASSERT_TRUE(slow_started_);
  auto t0 = std::chrono::steady_clock::now();
  server_->shutdown(10);
  auto took = std::chrono::steady_clock::now() - t0;
  auto r = slow.get();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "slow done");
  EXPECT_LT(took, 5s);  // it waited for the handler, not for the grace period
  EXPECT_TRUE(idle->wait_closed(1000));
  EXPECT_EQ(server_->open_connections(), 0u);
  EXPECT_FALSE(TestClient::connect(port_) && http_request(port_, "GET", "/api/v1/echo"));
  server_->shutdown(1);  // a second call is harmless
}

TEST_F(HttpServerTest, ShutdownServesARequestAlreadyArriving) {
  start();
  auto c = TestClient::connect(port_);
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->send("POST /api/v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello"));
  for (int i = 0; i < 200 && server_->open_connections() == 0; ++i) std::this_thread::sleep_for(5ms);
  std::this_thread::sleep_for(50ms);  // the server is now reading the body
  auto stopping = std::async(std::launch::async, [this] { server_->shutdown(5); });
  std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(c->send("world"));
  auto r = c->read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "helloworld");
  EXPECT_EQ(r->header("Connection"), "close");
  EXPECT_TRUE(c->wait_closed(2000));
  stopping.get();
}

TEST_F(HttpServerTest, StartErrors) {
  start();
  HttpServerOptions o = opts_;
  o.port = port_;  // taken
  std::string error;
  EXPECT_EQ(start_http_server(o, router_, &error), nullptr);
  EXPECT_NE(error.find("cannot listen"), std::string::npos) << error;
  o.port = 0;
  o.static_dir = "/nonexistent/teamvl/ui";
  error.clear();
  EXPECT_EQ(start_http_server(o, router_, &error), nullptr);
  EXPECT_FALSE(error.empty());
  o.static_dir.clear();
  o.tls_cert = "/nonexistent/cert.pem";
  error.clear();
  EXPECT_EQ(start_http_server(o, router_, &error), nullptr);
  EXPECT_NE(error.find("HTTPS"), std::string::npos) << error;  // key missing
  o.tls_key = "/nonexistent/key.pem";
  error.clear();
  EXPECT_EQ(start_http_server(o, router_, &error), nullptr);
  EXPECT_NE(error.find("certificate"), std::string::npos) << error;
}

TEST_F(HttpServerTest, TwoIoThreadsServeConcurrentClients) {
  opts_.io_threads = 2;
  opts_.handler_threads = 4;
  start();
  std::vector<std::future<int>> results;
  for (int t = 0; t < 8; ++t) {
    results.push_back(std::async(std::launch::async, [this, t] {
      int ok = 0;
      auto c = TestClient::connect(port_);
      if (!c) return 0;
      for (int i = 0; i < 20; ++i) {
        std::string body = std::to_string(t) + ":" + std::to_string(i);
        c->send("POST /api/v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
                "\r\n\r\n" + body);
        auto r = c->read_response();
        if (r && r->body == body) ++ok;
      }
      return ok;
    }));
  }
  for (auto& f : results) EXPECT_EQ(f.get(), 20);
}

}  // namespace
}  // namespace teamvl::server
