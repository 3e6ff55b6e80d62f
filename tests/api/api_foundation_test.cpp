// Foundation API: setup, sign-in, roles, API keys, quotas, restart safety and
// bad input, all against the real binary.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "api_fixture.h"

namespace teamvl::testing {
namespace {

TEST_F(ApiTest, SetupNeedsTheLoggedTokenAndThenClosesForGood) {
  ASSERT_FALSE(server_->setup_token().empty()) << "the log must show the one-time setup token";
  EXPECT_EQ(http(port_, "GET", "/api/v1/setup").json()["setup_required"], true);

  Response wrong = http(port_, "POST", "/api/v1/setup",
                        Json{{"token", "0000"}, {"username", "mallory"}, {"password", "mallory-pass"}}.dump());
  EXPECT_EQ(wrong.status, 403);
  EXPECT_EQ(wrong.error_code(), "invalid_setup_token");

  Response weak = http(port_, "POST", "/api/v1/setup",
                       Json{{"token", server_->setup_token()}, {"username", "a"}, {"password", "short"}}.dump());
  EXPECT_EQ(weak.status, 400);

  setup_admin();
  EXPECT_EQ(http(port_, "GET", "/api/v1/setup").json()["setup_required"], false);
  Response again = http(port_, "POST", "/api/v1/setup",
                        Json{{"token", server_->setup_token()}, {"username", "x"}, {"password", "another-pass"}}.dump());
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.error_code(), "setup_closed");

