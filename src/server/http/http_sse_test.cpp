// Server-Sent Events over real sockets: framing and order, close, client
// disconnect, heartbeats, shutdown, and hundreds of open streams on one I/O thread.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>

#include "server/http/http.h"
#include "server/http/http_test_client.h"

namespace teamvl::server {
namespace {
using testing::TestClient;
using namespace std::chrono_literals;

// Hands every stream the server opens to the test, keyed by the "n" query parameter.
class StreamRegistry {
 public:
  std::shared_ptr<SseStream> open(const std::string& key) {
    auto s = std::make_shared<SseStream>();
    std::lock_guard<std::mutex> lock(mu_);
    streams_[key] = s;
    return s;
  }
  std::shared_ptr<SseStream> get(const std::string& key, std::chrono::milliseconds wait = 3s) {
    auto deadline = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < deadline) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = streams_.find(key);
        if (it != streams_.end()) return it->second;
      }
      std::this_thread::sleep_for(2ms);
    }
    return nullptr;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<SseStream>> streams_;
};

size_t thread_count() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds wait = 3s) {
  auto deadline = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

class SseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    opts_.host = "127.0.0.1";
    opts_.port = 0;
    router_.add("GET", "/api/v1/stream", [this](HttpRequest& req) {
      HttpResponse r;
      r.sse = registry_.open(req.query["n"]);
      if (req.query.count("early")) {  // queued before the connection writes anything
        r.sse->send({"e1", "", "early one"});
        r.sse->send({"e2", "", "early two"});
      }
      r.headers.emplace_back("X-Stream", req.query["n"]);
      return r;
    });
  }
  void start() {
    std::string error;
    server_ = start_http_server(opts_, router_, &error);
    ASSERT_TRUE(server_) << error;
    port_ = server_->port();
  }
  // Opens a stream and reads its response headers.
  std::unique_ptr<TestClient> open_stream(const std::string& n, const std::string& extra = "") {
    auto c = TestClient::connect(port_);
    if (!c) return nullptr;
    if (!c->send("GET /api/v1/stream?n=" + n + extra + " HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")) {
      return nullptr;
    }
    auto head = c->read_until("\r\n\r\n");
    if (!head) return nullptr;
    last_head_ = *head;
    return c;
  }

  HttpServerOptions opts_;
  Router router_;
  StreamRegistry registry_;
  std::unique_ptr<HttpServer> server_;
  int port_ = 0;
  std::string last_head_;
};

TEST_F(SseTest, HeadersEventsInOrderAndClose) {
  start();
  auto c = open_stream("a");
  ASSERT_TRUE(c);
  EXPECT_EQ(last_head_.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << last_head_;
  EXPECT_NE(last_head_.find("Content-Type: text/event-stream\r\n"), std::string::npos);
  EXPECT_NE(last_head_.find("Cache-Control: no-cache\r\n"), std::string::npos);
  EXPECT_NE(last_head_.find("X-Accel-Buffering: no\r\n"), std::string::npos);
  EXPECT_NE(last_head_.find("X-Content-Type-Options: nosniff\r\n"), std::string::npos);
  EXPECT_NE(last_head_.find("X-Stream: a\r\n"), std::string::npos);
  EXPECT_EQ(last_head_.find("Content-Length"), std::string::npos);
  auto s = registry_.get("a");
  ASSERT_TRUE(s);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(s->send({std::to_string(i), "token", "t" + std::to_string(i)}));
  ASSERT_TRUE(s->send({"50", "done", "line one\nline two\r\nline three"}));
  for (int i = 0; i < 50; ++i) {
    auto ev = c->read_until("\n\n");
    ASSERT_TRUE(ev) << i;
    EXPECT_EQ(*ev, "id: " + std::to_string(i) + "\nevent: token\ndata: t" + std::to_string(i) + "\n\n");
  }
  auto last = c->read_until("\n\n");
  ASSERT_TRUE(last);
  EXPECT_EQ(*last, "id: 50\nevent: done\ndata: line one\ndata: line two\ndata: line three\n\n");
  s->close();
  EXPECT_TRUE(c->wait_closed(3000));
  EXPECT_FALSE(s->client_gone());
  EXPECT_TRUE(eventually([&] { return server_->open_connections() == 0; }));
}

TEST_F(SseTest, EventsQueuedBeforeHeadersAndCloseFlushesQueue) {
  start();
  auto c = open_stream("b", "&early=1");
  ASSERT_TRUE(c);
  auto s = registry_.get("b");
  ASSERT_TRUE(s);
  s->send({"e3", "", "three"});
  s->close();  // everything queued before close() is still written
  auto e1 = c->read_until("\n\n");
  auto e2 = c->read_until("\n\n");
  auto e3 = c->read_until("\n\n");
  ASSERT_TRUE(e1 && e2 && e3);
  EXPECT_EQ(*e1, "id: e1\ndata: early one\n\n");
  EXPECT_EQ(*e2, "id: e2\ndata: early two\n\n");
  EXPECT_EQ(*e3, "id: e3\ndata: three\n\n");
  EXPECT_TRUE(c->wait_closed(3000));
}

TEST_F(SseTest, ClientDisconnectIsDetected) {
  start();
  auto c = open_stream("c");
  ASSERT_TRUE(c);
  auto s = registry_.get("c");
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->send({"1", "", "x"}));
  ASSERT_TRUE(c->read_until("\n\n"));
  EXPECT_EQ(server_->open_connections(), 1u);
  c.reset();  // the browser tab closes
  EXPECT_TRUE(eventually([&] { return s->client_gone(); }, 2s));
  EXPECT_FALSE(s->send({"2", "", "nobody listens"}));
  EXPECT_TRUE(eventually([&] { return server_->open_connections() == 0; }));
}

