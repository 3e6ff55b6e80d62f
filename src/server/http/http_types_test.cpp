#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "server/http/http.h"

namespace teamvl::server {
namespace {

HttpRequest make_request(std::string method, std::string target) {
  HttpRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.path = r.target.substr(0, r.target.find('?'));
  return r;
}

// Answers "<route name> k=v k=v" so that tests see which route ran with which params.
Handler named(std::string name) {
  return [name](HttpRequest& req) {
    std::string out = name;
    for (const auto& [k, v] : req.params) out += " " + k + "=" + v;
    return HttpResponse::text(200, out);
  };
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.add("GET", "/api/v1/users", named("list"));
    router_.add("POST", "/api/v1/users", named("create"));
    router_.add("GET", "/api/v1/users/{id}", named("get"));
    router_.add("GET", "/api/v1/users/me", named("me"));
    router_.add("DELETE", "/api/v1/users/{id}", named("delete"));
    router_.add("GET", "/api/v1/users/{id}/keys/{key}", named("key"));
    router_.add("GET", "/api/v1/{kind}/me", named("kind-me"));
    router_.add("GET", "/boom", [](HttpRequest&) -> HttpResponse { throw std::runtime_error("kaput"); });
    router_.add("GET", "/boom2", [](HttpRequest&) -> HttpResponse { throw 42; });
  }
  HttpResponse run(std::string method, std::string target) {
    HttpRequest req = make_request(std::move(method), std::move(target));
    return router_.dispatch(req);
  }
  Router router_;
};

TEST_F(RouterTest, MatchesRoutesAndParams) {
  struct Case {
    const char* method;
    const char* target;
    int status;
    const char* body;
  } cases[] = {
      {"GET", "/api/v1/users", 200, "list"},
      {"GET", "/api/v1/users/", 200, "list"},
      {"POST", "/api/v1/users", 200, "create"},
      {"GET", "/api/v1/users/42", 200, "get id=42"},
      {"GET", "/api/v1/users/me", 200, "me"},  // literal beats {id}
      {"DELETE", "/api/v1/users/me", 200, "delete id=me"},
      {"GET", "/api/v1/users/7/keys/k1", 200, "key id=7 key=k1"},
      {"GET", "/api/v1/users/a%2Fb", 200, "get id=a/b"},  // decoded within its segment
      {"GET", "/api/v1/users/x%20y?q=1", 200, "get id=x y"},
      {"GET", "/api/v1/teams/me", 200, "kind-me kind=teams"},
      {"HEAD", "/api/v1/users/5", 200, "get id=5"},  // HEAD uses the GET route
  };
  for (const auto& c : cases) {
    HttpResponse r = run(c.method, c.target);
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.target;
    EXPECT_EQ(r.body, c.body) << c.method << " " << c.target;
  }
}

TEST_F(RouterTest, UnknownPathIs404Json) {
  for (const char* target : {"/nope", "/api/v1/users/1/2", "/api/v1/users/1/keys", "/"}) {
    HttpResponse r = run("GET", target);
    EXPECT_EQ(r.status, 404) << target;
    auto j = nlohmann::json::parse(r.body);
    EXPECT_EQ(j["error"]["code"], "not_found");
    EXPECT_TRUE(j["error"]["message"].is_string());
  }
}

TEST_F(RouterTest, WrongMethodIs405WithAllow) {
  HttpResponse r = run("PUT", "/api/v1/users/42");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["code"], "method_not_allowed");
  std::string allow;
  for (const auto& [k, v] : r.headers) {
    if (k == "Allow") allow = v;
  }
  EXPECT_EQ(allow, "DELETE, GET, HEAD");
  r = run("DELETE", "/api/v1/users");
  EXPECT_EQ(r.status, 405);
}

TEST_F(RouterTest, ThrowingHandlerGives500) {
  for (const char* target : {"/boom", "/boom2"}) {
    HttpResponse r = run("GET", target);
    EXPECT_EQ(r.status, 500);
    auto j = nlohmann::json::parse(r.body);
    EXPECT_EQ(j["error"]["code"], "internal");
    EXPECT_EQ(r.body.find("kaput"), std::string::npos) << "exception text must not leak";
  }
  EXPECT_EQ(run("GET", "/api/v1/users").status, 200);
}

TEST_F(RouterTest, BadEscapeIs400AndMatchesPath) {
  EXPECT_EQ(run("GET", "/api/v1/users/%zz").status, 400);
  EXPECT_TRUE(router_.matches_path(make_request("PATCH", "/api/v1/users/9")));
  EXPECT_FALSE(router_.matches_path(make_request("GET", "/index.html")));
  EXPECT_FALSE(router_.matches_path(make_request("GET", "/api/v1/users/%zz")));
}

TEST_F(RouterTest, HandBuiltRequestWithoutTarget) {
  HttpRequest req;
  req.method = "GET";
  req.path = "/api/v1/users/100%";
  HttpResponse r = router_.dispatch(req);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "get id=100%");
}