  // Still closed after a restart, and no new token is printed.
  EXPECT_EQ(server_->stop(), 0);
  ASSERT_TRUE(server_->start());
  EXPECT_EQ(server_->setup_token(), "");
  Response after = http(server_->port(), "POST", "/api/v1/setup",
                        Json{{"token", "anything"}, {"username", "x"}, {"password", "another-pass"}}.dump());
  EXPECT_EQ(after.status, 409);
}

TEST_F(ApiTest, LoginSetsAStrictHttpOnlyCookieAndWrongPasswordFails) {
  setup_admin();
  Response bad;
  Browser none = login(port_, "admin@team.example", "wrong-password", &bad);
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(bad.error_code(), "invalid_credentials");
  Response ok;
  Browser b = login(port_, "admin@team.example", kAdminPassword, &ok);
  std::string cookie = ok.headers["set-cookie"];
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  Response me = b.get("/api/v1/auth/me");
  EXPECT_EQ(me.status, 200);
  EXPECT_EQ(me.json()["user"]["role"], "admin");
  // Logout ends the session.
  EXPECT_EQ(b.send("POST", "/api/v1/auth/logout").status, 204);
  EXPECT_EQ(b.get("/api/v1/auth/me").status, 401);
}

TEST_F(ApiTest, CookieRequestsThatChangeStateNeedTheCsrfToken) {
  Browser admin = setup_admin();
  Response r = http(port_, "POST", "/api/v1/keys", Json{{"name", "k"}}.dump(), {{"Cookie", admin.cookie}});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(admin.send("POST", "/api/v1/keys", {{"name", "k"}}).status, 201);
}

TEST_F(ApiTest, RepeatedFailedLoginsAreThrottled) {
  setup_admin();
  Response r;
  for (int i = 0; i < 5; ++i) login(port_, "admin@team.example", "nope-nope", &r);
  login(port_, "admin@team.example", kAdminPassword, &r);
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_FALSE(r.headers["retry-after"].empty());
}

TEST_F(ApiTest, MembersGet403OnAdminRoutesAnd404OnOthersObjects) {
  Browser admin = setup_admin();
  Browser alice = add_member(admin, "alice@team.example");
  Browser bob = add_member(admin, "bob@team.example");

  for (const char* path : {"/api/v1/admin/users", "/api/v1/admin/audit", "/api/v1/admin/keys", "/api/v1/resources"}) {
    Response r = alice.get(path);
    EXPECT_EQ(r.status, 403) << path;
    EXPECT_EQ(r.error_code(), "permission_denied") << path;
  }
  EXPECT_EQ(alice.send("POST", "/api/v1/admin/users", {{"username", "eve"}}).status, 403);

  Response created = bob.send("POST", "/api/v1/keys", {{"name", "bob's key"}});
  ASSERT_EQ(created.status, 201);
  int64_t bob_key = created.json()["key"]["id"];
  std::string path = "/api/v1/keys/" + std::to_string(bob_key);
  EXPECT_EQ(alice.send("DELETE", path).status, 404);
  EXPECT_EQ(alice.send("POST", path + "/rotate").status, 404);
  EXPECT_TRUE(alice.get("/api/v1/keys").json()["keys"].empty());
  EXPECT_EQ(bob.get("/api/v1/keys").json()["keys"].size(), 1u);
}

TEST_F(ApiTest, TemporaryPasswordMustBeChangedFirst) {
  Browser admin = setup_admin();
  Response r = admin.send("POST", "/api/v1/admin/users", {{"username", "carol"}, {"role", "member"}});
  ASSERT_EQ(r.status, 201);
  std::string temp = r.json()["temporary_password"];
  Browser carol = login(port_, "carol", temp);
  Response blocked = carol.get("/api/v1/keys");
  EXPECT_EQ(blocked.status, 403);
  EXPECT_EQ(blocked.error_code(), "password_change_required");
  EXPECT_EQ(carol.get("/api/v1/auth/me").json()["user"]["must_change_password"], true);
  EXPECT_EQ(carol.send("POST", "/api/v1/auth/password", {{"current_password", temp}, {"new_password", "carols-new-pw"}}).status, 204);
  EXPECT_EQ(carol.get("/api/v1/keys").status, 200);
}

TEST_F(ApiTest, ApiKeysWorkRevokedFailRotatedOldWorksUntilGraceEnds) {
  Browser admin = setup_admin();
  std::string key = create_key(admin, "ci");
  ASSERT_EQ(key.rfind("tvl_", 0), 0u);
  EXPECT_EQ(with_key(port_, key, "GET", "/api/v1/resources").status, 200);
  EXPECT_EQ(with_key(port_, key, "GET", "/api/v1/auth/me").json()["auth"], "api_key");
  EXPECT_EQ(with_key(port_, key + "x", "GET", "/api/v1/auth/me").status, 401);
  EXPECT_EQ(with_key(port_, "tvl_000000000000_" + std::string(48, '0'), "GET", "/api/v1/auth/me").status, 401);

  // The list shows prefix, call count and last use, never the secret.
  Json keys = admin.get("/api/v1/keys").json()["keys"];
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0]["call_count"], 2);
  EXPECT_FALSE(keys[0]["last_used_at"].is_null());
  EXPECT_EQ(keys[0].dump().find(key.substr(17)), std::string::npos);

  // Revoke.
  int64_t id = keys[0]["id"];
  EXPECT_EQ(admin.send("DELETE", "/api/v1/keys/" + std::to_string(id)).status, 200);
  Response revoked = with_key(port_, key, "GET", "/api/v1/auth/me");
  EXPECT_EQ(revoked.status, 401);
  EXPECT_EQ(revoked.error_code(), "unauthenticated");

  // Rotate with a 2 s grace period: both work, then only the new one.
  std::string old_key = create_key(admin, "rotating");
  int64_t old_id = admin.get("/api/v1/keys").json()["keys"][0]["id"];
  Response rot = admin.send("POST", "/api/v1/keys/" + std::to_string(old_id) + "/rotate", {{"grace_seconds", 2}});
  ASSERT_EQ(rot.status, 201) << rot.body;
  std::string new_key = rot.json()["secret"];
  EXPECT_NE(new_key, old_key);
  EXPECT_EQ(with_key(port_, old_key, "GET", "/api/v1/auth/me").status, 200);
  EXPECT_EQ(with_key(port_, new_key, "GET", "/api/v1/auth/me").status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(3100));
  EXPECT_EQ(with_key(port_, old_key, "GET", "/api/v1/auth/me").status, 401);
  EXPECT_EQ(with_key(port_, new_key, "GET", "/api/v1/auth/me").status, 200);
}

TEST_F(ApiTest, AdminManagesMembersAndEveryActionIsAudited) {
  Browser admin = setup_admin();
  Browser dave = add_member(admin, "dave");
  Json users = admin.get("/api/v1/admin/users").json()["users"];
  ASSERT_EQ(users.size(), 2u);
  int64_t dave_id = users[1]["id"];
  int64_t admin_id = users[0]["id"];
  std::string dave_path = "/api/v1/admin/users/" + std::to_string(dave_id);

  EXPECT_EQ(admin.send("POST", "/api/v1/admin/users", {{"username", "dave"}}).status, 409);
  EXPECT_EQ(admin.send("PATCH", dave_path, {{"role", "viewer"}}).json()["user"]["role"], "viewer");
  EXPECT_EQ(admin.send("PATCH", dave_path, {{"role", "king"}}).status, 400);
  // The last admin cannot be demoted or delete themselves.
  Response demote = admin.send("PATCH", "/api/v1/admin/users/" + std::to_string(admin_id), {{"role", "member"}});
  EXPECT_EQ(demote.status, 409) << demote.body;
  // Disabling signs the member out everywhere.
  EXPECT_EQ(admin.send("PATCH", dave_path, {{"disabled", true}}).status, 200);
  EXPECT_EQ(dave.get("/api/v1/auth/me").status, 401);
  Response disabled_login;
  login(port_, "dave", "dave-pw-123", &disabled_login);
  EXPECT_EQ(disabled_login.status, 403);

  Response team = admin.send("PATCH", "/api/v1/admin/settings", {{"show_content_in_team_view", true}});
  EXPECT_EQ(team.status, 200) << team.body;
  EXPECT_EQ(team.json()["settings"]["show_content_in_team_view"], true);
  EXPECT_EQ(admin.send("PATCH", "/api/v1/admin/settings", {{"colour", "red"}}).status, 400);

  EXPECT_EQ(admin.send("DELETE", dave_path).status, 204);
  EXPECT_EQ(admin.get(dave_path).status, 404);

  Json audit = admin.get("/api/v1/admin/audit?limit=50").json()["entries"];
  std::vector<std::string> actions;
  for (const auto& e : audit) actions.push_back(e["action"]);
  for (const char* want : {"setup.complete", "user.create", "user.update", "team_settings.update", "user.delete"})
    EXPECT_NE(std::find(actions.begin(), actions.end(), want), actions.end()) << want;
  EXPECT_EQ(audit[0]["actor"], "admin@team.example");
  EXPECT_EQ(audit[0]["client_addr"], "127.0.0.1");
}