TEST_F(SseTest, HeartbeatOnIdleStream) {
  opts_.sse_heartbeat_s = 1;
  start();
  auto c = open_stream("d");
  ASSERT_TRUE(c);
  auto ping = c->read_until("\n\n", 3000);
  ASSERT_TRUE(ping);
  EXPECT_EQ(*ping, ": ping\n\n");
  auto s = registry_.get("d");
  ASSERT_TRUE(s);
  s->send({"", "", "after ping"});
  auto ev = c->read_until("\n\n");
  ASSERT_TRUE(ev);
  EXPECT_EQ(*ev, "data: after ping\n\n");
}

TEST_F(SseTest, ShutdownClosesStreams) {
  start();
  auto c1 = open_stream("e1");
  auto c2 = open_stream("e2");
  ASSERT_TRUE(c1 && c2);
  auto s1 = registry_.get("e1");
  ASSERT_TRUE(s1);
  auto t0 = std::chrono::steady_clock::now();
  server_->shutdown(10);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);  // streams do not hold shutdown for the grace period
  EXPECT_TRUE(c1->wait_closed(2000));
  EXPECT_TRUE(c2->wait_closed(2000));
  EXPECT_TRUE(s1->closed());
  EXPECT_FALSE(s1->send({"", "", "too late"}));
  EXPECT_EQ(server_->open_connections(), 0u);
}

TEST_F(SseTest, ProducerThreadsRaceWithWriter) {
  start();
  auto c = open_stream("f");
  ASSERT_TRUE(c);
  auto s = registry_.get("f");
  ASSERT_TRUE(s);
  constexpr int kEvents = 3000;
  std::thread producer([&] {
    for (int i = 0; i < kEvents; ++i) s->send({std::to_string(i), "", std::string(100, 'x')});
    s->close();
  });
  for (int i = 0; i < kEvents; ++i) {
    auto ev = c->read_until("\n\n");
    ASSERT_TRUE(ev) << i;
    ASSERT_EQ(ev->rfind("id: " + std::to_string(i) + "\n", 0), 0u) << *ev;
  }
  producer.join();
  EXPECT_TRUE(c->wait_closed(3000));
}

// 300 streams open at once on ONE I/O thread, each gets its own event, then
// all are closed. Needs ~600 descriptors: raise the soft limit if needed.
TEST_F(SseTest, HundredsOfConcurrentStreamsOnOneIoThread) {
  constexpr int kStreams = 300;
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_cur < 2 * kStreams + 100) {
    lim.rlim_cur = std::min<rlim_t>(lim.rlim_max, 4096);
    setrlimit(RLIMIT_NOFILE, &lim);
    getrlimit(RLIMIT_NOFILE, &lim);
  }
  if (lim.rlim_cur < 2 * kStreams + 100) GTEST_SKIP() << "RLIMIT_NOFILE too low: " << lim.rlim_cur;
  opts_.io_threads = 1;
  opts_.handler_threads = 2;
  start();
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<TestClient>> clients;
  clients.push_back(open_stream("0"));
  ASSERT_TRUE(clients.back());
  const size_t threads_before = thread_count();
  for (int i = 1; i < kStreams; ++i) {
    clients.push_back(open_stream(std::to_string(i)));
    ASSERT_TRUE(clients.back()) << "stream " << i;
  }
  EXPECT_EQ(server_->open_connections(), static_cast<size_t>(kStreams));
  // No thread per connection: the process has the threads it had with one stream.
  EXPECT_EQ(thread_count(), threads_before);
  std::vector<std::shared_ptr<SseStream>> streams;
  for (int i = 0; i < kStreams; ++i) {
    streams.push_back(registry_.get(std::to_string(i)));
    ASSERT_TRUE(streams.back());
    ASSERT_TRUE(streams.back()->send({std::to_string(i), "hello", "for stream " + std::to_string(i)}));
  }
  for (int i = 0; i < kStreams; ++i) {
    auto ev = clients[i]->read_until("\n\n");
    ASSERT_TRUE(ev) << i;
    EXPECT_EQ(*ev, "id: " + std::to_string(i) + "\nevent: hello\ndata: for stream " + std::to_string(i) + "\n\n");
  }
  for (auto& s : streams) s->close();
  for (int i = 0; i < kStreams; ++i) EXPECT_TRUE(clients[i]->wait_closed(3000)) << i;
  EXPECT_TRUE(eventually([&] { return server_->open_connections() == 0; }));
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  std::printf("%d streams opened, fed and closed in %lld ms\n", kStreams, static_cast<long long>(took.count()));
}

}  // namespace
}  // namespace teamvl::server
