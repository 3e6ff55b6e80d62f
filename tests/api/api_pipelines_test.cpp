// Relay pipelines through the real binary with the generated demo model and
// PDFs made here: a three-step relay with a review, shared storage, an
// injected engine fault, timeouts and invalid JSON retried per auto_retry,
// kill -9 in the middle of a run, and who may change what.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <thread>

#include "api_fixture.h"
#include "test_files.h"

namespace teamvl::testing {
namespace {

// Sampled, not greedy: the random-weight demo model's greedy answer to an
// image is often an immediate end of text (an empty output, retried).
Json gen_step(const std::string& name, const std::string& owner, const std::string& prompt, int max_tokens = 4,
              double temperature = 1) {
  return Json{{"name", name}, {"owner", owner}, {"prompt", prompt},
              {"params", {{"max_tokens", max_tokens}, {"temperature", temperature}}}};
}

Json with_format(Json step, const std::string& format) {
  step["output_format"] = format;
  return step;
}

class PipelinesTest : public ApiTest {
 protected:
  // Started by each test (some write config/team_pipeline.yaml first).
  void SetUp() override {}

  void start(const std::string& pipeline_yaml = "") {
    if (!pipeline_yaml.empty()) {
      std::filesystem::create_directories(dir_.path() + "/config");
      std::ofstream(dir_.path() + "/config/team_pipeline.yaml") << pipeline_yaml;
    }
    // Small page images keep the vision encoder quick; the fault hook is on.
    server_ = std::make_unique<ServerProcess>(dir_.path(),
                                              std::vector<std::string>{"--max-body-mb", "1", "--pipeline-page-side", "64"},
                                              std::map<std::string, std::string>{{"TEAMVL_TEST_FAULTS", "1"}});
    ASSERT_TRUE(server_->start()) << server_->log();
    port_ = server_->port();
  }

  int64_t upload_pdf(const Browser& b, int pages, int w, const std::string& name) {
    Response r = http(port_, "POST", "/api/v1/files?name=" + name, make_pdf(pages, w),
                      {{"Cookie", b.cookie}, {"X-CSRF-Token", b.csrf}, {"Content-Type", "application/pdf"}});
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json()["file"].value("id", int64_t{0});
  }

  Json create(const Browser& b, const Json& def) {
    Response r = b.send("POST", "/api/v1/pipelines", def);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json()["pipeline"];
  }

  Json start_run(const Browser& b, int64_t pipeline_id, const std::vector<int64_t>& files) {
    Response r = b.send("POST", "/api/v1/pipelines/" + std::to_string(pipeline_id) + "/runs", {{"file_ids", files}});
    EXPECT_EQ(r.status, 202) << r.body;
    return r.json()["run"];
  }

  // Polls the run until `done(run)` holds; returns the last run seen.
  Json wait_run(const Browser& b, int64_t run_id, const std::function<bool(const Json&)>& done, int timeout_s = 60) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    Json run;
    while (std::chrono::steady_clock::now() < deadline) {
      Browser now = b;
      now.port = port_;
      run = now.get("/api/v1/runs/" + std::to_string(run_id)).json()["run"];
      if (done(run)) return run;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "run " << run_id << " did not get there in time: " << run.dump(2);
    return run;
  }
  static bool ended(const Json& run) {
    std::string s = run.value("state", "");
    return s == "done" || s == "failed" || s == "cancelled";
  }
  static bool all_items(const Json& run, const std::string& state) {
    if (!run.contains("items") || run["items"].empty()) return false;
    for (const auto& it : run["items"])
      if (it["state"] != state) return false;
    return true;
  }