TEST(HttpRequest, HeaderAndCookieLookup) {
  HttpRequest r;
  r.headers = {{"Content-Type", "application/json"},
               {"Cookie", "theme=dark; sid=abc"},
               {"cookie", "later=1"},
               {"X-Dup", "first"},
               {"x-dup", "second"}};
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(r.header("X-DUP"), "first");
  EXPECT_FALSE(r.header("Accept").has_value());
  EXPECT_EQ(r.cookie("sid"), "abc");
  EXPECT_EQ(r.cookie("later"), "1");
  EXPECT_FALSE(r.cookie("none").has_value());
}

TEST(HttpResponse, Builders) {
  HttpResponse j = HttpResponse::json(201, "{\"a\":1}");
  EXPECT_EQ(j.status, 201);
  ASSERT_EQ(j.headers.size(), 1u);
  EXPECT_EQ(j.headers[0].second, "application/json");
  HttpResponse e = HttpResponse::error(429, "resource_exhausted", "slow \"down\"\n");
  auto parsed = nlohmann::json::parse(e.body);
  EXPECT_EQ(parsed["error"]["code"], "resource_exhausted");
  EXPECT_EQ(parsed["error"]["message"], "slow \"down\"\n");
  HttpResponse t = HttpResponse::text(200, "hi").with_header("X-A", "1");
  EXPECT_EQ(t.headers.back(), (std::pair<std::string, std::string>{"X-A", "1"}));
}

TEST(HttpResponse, FromStatusTable) {
  struct Case {
    Status status;
    int http;
    const char* code;
  } cases[] = {
      {Status::InvalidArgument("x"), 400, "invalid_argument"},
      {Status::Unauthenticated("x"), 401, "unauthenticated"},
      {Status::PermissionDenied("x"), 403, "permission_denied"},
      {Status::NotFound("x"), 404, "not_found"},
      {Status::AlreadyExists("x"), 409, "already_exists"},
      {Status::FailedPrecondition("x"), 409, "failed_precondition"},
      {Status::ResourceExhausted("x"), 429, "resource_exhausted"},
      {Status::TooLarge("x"), 413, "too_large"},
      {Status::DeadlineExceeded("x"), 504, "deadline_exceeded"},
      {Status::Unavailable("x"), 503, "unavailable"},
      {Status::Internal("x"), 500, "internal"},
  };
  for (const auto& c : cases) {
    HttpResponse r = HttpResponse::from_status(c.status);
    EXPECT_EQ(r.status, c.http) << c.code;
    auto j = nlohmann::json::parse(r.body);
    EXPECT_EQ(j["error"]["code"], c.code);
    EXPECT_EQ(j["error"]["message"], "x");
  }
}

TEST(SseStream, QueueTakeClose) {
  SseStream s;
  EXPECT_TRUE(s.send({"1", "", "a"}));
  EXPECT_TRUE(s.send({"2", "e", "b"}));
  bool done = true;
  auto got = s.take(&done);
  EXPECT_FALSE(done);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].id, "1");
  EXPECT_EQ(got[1].event, "e");
  EXPECT_TRUE(s.take(&done).empty());
  EXPECT_TRUE(s.send({"", "", "c"}));
  s.close();
  EXPECT_TRUE(s.closed());
  EXPECT_FALSE(s.client_gone());
  EXPECT_FALSE(s.send({"", "", "late"}));
  got = s.take(&done);
  EXPECT_TRUE(done);
  ASSERT_EQ(got.size(), 1u);  // what was queued before close() still goes out
  EXPECT_EQ(got[0].data, "c");
}

TEST(SseStream, NotifyAndClientGone) {
  SseStream s;
  std::atomic<int> notified{0};
  s.set_notify([&] { ++notified; });
  s.send({"", "", "a"});
  s.send({"", "", "b"});
  EXPECT_EQ(notified.load(), 2);
  s.mark_client_gone();
  EXPECT_TRUE(s.client_gone());
  EXPECT_TRUE(s.closed());
  EXPECT_FALSE(s.send({"", "", "c"}));
  bool done = false;
  EXPECT_TRUE(s.take(&done).empty());  // dropped: nobody will read them
  EXPECT_TRUE(done);
  s.set_notify(nullptr);
  int before = notified.load();
  s.close();
  EXPECT_EQ(notified.load(), before);
}

TEST(SseStream, ConcurrentProducersKeepPerProducerOrder) {
  SseStream s;
  constexpr int kPerThread = 2000;
  std::vector<std::thread> producers;
  for (int t = 0; t < 4; ++t) {
    producers.emplace_back([&s, t] {
      for (int i = 0; i < kPerThread; ++i) s.send({std::to_string(t), "", std::to_string(i)});
    });
  }
  std::vector<int> next(4, 0);
  int total = 0;
  bool done = false;
  while (total < 4 * kPerThread) {
    for (auto& e : s.take(&done)) {
      int t = std::stoi(e.id);
      EXPECT_EQ(std::stoi(e.data), next[t]);
      next[t]++;
      total++;
    }
  }
  for (auto& p : producers) p.join();
  EXPECT_EQ(total, 4 * kPerThread);
}

}  // namespace
}  // namespace teamvl::server
