// `teamvl admin ...`: the operator CLI for scripted installs. Works directly
// on the data directory's database, also while the server runs (SQLite WAL).
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>

#include "app/commands.h"
#include "base/clock.h"
#include "server/auth/authenticator.h"
#include "server/auth/crypto.h"

namespace teamvl::app {
namespace {

using Options = std::map<std::string, std::string>;

// Parses "--name value" pairs and bare "--flag"s listed in `bare`.
Result<Options> parse_options(const std::vector<std::string>& args, const std::vector<std::string>& allowed,
                              const std::vector<std::string>& bare) {
  Options o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    bool is_bare = std::find(bare.begin(), bare.end(), a) != bare.end();
    bool is_known = std::find(allowed.begin(), allowed.end(), a) != allowed.end();
    if (is_bare) {
      o[a] = "true";
    } else if (is_known) {
      if (i + 1 >= args.size()) return Status::InvalidArgument(a + " needs a value");
      o[a] = args[++i];
    } else {
      return Status::InvalidArgument("unknown argument '" + a + "'");
    }
  }
  return o;
}

Result<std::string> read_password_stdin() {
  std::string line;
  if (!std::getline(std::cin, line)) return Status::InvalidArgument("no password on standard input");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  TEAMVL_RETURN_IF_ERROR(server::check_password_rules(line));
  return line;
}

Status record(store::Store& st, const std::string& action, const std::string& target) {
  store::AuditEntry e;
  e.at = Clock::real().now_unix();
  e.actor = "cli";
  e.action = action;
  e.target = target;
  e.detail_json = "{}";
  e.client_addr = "local";
  return st.append_audit(e);
}

Status create_user(store::Store& st, const Options& o) {
  if (!o.count("--username")) return Status::InvalidArgument("--username is required");
  if (!o.count("--password-stdin")) return Status::InvalidArgument("--password-stdin is required");
  auto role = store::parse_role(o.count("--role") ? o.at("--role") : "member");
  if (!role) return Status::InvalidArgument("--role must be admin, member or viewer");
  TEAMVL_ASSIGN_OR_RETURN(std::string password, read_password_stdin());
  TEAMVL_ASSIGN_OR_RETURN(std::string hash, server::hash_password(password));
  store::User u;
  u.username = o.at("--username");
  u.display_name = o.count("--display-name") ? o.at("--display-name") : u.username;
  u.role = *role;
  u.password_hash = hash;
  return st.in_transaction([&]() -> Status {
    TEAMVL_ASSIGN_OR_RETURN(bool done, st.setup_done());
    store::User created;
    // The first admin made here closes the web setup, like POST /api/v1/setup.
    if (!done && u.role == store::Role::kAdmin) {
      TEAMVL_ASSIGN_OR_RETURN(created, st.complete_setup(u));
    } else {
      TEAMVL_ASSIGN_OR_RETURN(created, st.create_user(u));
    }
    std::fprintf(stderr, "created %s '%s' (id %lld)\n", store::role_name(created.role), created.username.c_str(),
                 static_cast<long long>(created.id));
    return record(st, "user.create", "user:" + std::to_string(created.id));
  });
}

Status create_key(store::Store& st, const Options& o) {
  if (!o.count("--username") || !o.count("--name"))
    return Status::InvalidArgument("--username and --name are required");
  TEAMVL_ASSIGN_OR_RETURN(store::User u, st.find_user(o.at("--username")));
  server::Authenticator auth(st, Clock::real(), 0);
  server::IssuedKey issued;
  TEAMVL_RETURN_IF_ERROR(st.in_transaction([&]() -> Status {
    TEAMVL_ASSIGN_OR_RETURN(issued, auth.issue_key(u.id, o.at("--name"), std::nullopt));
    return record(st, "key.create", "key:" + std::to_string(issued.key.id));
  }));
  std::printf("%s\n", issued.secret.c_str());  // the secret alone on stdout
  return Status::Ok();
}

Status reset_password(store::Store& st, const Options& o) {
  if (!o.count("--username")) return Status::InvalidArgument("--username is required");
  if (!o.count("--password-stdin")) return Status::InvalidArgument("--password-stdin is required");
  TEAMVL_ASSIGN_OR_RETURN(store::User u, st.find_user(o.at("--username")));
  TEAMVL_ASSIGN_OR_RETURN(std::string password, read_password_stdin());
  TEAMVL_ASSIGN_OR_RETURN(u.password_hash, server::hash_password(password));
  u.must_change_password = false;
  u.updated_at = Clock::real().now_unix();
  return st.in_transaction([&]() -> Status {
    TEAMVL_RETURN_IF_ERROR(st.update_user(u));
    TEAMVL_RETURN_IF_ERROR(st.delete_user_sessions(u.id));
    std::fprintf(stderr, "password of '%s' reset\n", u.username.c_str());
    return record(st, "user.reset_password", "user:" + std::to_string(u.id));
  });
}

Status list_users(store::Store& st) {
  TEAMVL_ASSIGN_OR_RETURN(auto users, st.list_users());
  std::printf("%-6s %-32s %-7s %s\n", "id", "username", "role", "state");
  for (const auto& u : users)
    std::printf("%-6lld %-32s %-7s %s\n", static_cast<long long>(u.id), u.username.c_str(), store::role_name(u.role),
                u.disabled ? "disabled" : (u.must_change_password ? "must-change-password" : "active"));
  return Status::Ok();
}

}  // namespace