  Response review(const Browser& b, int64_t run_id, int64_t item_id, const Json& body) {
    return b.send("POST", "/api/v1/runs/" + std::to_string(run_id) + "/items/" + std::to_string(item_id) + "/review",
                  body);
  }
  Response shared(const Browser& b, const std::string& path) {
    return b.get("/api/v1/shared/content?path=" + path);
  }
};

TEST_F(PipelinesTest, ThreeStepRelayWithReviewWritesSharedStorage) {
  start();
  Browser admin = setup_admin();
  Browser alice = add_member(admin, "alice");
  Browser bob = add_member(admin, "bob");
  Browser carol = add_member(admin, "carol");
  Browser dave = add_member(admin, "dave");
  Json p = create(alice, {{"name", "manuals"},
                          {"output_format", "html"},
                          {"steps",
                           {with_format(gen_step("describe", "alice", "Describe the key pages {{file}} of {{item}}."), "markdown"),
                            with_format(gen_step("tables", "bob", "Turn the tables into Markdown: {{input}}"), "markdown"),
                            {{"name", "check"}, {"type", "review"}, {"owner", "carol"}}}}});
  int64_t pid = p["id"];
  std::vector<int64_t> files = {upload_pdf(alice, 2, 200, "manual-a.pdf"), upload_pdf(alice, 2, 210, "manual-b.pdf"),
                                upload_pdf(alice, 2, 220, "manual-c.pdf")};
  Json run = start_run(alice, pid, files);
  int64_t rid = run["id"];
  ASSERT_EQ(run["items"].size(), 3u);
  EXPECT_EQ(run["version"], 1);
  // Events until the run ends, read while it runs.
  std::vector<SseEvent> events;
  std::thread reader([&] {
    events = read_sse(port_, "/api/v1/runs/" + std::to_string(rid) + "/events", {{"Cookie", dave.cookie}}, 60);
  });
  struct Joiner {
    std::thread& t;
    ~Joiner() {
      if (t.joinable()) t.join();
    }
  } joiner{reader};

  run = wait_run(alice, rid, [](const Json& r) { return all_items(r, "awaiting_review"); });
  for (const auto& it : run["items"]) {
    const Json& s = it["steps"];
    ASSERT_EQ(s.size(), 3u);
    EXPECT_EQ(s[0]["state"], "done");
    EXPECT_EQ(s[0]["file_ids"].size(), 2u) << "both pages of the PDF go to the describe step";
    std::string out0 = s[0]["output"];
    ASSERT_FALSE(out0.empty());
    EXPECT_NE(s[1]["prompt"].get<std::string>().find(out0), std::string::npos)
        << "step 2's input is step 1's output: " << it.dump(2);
    EXPECT_NE(s[0]["prompt"].get<std::string>().find(it["name"].get<std::string>()), std::string::npos);
    EXPECT_EQ(s[2]["input"], s[1]["output"]) << "the reviewer sees the previous step's result";
    // The describe task ran as alice with the pages attached.
    Json task = alice.get("/api/v1/tasks/" + std::to_string(s[0]["attempts"][0]["task_id"].get<int64_t>())).json()["task"];
    EXPECT_EQ(task["kind"], "pipeline");
    EXPECT_EQ(task["request"]["messages"].back()["file_ids"].size(), 2u) << task.dump();
    EXPECT_EQ(alice.get("/api/v1/tasks/" + std::to_string(s[1]["attempts"][0]["task_id"].get<int64_t>())).status, 404)
        << "the tables task is bob's";
  }
  Json waiting = carol.get("/api/v1/reviews").json()["reviews"];
  EXPECT_EQ(waiting.size(), 3u);
  EXPECT_TRUE(bob.get("/api/v1/reviews").json()["reviews"].empty());

  const Json items = run["items"];
  int64_t i0 = items[0]["id"], i1 = items[1]["id"], i2 = items[2]["id"];
  EXPECT_EQ(review(dave, rid, i0, {{"action", "approve"}}).status, 403) << "dave reviews nothing";
  EXPECT_EQ(review(bob, rid, i0, {{"action", "approve"}}).status, 403) << "bob owns another step";
  EXPECT_EQ(review(carol, rid, i0, {{"action", "send_back"}}).status, 400) << "a send-back needs a comment";
  EXPECT_EQ(review(carol, rid, i0, {{"action", "maybe"}}).status, 400);
  const std::string edited = "EDITED-BY-CAROL | model | length | mm |";
  ASSERT_EQ(review(carol, rid, i0, {{"action", "approve"}, {"text", edited}}).status, 200);
  ASSERT_EQ(review(carol, rid, i1, {{"action", "approve"}}).status, 200);
  EXPECT_EQ(review(carol, rid, i1, {{"action", "approve"}}).status, 409) << "not awaiting review any more";
  ASSERT_EQ(review(carol, rid, i2, {{"action", "send_back"}, {"comment", "check the units"}}).status, 200);

  // Item 3 goes back to bob's step with the comment, then waits again.
  run = wait_run(alice, rid, [&](const Json& r) {
    const Json& it = r["items"][2];
    return it["state"] == "awaiting_review" && it["steps"][1]["attempts"].size() == 2;
  });
  const Json& back = run["items"][2]["steps"];
  EXPECT_NE(back[1]["prompt"].get<std::string>().find("Reviewer's comment: check the units"), std::string::npos);
  EXPECT_EQ(back[2]["reviews"][0]["action"], "send_back");
  ASSERT_EQ(review(carol, rid, i2, {{"action", "approve"}}).status, 200);

  run = wait_run(alice, rid, ended);
  EXPECT_EQ(run["state"], "done") << run.dump(2);
  reader.join();
  std::set<std::string> item_states;
  for (const auto& e : events)
    if (e.event == "item") item_states.insert(Json::parse(e.data)["state"].get<std::string>());
  EXPECT_TRUE(item_states.count("running") && item_states.count("awaiting_review") && item_states.count("done"))
      << "per-item progress is streamed";
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().event, "run");
  EXPECT_EQ(Json::parse(events.back().data)["state"], "done");