TEST_F(ApiTest, QuotasAndMembersSurviveARestart) {
  Browser admin = setup_admin();
  add_member(admin, "erin");
  int64_t erin = admin.get("/api/v1/admin/users").json()["users"][1]["id"];
  std::string qpath = "/api/v1/admin/users/" + std::to_string(erin) + "/quota";
  Response set = admin.send("PUT", qpath, {{"inferences_per_day", 1}, {"tokens_per_day", 5000}, {"memory_budget_gib", 2.5}});
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(admin.send("PUT", qpath, {{"inferences_per_day", -1}}).status, 400);
  EXPECT_EQ(admin.send("PUT", qpath, {{"inferences_per_day", "ten"}}).status, 400);
  EXPECT_EQ(admin.send("PUT", qpath, {{"bananas", 3}}).status, 400);
  std::string key = create_key(admin, "survives");

  EXPECT_EQ(server_->stop(), 0);
  ASSERT_TRUE(server_->start()) << server_->log();
  port_ = server_->port();
  Response q = with_key(port_, key, "GET", qpath);
  ASSERT_EQ(q.status, 200) << q.body;
  EXPECT_EQ(q.json()["effective"]["inferences_per_day"], 1);
  EXPECT_EQ(q.json()["effective"]["tokens_per_day"], 5000);
  EXPECT_DOUBLE_EQ(q.json()["effective"]["memory_budget_gib"].get<double>(), 2.5);
  EXPECT_EQ(q.json()["overrides"]["max_concurrent"], nullptr);
  Browser erin_b = login(port_, "erin", "erin-pw-123");
  EXPECT_FALSE(erin_b.cookie.empty());
  EXPECT_EQ(erin_b.get("/api/v1/usage").json()["quota"]["inferences_per_day"], 1);
}

TEST_F(ApiTest, ResourcesKeepsTheBriefsShape) {
  Browser admin = setup_admin();
  std::string key = create_key(admin, "monitor");
  Response r = with_key(port_, key, "GET", "/api/v1/resources");
  ASSERT_EQ(r.status, 200);
  Json j = r.json();
  EXPECT_TRUE(j.contains("gpu_usage"));
  EXPECT_TRUE(j["active_users"].is_number());
  EXPECT_TRUE(j["memory_allocated"].is_object());
}

TEST_F(ApiTest, ModelsSaysPlainlyWhenServingTheDemoModel) {
  Browser admin = setup_admin();
  std::string key = create_key(admin, "openai");
  EXPECT_EQ(http(port_, "GET", "/v1/models").status, 401);
  Response r = with_key(port_, key, "GET", "/v1/models");
  ASSERT_EQ(r.status, 200) << r.body;
  Json m = r.json()["data"][0];
  EXPECT_EQ(m["object"], "model");
  EXPECT_EQ(m["demo"], true);
  EXPECT_NE(m["note"].get<std::string>().find("random-weight demo"), std::string::npos);
  EXPECT_NE(server_->log().find("RANDOM-WEIGHT DEMO"), std::string::npos);
}

