// The fixture API tests share: a fresh server in a temporary data directory,
// and helpers to set up the admin, add members and create keys.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>

#include "harness.h"

namespace teamvl::testing {

constexpr const char* kAdminPassword = "admin-pass-123";

class ApiTest : public ::testing::Test {
 protected:
  // Extra `teamvl serve` arguments for a test suite.
  virtual std::vector<std::string> server_args() const { return {"--max-body-mb", "1"}; }
  // Extra environment variables for the server process.
  virtual std::map<std::string, std::string> server_env() const { return {}; }

  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(dir_.path(), server_args(), server_env());
    ASSERT_TRUE(server_->start()) << server_->log();
    port_ = server_->port();
  }
  void TearDown() override {
    if (HasFailure() && server_) std::fprintf(stderr, "--- server log ---\n%s\n", server_->log().c_str());
  }

  // Completes setup and signs the admin in.
  Browser setup_admin() {
    Response r = http(port_, "POST", "/api/v1/setup",
                      Json{{"token", server_->setup_token()}, {"username", "admin@team.example"},
                           {"password", kAdminPassword}}.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    Browser b = login(port_, "admin@team.example", kAdminPassword);
    EXPECT_FALSE(b.cookie.empty());
    return b;
  }

  // Admin creates a member, who signs in and replaces the temporary password.
  Browser add_member(const Browser& admin, const std::string& name, const std::string& role = "member") {
    Response r = admin.send("POST", "/api/v1/admin/users", {{"username", name}, {"role", role}});
    EXPECT_EQ(r.status, 201) << r.body;
    std::string temp = r.json()["temporary_password"];
    Browser b = login(port_, name, temp);
    EXPECT_FALSE(b.cookie.empty());
    Response ch = b.send("POST", "/api/v1/auth/password", {{"current_password", temp}, {"new_password", name + "-pw-123"}});
    EXPECT_EQ(ch.status, 204) << ch.body;
    return login(port_, name, name + "-pw-123");
  }

  // Polls until the task ends; returns its final JSON (null on timeout).
  Json wait_done(const Browser& b, int64_t id, int timeout_s = 120) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    while (std::chrono::steady_clock::now() < deadline) {
      Json t = b.get("/api/v1/tasks/" + std::to_string(id)).json()["task"];
      std::string state = t.value("state", "");
      if (state != "queued" && state != "running") return t;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return Json();
  }

  std::string create_key(const Browser& b, const std::string& name) {
    Response r = b.send("POST", "/api/v1/keys", {{"name", name}});
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json().value("secret", "");
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  int port_ = 0;
};

}  // namespace teamvl::testing