  // Shared storage: every member lists and reads it.
  std::string base = "manuals/" + std::to_string(rid);
  Json listing = dave.get("/api/v1/shared?path=" + base + "&recursive=1").json()["entries"];
  std::set<std::string> paths;
  for (const auto& e : listing) paths.insert(e["path"].get<std::string>());
  for (const auto& it : run["items"])
    for (const char* f : {"/describe.md", "/tables.md", "/check.md"})
      EXPECT_TRUE(paths.count(base + "/" + it["folder"].get<std::string>() + f)) << listing.dump(2);
  EXPECT_TRUE(paths.count(base + "/combined.html"));
  EXPECT_EQ(shared(dave, base + "/" + items[0]["folder"].get<std::string>() + "/check.md").body, edited);
  EXPECT_EQ(shared(dave, base + "/" + items[1]["folder"].get<std::string>() + "/check.md").body,
            run["items"][1]["steps"][1]["output"].get<std::string>()) << "an approval passes the text on unchanged";
  Response combined = shared(dave, base + "/combined.html");
  ASSERT_EQ(combined.status, 200);
  EXPECT_NE(combined.body.find("EDITED-BY-CAROL | model | length | mm |"), std::string::npos) << combined.body;
  for (const char* name : {"manual-a.pdf", "manual-b.pdf", "manual-c.pdf"})
    EXPECT_NE(combined.body.find(name), std::string::npos);
  std::printf("--- shared storage of run %lld ---\n", static_cast<long long>(rid));
  for (const auto& p2 : paths) std::printf("%s\n", p2.c_str());
  std::printf("--- combined.html ---\n%s\n", combined.body.c_str());

