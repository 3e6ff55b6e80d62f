// Sharing: tasks through the real binary with the generated demo model —
// streaming, ownership, quotas, memory budgets, cancel, restart safety and
// the OpenAI-compatible endpoint.
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "api_fixture.h"

namespace teamvl::testing {
namespace {

class TasksTest : public ApiTest {
 protected:
  Json task_body(const std::string& prompt, int max_tokens) {
    return Json{{"prompt", prompt}, {"params", {{"max_tokens", max_tokens}, {"temperature", 0}}}};
  }
};

TEST_F(TasksTest, ATaskStreamsItsTokensAndIsStoredWhenDone) {
  Browser admin = setup_admin();
  Response r = admin.send("POST", "/api/v1/tasks", task_body("Describe the picture.", 12));
  ASSERT_EQ(r.status, 202) << r.body;
  int64_t id = r.json()["task"]["id"];
  auto events = read_sse(port_, "/api/v1/tasks/" + std::to_string(id) + "/events", {{"Cookie", admin.cookie}});
  ASSERT_FALSE(events.empty());
  std::string text;
  std::set<std::string> kinds;
  int64_t last_id = 0;
  for (const auto& e : events) {
    kinds.insert(e.event);
    int64_t eid = std::stoll(e.id);
    EXPECT_EQ(eid, last_id + 1) << "event ids are consecutive";
    last_id = eid;
    if (e.event == "token") text += Json::parse(e.data)["text"].get<std::string>();
  }
  EXPECT_TRUE(kinds.count("queued"));
  EXPECT_TRUE(kinds.count("started"));
  EXPECT_TRUE(kinds.count("token"));
  ASSERT_EQ(events.back().event, "done");
  Json done = Json::parse(events.back().data);
  EXPECT_EQ(done["state"], "done");
  EXPECT_EQ(done["text"], text);
  EXPECT_GT(done["usage"]["completion_tokens"].get<int>(), 0);

  Json t = admin.get("/api/v1/tasks/" + std::to_string(id)).json()["task"];
  EXPECT_EQ(t["state"], "done");
  EXPECT_EQ(t["result_text"], text);

  // A reconnect with Last-Event-ID gets exactly what came after it.
  auto replay = read_sse(port_, "/api/v1/tasks/" + std::to_string(id) + "/events",
                         {{"Cookie", admin.cookie}, {"Last-Event-ID", std::to_string(last_id - 1)}});
  ASSERT_EQ(replay.size(), 1u);
  EXPECT_EQ(replay[0].event, "done");

  // Usage was recorded.
  Json usage = admin.get("/api/v1/usage").json()["today"];
  EXPECT_EQ(usage["inferences"], 1);
  EXPECT_GT(usage["output_tokens"].get<int>(), 0);
}

TEST_F(TasksTest, MembersCannotSeeCancelOrStreamEachOthersTasks) {
  Browser admin = setup_admin();
  Browser alice = add_member(admin, "alice");
  Browser bob = add_member(admin, "bob");
  Response r = alice.send("POST", "/api/v1/tasks", task_body("secret plans", 4));
  ASSERT_EQ(r.status, 202) << r.body;
  std::string path = "/api/v1/tasks/" + std::to_string(r.json()["task"]["id"].get<int64_t>());
  EXPECT_EQ(bob.get(path).status, 404);
  EXPECT_EQ(bob.send("DELETE", path).status, 404);
  int status = 0;
  read_sse(port_, path + "/events", {{"Cookie", bob.cookie}}, 10, &status);
  EXPECT_EQ(status, 404);
  EXPECT_EQ(alice.get(path).status, 200);
  // The team view shows the task without its content by default.
  Json team = bob.get("/api/v1/queue/team").json();
  EXPECT_EQ(team["content_visible"], false);
  EXPECT_EQ(team.dump().find("secret plans"), std::string::npos);
}

TEST_F(TasksTest, OverQuotaGets429WithLimitUsedAndReset) {
  Browser admin = setup_admin();
  Browser carol = add_member(admin, "carol");
  int64_t carol_id = admin.get("/api/v1/admin/users").json()["users"][1]["id"];
  ASSERT_EQ(admin.send("PUT", "/api/v1/admin/users/" + std::to_string(carol_id) + "/quota",
                       {{"inferences_per_day", 1}}).status, 200);
  Response first = carol.send("POST", "/api/v1/tasks", task_body("one", 2));
  ASSERT_EQ(first.status, 202) << first.body;
  Response second = carol.send("POST", "/api/v1/tasks", task_body("two", 2));
  ASSERT_EQ(second.status, 429) << second.body;
  Json e = second.json()["error"];
  EXPECT_EQ(e["code"], "quota_exceeded");
  EXPECT_EQ(e["quota"], "inferences_per_day");
  EXPECT_EQ(e["limit"], 1);
  EXPECT_EQ(e["used"], 1);
  EXPECT_TRUE(e["resets_at"].is_number());
  EXPECT_FALSE(e["message"].get<std::string>().empty());
  EXPECT_FALSE(second.headers["retry-after"].empty());
}

TEST_F(TasksTest, ARequestThatCanNeverFitTheMemoryBudgetIsRefusedWithNumbers) {
  Browser admin = setup_admin();
  Browser dan = add_member(admin, "dan");
  int64_t dan_id = admin.get("/api/v1/admin/users").json()["users"][1]["id"];
  ASSERT_EQ(admin.send("PUT", "/api/v1/admin/users/" + std::to_string(dan_id) + "/quota",
                       {{"memory_budget_gib", 0.01}}).status, 200);
  Response r = dan.send("POST", "/api/v1/tasks", task_body("long answer please", 30000));
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_NE(r.json()["error"]["message"].get<std::string>().find("budget"), std::string::npos) << r.body;
  EXPECT_EQ(dan.get("/api/v1/queue?all=1").json()["tasks"].size(), 0u) << "a refused task is not stored";
}

TEST_F(TasksTest, CancelEndsARunningTask) {
  Browser admin = setup_admin();
  Response r = admin.send("POST", "/api/v1/tasks", task_body("go on forever", 4000));
  ASSERT_EQ(r.status, 202) << r.body;
  int64_t id = r.json()["task"]["id"];
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  Response c = admin.send("DELETE", "/api/v1/tasks/" + std::to_string(id));
  ASSERT_EQ(c.status, 200) << c.body;
  EXPECT_EQ(c.json()["task"]["state"], "cancelled");
  // Its KV memory is free as soon as the cancel returns.
  Json res = with_key(port_, create_key(admin, "mon"), "GET", "/api/v1/resources").json();
  EXPECT_EQ(res["running_tasks"], 0) << res.dump();
  for (const auto& [member, gib] : res["memory_allocated"].items()) EXPECT_EQ(gib.get<double>(), 0.0) << member;
  EXPECT_EQ(admin.send("DELETE", "/api/v1/tasks/" + std::to_string(id)).status, 409);
}

TEST_F(TasksTest, OpenAiChatCompletionsStreamingAndNot) {
  Browser admin = setup_admin();
  std::string key = create_key(admin, "sdk");
  Json body{{"model", "anything"},
            {"messages", {{{"role", "system"}, {"content", "Be brief."}}, {{"role", "user"}, {"content", "Hi"}}}},
            {"max_tokens", 6},
            {"temperature", 0}};
  Response r = with_key(port_, key, "POST", "/v1/chat/completions", body);
  ASSERT_EQ(r.status, 200) << r.body;
  Json j = r.json();
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["choices"][0]["message"]["role"], "assistant");
  EXPECT_TRUE(j["choices"][0]["message"]["content"].is_string());
  EXPECT_TRUE(j["choices"][0]["finish_reason"] == "stop" || j["choices"][0]["finish_reason"] == "length");
  EXPECT_GT(j["usage"]["prompt_tokens"].get<int>(), 0);
  EXPECT_EQ(j["usage"]["total_tokens"].get<int>(),
            j["usage"]["prompt_tokens"].get<int>() + j["usage"]["completion_tokens"].get<int>());