int run_admin(std::vector<std::string> args) {
  auto settings = load_settings(&args, process_env());
  if (!settings.ok()) {
    std::fprintf(stderr, "teamvl admin: %s\n", settings.status().message().c_str());
    return 2;
  }
  if (args.empty()) {
    std::fprintf(stderr, "teamvl admin: which command? create-user, create-key, reset-password, list-users\n");
    return 2;
  }
  std::string sub = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  Result<Options> opts = Status::InvalidArgument("unknown admin command '" + sub +
                                                 "' (create-user, create-key, reset-password, list-users)");
  if (sub == "create-user") opts = parse_options(rest, {"--username", "--role", "--display-name"}, {"--password-stdin"});
  else if (sub == "create-key") opts = parse_options(rest, {"--username", "--name"}, {});
  else if (sub == "reset-password") opts = parse_options(rest, {"--username"}, {"--password-stdin"});
  else if (sub == "list-users") opts = parse_options(rest, {}, {});
  if (!opts.ok()) {
    std::fprintf(stderr, "teamvl admin %s: %s\n", sub.c_str(), opts.status().message().c_str());
    return 2;
  }
  auto store = open_data_dir(*settings);
  if (!store.ok()) {
    std::fprintf(stderr, "teamvl admin: %s\n", store.status().to_string().c_str());
    return 1;
  }
  Status st;
  if (sub == "create-user") st = create_user(**store, *opts);
  else if (sub == "create-key") st = create_key(**store, *opts);
  else if (sub == "reset-password") st = reset_password(**store, *opts);
  else st = list_users(**store);
  if (!st.ok()) {
    std::fprintf(stderr, "teamvl admin %s: %s\n", sub.c_str(), st.to_string().c_str());
    return st.code() == StatusCode::kInvalidArgument ? 2 : 1;
  }
  return 0;
}

std::string usage_text() {
  return R"(teamvl - a team server for the Qwen3-VL vision-language model

Server and operations:
  teamvl serve [--port N] [--data-dir D] [--model M --mmproj P] ...   run the server
  teamvl config [flags]            print the effective settings and where each came from
  teamvl config --markdown         the settings reference (docs/settings.md)
  teamvl admin create-user --username U --role admin|member|viewer --password-stdin
  teamvl admin create-key --username U --name N     (prints the new secret alone)
  teamvl admin reset-password --username U --password-stdin
  teamvl admin list-users

Engine tools:
  teamvl tokenize --model M --text T [--no-special] --json
  teamvl generate --model M --prompt P [--raw] [-n N] [--greedy | --temp T] --json
  teamvl logits --model M --prompt P [--raw] [--append-ids 1,2] [--top K] [--out F] --json
      both also take --mmproj P --image F [--image F2 ...] [--max-side N]; with --raw each
      <__media__> in the prompt is where the next image goes
  teamvl embed-image --mmproj P --image F [--out F.bin] [--max-side N] [--page N] --json
  teamvl model info M
  teamvl model demo --out DIR

Every setting is a flag, an environment variable and a teamvl.yaml key;
see `teamvl config` and docs/settings.md.
)";
}

}  // namespace teamvl::app