  // Nothing outside the shared folder is reachable; private files stay private.
  for (const std::string bad : {"../teamvl.db", "/etc/passwd", "manuals/../../teamvl.db", "manuals/..", "a\\b"})
    EXPECT_EQ(dave.get("/api/v1/shared/content?path=" + bad).status, 400) << bad;
  EXPECT_EQ(dave.get("/api/v1/shared?path=..").status, 400);
  EXPECT_EQ(dave.get("/api/v1/shared/content?path=manuals/none.md").status, 404);
  EXPECT_TRUE(dave.get("/api/v1/files").json()["files"].empty());
  EXPECT_EQ(dave.get("/api/v1/files/" + std::to_string(files[0])).status, 404);
}

TEST_F(PipelinesTest, InjectedEngineFaultIsRetriedAndRecorded) {
  start();
  Browser admin = setup_admin();
  Browser alice = add_member(admin, "alice");
  Json p = create(alice, {{"name", "faulty"},
                          {"steps", {gen_step("describe", "alice", "Describe {{item}} [[inject-engine-fault]]")}}});
  Json run = start_run(alice, p["id"], {upload_pdf(alice, 1, 200, "one.pdf")});
  run = wait_run(alice, run["id"], ended);
  ASSERT_EQ(run["state"], "done") << run.dump(2);
  const Json& attempts = run["items"][0]["steps"][0]["attempts"];
  ASSERT_EQ(attempts.size(), 1u) << "the engine retried inside the same task";
  EXPECT_EQ(attempts[0]["state"], "done");
  EXPECT_EQ(attempts[0]["engine_attempts"], 2);
  ASSERT_TRUE(attempts[0].contains("engine_retries")) << attempts.dump();
  EXPECT_NE(attempts[0]["engine_retries"][0].get<std::string>().find("injected"), std::string::npos);
  Json task = alice.get("/api/v1/tasks/" + std::to_string(attempts[0]["task_id"].get<int64_t>())).json()["task"];
  EXPECT_EQ(task["attempts"], 2);
}

TEST_F(PipelinesTest, TeamPipelineYamlAppliesAndTimedOutOrInvalidStepsAreRetried) {
  std::string workspace = dir_.path() + "/team_workspace";
  start("task_timeout: 1\nauto_retry: 1\noutput_format: html\nshared_storage: " + workspace + "\n");
  Browser admin = setup_admin();
  Browser alice = add_member(admin, "alice");
  // A step that cannot finish in a second: timed out, retried once, failed.
  Json slow = create(alice, {{"name", "slow"}, {"steps", {gen_step("long", "alice", "Write", 20000, 0)}}});
  const Json& stored = slow["definition"]["steps"][0];
  EXPECT_EQ(stored["task_timeout"], 1) << "task_timeout comes from config/team_pipeline.yaml";
  EXPECT_EQ(stored["auto_retry"], 1);
  EXPECT_EQ(stored["output_format"], "html");
  // A json step whose answers (random weights) are never JSON: retried, failed.
  Json strict = create(alice, {{"name", "strict"},
                               {"steps", {gen_step("extract", "alice", "Give JSON for {{item}}.", 4)}},
                               {"output_format", "json"},
                               {"task_timeout", 600}});
  int64_t file = upload_pdf(alice, 1, 200, "one.pdf");
  Json r1 = start_run(alice, slow["id"], {file});
  Json r2 = start_run(alice, strict["id"], {file});

  r1 = wait_run(alice, r1["id"], ended);
  EXPECT_EQ(r1["state"], "failed");
  const Json& s1 = r1["items"][0]["steps"][0];
  EXPECT_EQ(s1["state"], "failed");
  ASSERT_EQ(s1["attempts"].size(), 2u) << s1.dump(2);
  std::set<int64_t> tasks;
  for (const auto& a : s1["attempts"]) {
    EXPECT_EQ(a["state"], "timed_out");
    tasks.insert(a["task_id"].get<int64_t>());
    Json t = alice.get("/api/v1/tasks/" + std::to_string(a["task_id"].get<int64_t>())).json()["task"];
    EXPECT_EQ(t["state"], "timed_out");
    EXPECT_EQ(t["timeout_s"], 1);
  }
  EXPECT_EQ(tasks.size(), 2u) << "each attempt is its own task";

  r2 = wait_run(alice, r2["id"], ended);
  EXPECT_EQ(r2["state"], "failed");
  const Json& s2 = r2["items"][0]["steps"][0];
  ASSERT_EQ(s2["attempts"].size(), 2u) << s2.dump(2);
  for (const auto& a : s2["attempts"]) {
    EXPECT_EQ(a["state"], "invalid_output");
    EXPECT_NE(a["error"]["message"].get<std::string>().find("JSON"), std::string::npos);
  }
  // Outputs go to the folder the YAML names.
  EXPECT_TRUE(std::filesystem::exists(workspace + "/strict/" + std::to_string(r2["id"].get<int64_t>()) + "/combined.json"));
  EXPECT_TRUE(std::filesystem::exists(workspace + "/slow/" + std::to_string(r1["id"].get<int64_t>()) + "/combined.html"));
}

TEST_F(PipelinesTest, KillNineMidRunThenTheRunFinishesWithNoItemDoneTwice) {
  start();
  Browser admin = setup_admin();
  Browser alice = add_member(admin, "alice");
  Browser bob = add_member(admin, "bob");
  Json p = create(alice, {{"name", "relay"},
                          {"steps", {gen_step("first", "alice", "Write about {{item}}", 400, 0),
                                     gen_step("second", "bob", "Write: {{input}}", 400, 0)}}});
  std::vector<int64_t> files;
  for (int i = 0; i < 3; ++i) files.push_back(upload_pdf(alice, 1, 200 + i, "doc" + std::to_string(i) + ".pdf"));
  Json run = start_run(alice, p["id"], files);
  int64_t rid = run["id"];
  // Kill while one item is past its first step and another's task is in flight.
  Json before = wait_run(alice, rid, [](const Json& r) {
    bool advanced = false, in_flight = false;
    for (const auto& it : r["items"]) {
      advanced = advanced || it["step_index"].get<int>() >= 1;
      in_flight = in_flight || it["state"] == "running";
    }
    return advanced && in_flight;
  });
  server_->kill9();
  ASSERT_EQ(before["state"], "running") << "the kill must land mid-run: " << before.dump(2);
  ASSERT_TRUE(server_->start()) << server_->log();
  port_ = server_->port();
  alice.port = port_;
  bob.port = port_;
  run = wait_run(alice, rid, ended, 90);
  ASSERT_EQ(run["state"], "done") << run.dump(2);
  EXPECT_NE(server_->log().find("continuing 1 run(s)"), std::string::npos) << "the restart picked the run up";
  // Every step done once; every pipeline task is an attempt the run
  // recorded (none submitted twice for the same attempt).
  std::map<std::string, std::set<int64_t>> attempts;  // owner -> task ids
  for (const auto& it : run["items"])
    for (const auto& s : it["steps"]) {
      EXPECT_EQ(s["state"], "done");
      int done = 0;
      for (const auto& a : s["attempts"]) {
        done += a["state"] == "done";
        EXPECT_TRUE(attempts[s["owner"]].insert(a["task_id"].get<int64_t>()).second) << "a task counted twice";
      }
      EXPECT_EQ(done, 1) << "no step done twice: " << it.dump(2);
    }
  for (const auto& [b, owner] : {std::pair<const Browser*, std::string>{&alice, "alice"}, {&bob, "bob"}}) {
    std::set<int64_t> tasks;
    Response q = b->get("/api/v1/queue?all=1");
    const Json listed = q.json();
    for (const auto& t : listed["tasks"])
      if (t["kind"] == "pipeline") tasks.insert(t["id"].get<int64_t>());
    EXPECT_EQ(tasks, attempts[owner]) << owner << ": " << q.status << " " << q.body;
  }
}

TEST_F(PipelinesTest, PauseStartsNoNewStepAndResumeFinishes) {
  start();
  Browser admin = setup_admin();
  Browser alice = add_member(admin, "alice");
  Json p = create(alice, {{"name", "pausable"},
                          {"steps", {gen_step("first", "alice", "Write about {{item}}", 200, 0),
                                     gen_step("second", "alice", "Write: {{input}}", 4)}}});
  Json run = start_run(alice, p["id"], {upload_pdf(alice, 1, 200, "a.pdf")});
  std::string path = "/api/v1/runs/" + std::to_string(run["id"].get<int64_t>());
  Response paused = alice.send("POST", path + "/pause");
  ASSERT_EQ(paused.status, 200) << paused.body;
  EXPECT_EQ(paused.json()["run"]["state"], "paused");
  EXPECT_EQ(alice.send("POST", path + "/pause").status, 409);
  // A task already in flight finishes; no further step starts.
  run = wait_run(alice, run["id"], [](const Json& r) { return r["items"][0]["state"] == "pending"; });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  run = alice.get(path).json()["run"];
  EXPECT_EQ(run["state"], "paused");
  EXPECT_EQ(run["items"][0]["state"], "pending");
  EXPECT_TRUE(run["items"][0]["steps"][1]["attempts"].empty());
  EXPECT_LE(run["items"][0]["steps"][0]["attempts"].size(), 1u);
  ASSERT_EQ(alice.send("POST", path + "/resume").status, 200);
  run = wait_run(alice, run["id"], ended);
  EXPECT_EQ(run["state"], "done") << run.dump(2);
}

TEST_F(PipelinesTest, OnlyTheOwnerOrAnAdminChangesAPipeline) {
  start();
  Browser admin = setup_admin();
  Browser alice = add_member(admin, "alice");
  Browser bob = add_member(admin, "bob");
  Browser dave = add_member(admin, "dave");
  Browser viewer = add_member(admin, "vera", "viewer");
  Json def = {{"name", "owned"},
              {"steps", {gen_step("a", "alice", "Describe {{item}}."), gen_step("b", "bob", "More: {{input}}")}}};
  Json p = create(alice, def);
  std::string path = "/api/v1/pipelines/" + std::to_string(p["id"].get<int64_t>());
  Json edit = def;
  edit["description"] = "changed";
  EXPECT_EQ(bob.send("PUT", path, edit).status, 403) << "a step owner does not edit the definition";
  EXPECT_EQ(dave.send("PUT", path, edit).status, 403);
  EXPECT_EQ(dave.send("DELETE", path).status, 403);
  EXPECT_EQ(viewer.send("PUT", path, edit).status, 403);
  EXPECT_EQ(dave.get(path).status, 200) << "team members may read it";
  Response v2 = admin.send("PUT", path, edit);
  ASSERT_EQ(v2.status, 200) << v2.body;
  EXPECT_EQ(v2.json()["pipeline"]["version"], 2);
  edit["description"] = "again";
  Response v3 = alice.send("PUT", path, edit);
  ASSERT_EQ(v3.status, 200) << v3.body;
  EXPECT_EQ(v3.json()["pipeline"]["version"], 3);
  EXPECT_EQ(alice.get(path + "/versions").json()["versions"].size(), 3u);
  EXPECT_EQ(alice.get(path + "?version=1").json()["pipeline"]["definition"]["description"], "");
  EXPECT_EQ(alice.get(path).json()["pipeline"]["definition"]["description"], "again");

  // Runs: started by the owner, a step owner or an admin; recorded with their version.
  int64_t dave_file = upload_pdf(dave, 1, 200, "d.pdf");
  EXPECT_EQ(dave.send("POST", path + "/runs", {{"file_ids", {dave_file}}}).status, 403);
  EXPECT_EQ(bob.send("POST", path + "/runs", {{"file_ids", {dave_file}}}).status, 404) << "dave's file is private";
  Json run = start_run(bob, p["id"], {upload_pdf(bob, 1, 200, "b.pdf")});
  EXPECT_EQ(run["version"], 3);
  int64_t rid = run["id"];
  std::string run_path = "/api/v1/runs/" + std::to_string(rid);
  EXPECT_EQ(dave.send("POST", run_path + "/pause").status, 403);
  EXPECT_EQ(dave.send("POST", run_path + "/cancel").status, 403);
  Response cancelled = alice.send("POST", run_path + "/cancel");
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  EXPECT_EQ(cancelled.json()["run"]["state"], "cancelled");
  EXPECT_EQ(alice.send("POST", run_path + "/resume").status, 409) << "a cancelled run stays cancelled";

  // Bad definitions are refused with the field named.
  struct Bad {
    Json body;
    std::string mention;
  };
  std::vector<Bad> bad = {
      {{{"name", "x"}, {"steps", {gen_step("a", "nobody", "hi")}}}, "steps[0].owner"},
      {{{"name", "x"}, {"steps", {gen_step("a", "vera", "hi")}}}, "viewer"},
      {{{"name", "x"}, {"steps", {gen_step("a", "alice", "{{input}}")}}}, "first step"},
      {{{"name", "x"}, {"steps", {gen_step("a", "alice", "{{colour}}")}}}, "{{colour}}"},
      {{{"name", "x"}, {"steps", {gen_step("a", "alice", "hi"), gen_step("a", "bob", "{{input}}")}}}, "used twice"},
      {{{"name", "x"}, {"steps", {{{"name", "r"}, {"type", "review"}, {"owner", "alice"}}}}}, "nothing to review"},
      {{{"name", "../x"}, {"steps", {gen_step("a", "alice", "hi")}}}, "name"},
      {{{"name", "x"}, {"steps", Json::array()}}, "steps"},
      {{{"name", "x"}, {"colour", 1}, {"steps", {gen_step("a", "alice", "hi")}}}, "unknown field 'colour'"},
      {{{"name", "x"}, {"output_format", "pdf"}, {"steps", {gen_step("a", "alice", "hi")}}}, "output_format"},
      {{{"name", "x"}, {"steps", {{{"name", "a"}, {"owner", "alice"}, {"prompt", "hi"}, {"params", {{"top_p", 7}}}}}}},
       "steps[0].params"},
      {{{"name", "owned"}, {"steps", {gen_step("a", "alice", "hi")}}}, "already exists"},
  };
  for (const auto& b : bad) {
    Response r = alice.send("POST", "/api/v1/pipelines", b.body);
    EXPECT_TRUE(r.status == 400 || r.status == 409) << b.body.dump() << " -> " << r.body;
    std::string msg = r.json()["error"]["message"].is_string() ? r.json()["error"]["message"].get<std::string>() : "";
    EXPECT_NE(msg.find(b.mention), std::string::npos) << b.body.dump() << " -> " << msg;
  }
  // YAML works as well as JSON.
  Response yaml = alice.send("POST", "/api/v1/pipelines",
                             {{"yaml", "name: from-yaml\nsteps:\n  - name: a\n    owner: alice\n    prompt: \"Hi {{item}}\"\n"
                                       "    auto_retry: true\n"}});
  ASSERT_EQ(yaml.status, 201) << yaml.body;
  EXPECT_EQ(yaml.json()["pipeline"]["definition"]["steps"][0]["auto_retry"], 2);
  EXPECT_EQ(alice.send("DELETE", path).status, 204);
  EXPECT_EQ(alice.get(path).status, 404);
}

}  // namespace
}  // namespace teamvl::testing