  body["stream"] = true;
  int status = 0;
  auto events = read_sse(port_, "/v1/chat/completions", {{"Authorization", "Bearer " + key}}, 60, &status, "POST",
                         body.dump());
  EXPECT_EQ(status, 200);
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events.back().data, "[DONE]");
  std::string text;
  std::string finish;
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    Json c = Json::parse(events[i].data, nullptr, false);
    ASSERT_TRUE(c.is_object()) << events[i].data;
    EXPECT_EQ(c["object"], "chat.completion.chunk");
    EXPECT_EQ(c["id"], events[0].data.empty() ? "" : Json::parse(events[0].data)["id"]);
    const Json& choice = c["choices"][0];
    if (choice["delta"].contains("content")) text += choice["delta"]["content"].get<std::string>();
    if (!choice["finish_reason"].is_null()) finish = choice["finish_reason"];
  }
  EXPECT_FALSE(finish.empty());
  EXPECT_EQ(text, j["choices"][0]["message"]["content"]) << "greedy: the same answer streamed and not";

  Response bad = with_key(port_, key, "POST", "/v1/chat/completions", Json{{"messages", "hi"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(http(port_, "POST", "/v1/chat/completions", body.dump()).status, 401);
}

TEST_F(TasksTest, KillNineWithTasksQueuedAndRunningLosesAndDuplicatesNothing) {
  Browser admin = setup_admin();
  std::string key = create_key(admin, "batch");
  std::vector<int64_t> ids;
  for (int i = 0; i < 6; ++i) {
    Response r = with_key(port_, key, "POST", "/api/v1/tasks", task_body("item " + std::to_string(i), 48));
    ASSERT_EQ(r.status, 202) << r.body;
    ids.push_back(r.json()["task"]["id"]);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  server_->kill9();
  ASSERT_TRUE(server_->start()) << server_->log();
  port_ = server_->port();
  Browser again = login(port_, "admin@team.example", kAdminPassword);
  for (int64_t id : ids) {
    Json t = wait_done(again, id);
    EXPECT_EQ(t.value("state", ""), "done") << t.dump();
  }
  Json all = again.get("/api/v1/queue?all=1").json()["tasks"];
  EXPECT_EQ(all.size(), ids.size()) << "no task added or lost";
  EXPECT_EQ(again.get("/api/v1/usage").json()["today"]["inferences"], 6) << "each task counted once";
}

}  // namespace
}  // namespace teamvl::testing

namespace teamvl::testing {
namespace {

// The admin's model settings: generation defaults every task starts from;
// a request's own params win, and bad defaults are refused naming the field.
TEST_F(TasksTest, TeamModelDefaultsApplyUnlessTheRequestSetsItsOwn) {
  Browser admin = setup_admin();
  Browser erin = add_member(admin, "erin");
  Response bad = admin.send("PATCH", "/api/v1/admin/settings", {{"model_defaults", {{"top_p", 3}}}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("top_p"), std::string::npos) << bad.body;
  EXPECT_EQ(erin.send("PATCH", "/api/v1/admin/settings", {{"model_defaults", {{"max_tokens", 3}}}}).status, 403);
  Response ok = admin.send("PATCH", "/api/v1/admin/settings",
                           {{"model_defaults", {{"max_tokens", 3}, {"temperature", 0}, {"system_prompt", "Be brief."}}}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.json()["settings"]["model_defaults"]["max_tokens"], 3);

  Response r = erin.send("POST", "/api/v1/tasks", Json{{"prompt", "hello"}});
  ASSERT_EQ(r.status, 202) << r.body;
  Json t = wait_done(erin, r.json()["task"]["id"].get<int64_t>());
  const Json req = t["request"];
  EXPECT_EQ(req["params"]["max_tokens"], 3);
  EXPECT_EQ(req["messages"][0]["role"], "system");
  EXPECT_EQ(req["messages"][0]["content"], "Be brief.");
  EXPECT_LE(t["output_tokens"].get<int>(), 3);

  Response own = erin.send("POST", "/api/v1/tasks",
                           Json{{"messages", Json::array({Json{{"role", "system"}, {"content", "Mine."}},
                                                          Json{{"role", "user"}, {"content", "hi"}}})},
                                {"params", {{"max_tokens", 5}}}});
  ASSERT_EQ(own.status, 202) << own.body;
  Json t2 = wait_done(erin, own.json()["task"]["id"].get<int64_t>());
  EXPECT_EQ(t2["request"]["params"]["max_tokens"], 5);
  EXPECT_EQ(t2["request"]["messages"].size(), 2u) << "a request with its own system message keeps it alone";
  EXPECT_EQ(t2["request"]["messages"][0]["content"], "Mine.");
}

}  // namespace
}  // namespace teamvl::testing
