// The operator CLI and settings, run as a script would run them.
#include <gtest/gtest.h>

#include <fstream>

#include "harness.h"

namespace teamvl::testing {
namespace {

TEST(CliTest, AdminCommandsWorkOnTheDataDirectoryWhileTheServerRuns) {
  TempDir dir;
  ServerProcess server(dir.path());
  ASSERT_TRUE(server.start()) << server.log();
  std::string data = "--data-dir=" + dir.path();

  RunResult r = run_teamvl({"admin", "create-user", data, "--username", "ops", "--role", "admin", "--password-stdin"},
                           "ops-password-1\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The first admin made by the CLI closes the web setup.
  EXPECT_EQ(http(server.port(), "GET", "/api/v1/setup").json()["setup_required"], false);

  r = run_teamvl({"admin", "create-key", data, "--username", "ops", "--name", "deploy"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string key = r.out.substr(0, r.out.find('\n'));
  EXPECT_EQ(r.out, key + "\n") << "the secret alone on stdout";
  EXPECT_EQ(with_key(server.port(), key, "GET", "/api/v1/auth/me").json()["user"]["username"], "ops");

  r = run_teamvl({"admin", "reset-password", data, "--username", "ops", "--password-stdin"}, "brand-new-pass\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Response ok;
  login(server.port(), "ops", "brand-new-pass", &ok);
  EXPECT_EQ(ok.status, 200);

  r = run_teamvl({"admin", "list-users", data});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("ops"), std::string::npos);

  // Bad usage: clear messages, exit code 2.
  r = run_teamvl({"admin", "create-user", data, "--username", "x", "--role", "king", "--password-stdin"}, "whatever-pass\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--role"), std::string::npos) << r.err;
  r = run_teamvl({"admin", "create-user", data, "--username", "short", "--password-stdin"}, "abc\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("at least 8"), std::string::npos) << r.err;
  r = run_teamvl({"admin", "create-key", data, "--username", "nobody", "--name", "k"});
  EXPECT_EQ(r.exit_code, 1);
  r = run_teamvl({"admin", "fly", data});
  EXPECT_EQ(r.exit_code, 2);

  Json audit = with_key(server.port(), key, "GET", "/api/v1/admin/audit").json()["entries"];
  ASSERT_FALSE(audit.empty());
  EXPECT_EQ(audit[0]["actor"], "cli");
}

TEST(CliTest, ConfigShowsValuesAndSourcesWithPrecedence) {
  TempDir dir;
  std::string yaml = dir.path() + "/teamvl.yaml";
  std::ofstream(yaml) << "port: 9000\nmax_users: 3\ngpu_mem_per_user: 5\n";
  RunResult r = run_teamvl({"config", "--config", yaml, "--port", "9100"}, "", {{"MAX_USERS", "7"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto line = [&](const std::string& name) {
    auto p = r.out.find(name + " ");
    return p == std::string::npos ? std::string() : r.out.substr(p, r.out.find('\n', p) - p);
  };
  EXPECT_NE(line("port").find("\"9100\""), std::string::npos) << r.out;
  EXPECT_NE(line("port").find("flag --port"), std::string::npos) << r.out;
  EXPECT_NE(line("max_users").find("\"7\""), std::string::npos) << r.out;
  EXPECT_NE(line("max_users").find("env MAX_USERS"), std::string::npos) << r.out;
  EXPECT_NE(line("gpu_mem_per_user").find("file"), std::string::npos) << r.out;
  EXPECT_NE(line("host").find("default"), std::string::npos) << r.out;
}

TEST(CliTest, BadSettingsAreRefusedAtStartWithNameValueAndAllowed) {
  TempDir dir;
  struct Case {
    std::vector<std::string> args;
    std::map<std::string, std::string> env;
    std::string expect;
  };
  std::vector<Case> cases = {
      {{"serve", "--port", "99999"}, {}, "'port'"},
      {{"serve", "--port", "http"}, {}, "bad value 'http'"},
      {{"serve"}, {{"GPU_MEM_PER_USER", "-1"}}, "'gpu_mem_per_user'"},
      {{"serve"}, {{"MODEL_CACHE", "maybe"}}, "true or false"},
      {{"serve", "--log-level", "loud"}, {}, "one of debug info warn error"},
      {{"serve", "--tls-cert", "/x.pem"}, {}, "together"},
      {{"serve", "--no-such-flag"}, {}, "unknown argument"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = c.args;
    args.push_back("--data-dir=" + dir.path());
    RunResult r = run_teamvl(args, "", c.env);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << "expected '" << c.expect << "' in: " << r.err;
  }
  std::string yaml = dir.path() + "/bad.yaml";
  std::ofstream(yaml) << "prot: 80\n";
  RunResult r = run_teamvl({"config", "--config", yaml});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown setting 'prot'"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace teamvl::testing