namespace teamvl::testing {
namespace {

// A step whose owner is out of quota waits, and the item says why; when the
// admin raises the quota the run goes on by itself.
TEST_F(PipelinesTest, AStepOverItsOwnersQuotaWaitsAndSaysWhy) {
  start();
  Browser admin = setup_admin();
  Browser bob = add_member(admin, "bob");
  int64_t bob_id = 0;
  const Json users = admin.get("/api/v1/admin/users").json();  // held: see the directory test
  for (const auto& u : users["users"])
    if (u["username"] == "bob") bob_id = u["id"];
  ASSERT_GT(bob_id, 0) << users.dump();
  const std::string quota_path = "/api/v1/admin/users/" + std::to_string(bob_id) + "/quota";
  ASSERT_EQ(admin.send("PUT", quota_path, {{"inferences_per_day", 1}}).status, 200);
  Response used = bob.send("POST", "/api/v1/tasks", Json{{"prompt", "hi"}, {"params", {{"max_tokens", 1}}}});
  ASSERT_EQ(used.status, 202) << used.body;
  wait_done(bob, used.json()["task"]["id"].get<int64_t>());

  Json p = create(admin, {{"name", "quota"}, {"steps", {gen_step("describe", "bob", "Describe {{file}}.")}}});
  Json run = start_run(admin, p["id"], {upload_pdf(admin, 1, 200, "q.pdf")});
  const int64_t rid = run["id"];
  run = wait_run(admin, rid, [](const Json& r) {
    return !r["items"].empty() && r["items"][0]["steps"][0].contains("waiting");
  });
  const std::string why = run["items"][0]["steps"][0].value("waiting", "");
  EXPECT_NE(why.find("bob"), std::string::npos) << why;
  EXPECT_NE(why.find("quota"), std::string::npos) << why;
  EXPECT_EQ(run["items"][0]["state"], "pending");

  ASSERT_EQ(admin.send("PUT", quota_path, {{"inferences_per_day", 10}}).status, 200);
  run = wait_run(admin, rid, ended);
  EXPECT_EQ(run["state"], "done") << run.dump(2);
  EXPECT_FALSE(run["items"][0]["steps"][0].contains("waiting"));
}

}  // namespace
}  // namespace teamvl::testing