TEST_F(ApiTest, MalformedInputGetsJsonErrorsAndTheServerKeepsServing) {
  Browser admin = setup_admin();
  struct Case {
    std::string method, path, body;
    std::map<std::string, std::string> headers;
    int status;
  };
  std::map<std::string, std::string> auth = {{"Cookie", admin.cookie}, {"X-CSRF-Token", admin.csrf}};
  std::string deep(100, '[');
  std::vector<Case> cases = {
      {"POST", "/api/v1/auth/login", "{not json", {}, 400},
      {"POST", "/api/v1/auth/login", "[1,2]", {}, 400},
      {"POST", "/api/v1/auth/login", R"({"username": 5, "password": "x"})", {}, 400},
      {"POST", "/api/v1/auth/login", R"({"username": "a"})", {}, 400},
      {"POST", "/api/v1/auth/login", "", {}, 400},
      {"POST", "/api/v1/auth/login", R"({"username":"a","password":"b"})", {{"Content-Type", "text/plain"}}, 400},
      {"POST", "/api/v1/admin/users", "{\"a\":" + deep, auth, 400},
      {"POST", "/api/v1/admin/users", R"({"username": ["x"]})", auth, 400},
      {"PUT", "/api/v1/admin/users/abc/quota", "{}", auth, 404},
      {"GET", "/api/v1/admin/users/99999", "", auth, 404},
      {"GET", "/api/v1/no/such/route", "", {}, 404},
      {"DELETE", "/api/v1/setup", "", {}, 405},
      {"GET", "/api/v1/admin/users", "", {}, 401},
      {"GET", "/api/v1/admin/users", "", {{"Authorization", "Basic abc"}}, 401},
      {"GET", "/api/v1/admin/users", "", {{"Cookie", "teamvl_session=forged"}}, 401},
  };
  for (const auto& c : cases) {
    Response r = http(port_, c.method, c.path, c.body, c.headers);
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.path << " " << c.body.substr(0, 40) << " -> " << r.body;
    EXPECT_FALSE(r.error_code().empty()) << c.method << " " << c.path << ": " << r.body;
    Json j = r.json();
    EXPECT_TRUE(j["error"]["message"].is_string()) << r.body;
  }
  // A body over the limit (1 MiB in these tests) is refused with 413.
  std::string big = raw_exchange(port_, "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\n"
                                        "Content-Type: application/json\r\nContent-Length: 2097152\r\n\r\n{");
  EXPECT_NE(big.find(" 413 "), std::string::npos) << big;
  Response medium = http(port_, "POST", "/api/v1/auth/login", std::string(900 << 10, ' ') + "{}");
  EXPECT_EQ(medium.status, 400) << "a body under the limit is read and judged on its content";
  // A malformed request line.
  std::string raw = raw_exchange(port_, "BLAH\r\n\r\n");
  EXPECT_NE(raw.find("400"), std::string::npos) << raw;
  // Still serving.
  EXPECT_EQ(http(port_, "GET", "/api/v1/health").status, 200);
  EXPECT_EQ(admin.get("/api/v1/auth/me").status, 200);
}

TEST_F(ApiTest, SigtermShutsDownCleanly) {
  setup_admin();
  EXPECT_EQ(server_->stop(SIGTERM), 0);
  EXPECT_NE(server_->log().find("stopped"), std::string::npos) << server_->log();
}

}  // namespace
}  // namespace teamvl::testing

namespace teamvl::testing {
namespace {

// The team directory every member may read: names and roles only, no
// disabled accounts; it needs a signed-in member.
TEST_F(ApiTest, MembersDirectoryListsEnabledMembersNamesAndRolesOnly) {
  Browser admin = setup_admin();
  Browser erin = add_member(admin, "erin");
  add_member(admin, "frank", "viewer");
  add_member(admin, "gone");
  int64_t gone_id = 0;
  Json users = admin.get("/api/v1/admin/users").json();
  for (const auto& u : users["users"])
    if (u["username"] == "gone") gone_id = u["id"];
  ASSERT_GT(gone_id, 0) << users.dump();
  ASSERT_EQ(admin.send("PATCH", "/api/v1/admin/users/" + std::to_string(gone_id), {{"disabled", true}}).status, 200);

  Response r = erin.get("/api/v1/members");
  ASSERT_EQ(r.status, 200) << r.body;
  std::map<std::string, std::string> roles;
  const Json members = r.json();  // held: a range-for over a temporary's member dangles
  for (const auto& m : members["members"]) {
    roles[m["username"]] = m["role"];
    EXPECT_EQ(m.size(), 3u) << "only username, display_name and role: " << m.dump();
  }
  EXPECT_EQ(roles.size(), 3u) << r.body;
  EXPECT_EQ(roles["admin@team.example"], "admin");
  EXPECT_EQ(roles["erin"], "member");
  EXPECT_EQ(roles["frank"], "viewer");
  EXPECT_FALSE(roles.count("gone")) << "disabled accounts are left out";
  EXPECT_EQ(http(port_, "GET", "/api/v1/members").status, 401);
}

}  // namespace
}  // namespace teamvl::testing
