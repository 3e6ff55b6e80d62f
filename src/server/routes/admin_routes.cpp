// Admin: members (create, list, role, disable, delete, reset password),
// per-member quotas, team settings, audit log and usage. Every change is
// recorded in the audit log in the same transaction as the change itself.
#include <set>

#include "server/auth/crypto.h"
#include "base/log.h"
#include "server/blob_store.h"
#include "server/preset_params.h"
#include "server/routes/context.h"

namespace teamvl::server {
namespace {

// Team settings an admin may change, each with its default (JSON text).
const std::map<std::string, std::string> kTeamSettingDefaults = {
    {"team_name", "\"TeamVL\""},
    {"show_content_in_team_view", "false"},
    // Generation defaults for every task that does not set them (preset-shaped).
    {"model_defaults", "{}"},
};

Status check_team_setting(const std::string& key, const Json& v) {
  if (key == "team_name") {
    if (!v.is_string() || v.get<std::string>().empty() || v.get<std::string>().size() > 100)
      return Status::InvalidArgument("'team_name' must be a string of 1 to 100 bytes");
  } else if (key == "show_content_in_team_view") {
    if (!v.is_boolean()) return Status::InvalidArgument("'show_content_in_team_view' must be true or false");
  } else if (key == "model_defaults") {
    if (!v.is_object()) return Status::InvalidArgument("'model_defaults' must be an object of generation parameters");
    if (Status st = validate_preset_params(v); !st.ok())
      return Status::InvalidArgument("model_defaults: " + st.message());
  } else {
    std::string known;
    for (const auto& [k, _] : kTeamSettingDefaults) known += (known.empty() ? "" : ", ") + k;
    return Status::InvalidArgument("unknown team setting '" + key + "' (known: " + known + ")");
  }
  return Status::Ok();
}

Result<Json> team_settings_json(ServerContext& ctx) {
  TEAMVL_ASSIGN_OR_RETURN(auto stored, ctx.store.get_team_settings());
  Json out = Json::object();
  for (const auto& [k, def] : kTeamSettingDefaults) {
    auto it = stored.find(k);
    out[k] = Json::parse(it != stored.end() ? it->second : def, nullptr, false);
  }
  return out;
}

}  // namespace

Json model_defaults(ServerContext& ctx) {
  auto stored = ctx.store.get_team_settings();
  if (!stored.ok()) return Json::object();
  auto it = stored->find("model_defaults");
  if (it == stored->end()) return Json::object();
  Json v = Json::parse(it->second, nullptr, false);
  return v.is_object() ? v : Json::object();
}

namespace {

// Refuses changes that would leave the team without an enabled admin.
Status keep_an_admin(ServerContext& ctx, const store::User& before, bool still_admin) {
  if (before.role != store::Role::kAdmin || before.disabled || still_admin) return Status::Ok();
  TEAMVL_ASSIGN_OR_RETURN(auto users, ctx.store.list_users());
  int admins = 0;
  for (const auto& u : users)
    if (u.role == store::Role::kAdmin && !u.disabled) ++admins;
  if (admins <= 1)
    return Status::FailedPrecondition("'" + before.username + "' is the last enabled admin; make someone else admin first");
  return Status::Ok();
}

HttpResponse create_user(ServerContext& ctx, HttpRequest& req, Caller& c) {
  auto body = parse_json_object(req);
  if (!body.ok()) return HttpResponse::from_status(body.status());
  auto username = req_string(*body, "username", 128);
  if (!username.ok()) return HttpResponse::from_status(username.status());
  auto role_s = opt_string(*body, "role", 16);
  if (!role_s.ok()) return HttpResponse::from_status(role_s.status());
  auto role = store::parse_role(role_s->value_or("member"));
  if (!role) return HttpResponse::error(400, "invalid_argument", "field 'role' must be admin, member or viewer");
  auto display = opt_string(*body, "display_name", 128);
  if (!display.ok()) return HttpResponse::from_status(display.status());
  auto password = opt_string(*body, "password", 1024);
  if (!password.ok()) return HttpResponse::from_status(password.status());
  for (char ch : *username)
    if (static_cast<unsigned char>(ch) < 0x21)
      return HttpResponse::error(400, "invalid_argument", "field 'username' must not contain spaces or control characters");
  std::string temp = password->value_or(random_password());
  if (Status s = check_password_rules(temp); !s.ok()) return HttpResponse::from_status(s);
  auto hash = hash_password(temp);
  if (!hash.ok()) return HttpResponse::from_status(hash.status());

  store::User u;
  u.username = *username;
  u.display_name = display->value_or(*username);
  u.role = *role;
  u.password_hash = *hash;
  u.must_change_password = true;  // a temporary password is changed at first sign-in
  store::User created;
  Status st = ctx.store.in_transaction([&]() -> Status {
    TEAMVL_ASSIGN_OR_RETURN(created, ctx.store.create_user(u));
    return audit(ctx, &c, req, "user.create", "user:" + std::to_string(created.id),
                 {{"username", created.username}, {"role", store::role_name(created.role)}});
  });
  if (!st.ok()) return HttpResponse::from_status(st);
  return json_response(201, {{"user", user_json(created)}, {"temporary_password", temp}});
}

HttpResponse update_user(ServerContext& ctx, HttpRequest& req, Caller& c) {
  auto id = path_id(req, "id");
  if (!id.ok()) return HttpResponse::from_status(id.status());
  auto body = parse_json_object(req);
  if (!body.ok()) return HttpResponse::from_status(body.status());
  auto user = ctx.store.get_user(*id);
  if (!user.ok()) return HttpResponse::from_status(user.status());
  auto role_s = opt_string(*body, "role", 16);
  auto disabled = opt_bool(*body, "disabled");
  auto display = opt_string(*body, "display_name", 128);
  for (const Status* s : {&role_s.status(), &disabled.status(), &display.status()})
    if (!s->ok()) return HttpResponse::from_status(*s);
  store::User u = *user;
  if (*role_s) {
    auto role = store::parse_role(**role_s);
    if (!role) return HttpResponse::error(400, "invalid_argument", "field 'role' must be admin, member or viewer");
    u.role = *role;
  }
  if (*disabled) u.disabled = **disabled;
  if (*display) u.display_name = **display;
  u.updated_at = ctx.clock.now_unix();
  Json change = Json::object();
  if (u.role != user->role) change["role"] = store::role_name(u.role);
  if (u.disabled != user->disabled) change["disabled"] = u.disabled;
  if (u.display_name != user->display_name) change["display_name"] = u.display_name;
  Status st = ctx.store.in_transaction([&]() -> Status {
    TEAMVL_RETURN_IF_ERROR(keep_an_admin(ctx, *user, u.role == store::Role::kAdmin && !u.disabled));
    TEAMVL_RETURN_IF_ERROR(ctx.store.update_user(u));
    if (u.disabled) TEAMVL_RETURN_IF_ERROR(ctx.store.delete_user_sessions(u.id));
    return audit(ctx, &c, req, "user.update", "user:" + std::to_string(u.id), change);
  });
  if (!st.ok()) return HttpResponse::from_status(st);
  return json_response(200, {{"user", user_json(u)}});
}

HttpResponse delete_user(ServerContext& ctx, HttpRequest& req, Caller& c) {
  auto id = path_id(req, "id");
  if (!id.ok()) return HttpResponse::from_status(id.status());
  auto user = ctx.store.get_user(*id);
  if (!user.ok()) return HttpResponse::from_status(user.status());
  if (user->id == c.user.id)
    return HttpResponse::error(409, "failed_precondition", "you cannot delete your own account");
  // The member's file rows go with the account (ON DELETE CASCADE); their
  // blobs go too unless another member uploaded the same bytes.
  std::vector<std::string> blobs;
  if (auto files = ctx.store.list_files(user->id); files.ok())
    for (const auto& f : *files) blobs.push_back(f.sha256);
  Status st = ctx.store.in_transaction([&]() -> Status {
    TEAMVL_RETURN_IF_ERROR(keep_an_admin(ctx, *user, false));
    TEAMVL_RETURN_IF_ERROR(ctx.store.delete_user(user->id));
    return audit(ctx, &c, req, "user.delete", "user:" + std::to_string(user->id), {{"username", user->username}});
  });
  if (!st.ok()) return HttpResponse::from_status(st);
  if (!blobs.empty() && !ctx.config.data_dir.empty()) {
    Status removed = BlobStore(BlobStore::root_for_data_dir(ctx.config.data_dir)).remove_unreferenced(ctx.store, blobs);
    if (!removed.ok()) log_warn("admin", "files of deleted user " + std::to_string(user->id) + ": " + removed.to_string());
  }
  HttpResponse res;
  res.status = 204;
  return res;
}

HttpResponse reset_password(ServerContext& ctx, HttpRequest& req, Caller& c) {
  auto id = path_id(req, "id");
  if (!id.ok()) return HttpResponse::from_status(id.status());
  auto user = ctx.store.get_user(*id);
  if (!user.ok()) return HttpResponse::from_status(user.status());
  std::string temp = random_password();
  auto hash = hash_password(temp);
  if (!hash.ok()) return HttpResponse::from_status(hash.status());
  store::User u = *user;
  u.password_hash = *hash;
  u.must_change_password = true;
  u.updated_at = ctx.clock.now_unix();
  Status st = ctx.store.in_transaction([&]() -> Status {
    TEAMVL_RETURN_IF_ERROR(ctx.store.update_user(u));
    TEAMVL_RETURN_IF_ERROR(ctx.store.delete_user_sessions(u.id));
    return audit(ctx, &c, req, "user.reset_password", "user:" + std::to_string(u.id), Json::object());
  });
  if (!st.ok()) return HttpResponse::from_status(st);
  return json_response(200, {{"user", user_json(u)}, {"temporary_password", temp}});
}

HttpResponse get_quota(ServerContext& ctx, HttpRequest& req) {
  auto id = path_id(req, "id");
  if (!id.ok()) return HttpResponse::from_status(id.status());
  auto user = ctx.store.get_user(*id);
  if (!user.ok()) return HttpResponse::from_status(user.status());
  auto q = ctx.store.get_quota(*id);
  if (!q.ok()) return HttpResponse::from_status(q.status());
  return json_response(200, quota_json(*q, scheduler::effective_quota(*q, ctx.config.quota_defaults)));
}

HttpResponse set_quota(ServerContext& ctx, HttpRequest& req, Caller& c) {
  auto id = path_id(req, "id");
  if (!id.ok()) return HttpResponse::from_status(id.status());
  auto user = ctx.store.get_user(*id);
  if (!user.ok()) return HttpResponse::from_status(user.status());
  auto body = parse_json_object(req);
  if (!body.ok()) return HttpResponse::from_status(body.status());
  auto q = ctx.store.get_quota(*id);
  if (!q.ok()) return HttpResponse::from_status(q.status());
  store::Quota quota = *q;
  quota.user_id = *id;
  static const std::set<std::string> kFields = {"inferences_per_day", "tokens_per_day", "max_concurrent",
                                                "memory_budget_gib", "priority_ceiling"};
  for (const auto& [k, _] : body->items())
    if (!kFields.count(k))
      return HttpResponse::error(400, "invalid_argument",
                                 "unknown quota field '" + k +
                                     "' (known: inferences_per_day, tokens_per_day, max_concurrent, "
                                     "memory_budget_gib, priority_ceiling; null restores the default)");
  auto set_int = [&](const char* f, std::optional<int64_t>* dst, int64_t lo, int64_t hi) -> Status {
    TEAMVL_ASSIGN_OR_RETURN(auto n, opt_nullable_number(*body, f, lo, hi, true));
    if (n.present) *dst = n.is_null ? std::nullopt : std::optional<int64_t>(static_cast<int64_t>(n.value));
    return Status::Ok();
  };
  Status st = set_int("inferences_per_day", &quota.inferences_per_day, 0, 1'000'000'000);
  if (st.ok()) st = set_int("tokens_per_day", &quota.tokens_per_day, 0, 1'000'000'000'000);
  if (st.ok()) st = set_int("max_concurrent", &quota.max_concurrent, 1, 10000);
  if (st.ok()) st = set_int("priority_ceiling", &quota.priority_ceiling, 0, scheduler::kMaxPriority);
  if (st.ok()) {
    auto mem = opt_nullable_number(*body, "memory_budget_gib", 0.01, 1024, false);
    if (!mem.ok()) st = mem.status();
    else if (mem->present) quota.memory_budget_gib = mem->is_null ? std::nullopt : std::optional<double>(mem->value);
  }
  if (!st.ok()) return HttpResponse::from_status(st);
  st = ctx.store.in_transaction([&]() -> Status {
    TEAMVL_RETURN_IF_ERROR(ctx.store.set_quota(quota));
    return audit(ctx, &c, req, "quota.set", "user:" + std::to_string(*id), *body);
  });
  if (!st.ok()) return HttpResponse::from_status(st);
  return json_response(200, quota_json(quota, scheduler::effective_quota(quota, ctx.config.quota_defaults)));
}

HttpResponse patch_team_settings(ServerContext& ctx, HttpRequest& req, Caller& c) {
  auto body = parse_json_object(req);
  if (!body.ok()) return HttpResponse::from_status(body.status());
  for (const auto& [k, v] : body->items())
    if (Status s = check_team_setting(k, v); !s.ok()) return HttpResponse::from_status(s);
  Status st = ctx.store.in_transaction([&]() -> Status {
    for (const auto& [k, v] : body->items()) TEAMVL_RETURN_IF_ERROR(ctx.store.set_team_setting(k, v.dump()));
    return audit(ctx, &c, req, "team_settings.update", "team", *body);
  });
  if (!st.ok()) return HttpResponse::from_status(st);
  auto out = team_settings_json(ctx);
  if (!out.ok()) return HttpResponse::from_status(out.status());
  return json_response(200, {{"settings", *out}});
}

HttpResponse list_audit(ServerContext& ctx, HttpRequest& req) {
  Json q = Json::object();
  for (const auto& [k, v] : req.query) {
    if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos)
      return HttpResponse::error(400, "invalid_argument", "query parameter '" + k + "' must be a positive integer");
    q[k] = std::stoll(v);
  }
  auto limit = opt_int(q, "limit", 1, 1000);
  auto before = opt_int(q, "before", 1, INT64_MAX);
  if (!limit.ok()) return HttpResponse::from_status(limit.status());
  if (!before.ok()) return HttpResponse::from_status(before.status());
  auto entries = ctx.store.list_audit(static_cast<int>(limit->value_or(100)), *before);
  if (!entries.ok()) return HttpResponse::from_status(entries.status());
  Json arr = Json::array();
  for (const auto& e : *entries)
    arr.push_back({{"id", e.id},
                   {"at", e.at},
                   {"actor_user_id", e.actor_user_id ? Json(*e.actor_user_id) : Json(nullptr)},
                   {"actor", e.actor},
                   {"action", e.action},
                   {"target", e.target},
                   {"detail", Json::parse(e.detail_json, nullptr, false)},
                   {"client_addr", e.client_addr}});
  return json_response(200, {{"entries", arr}});
}

bool valid_day(const std::string& d) {
  return d.size() == 10 && d[4] == '-' && d[7] == '-' &&
         d.find_first_not_of("0123456789-") == std::string::npos;
}

HttpResponse list_usage(ServerContext& ctx, HttpRequest& req) {
  int64_t now = ctx.clock.now_unix();
  std::string to = req.query.count("to") ? req.query.at("to") : scheduler::utc_day(now);
  std::string from = req.query.count("from") ? req.query.at("from") : scheduler::utc_day(now - 29 * 86400);
  if (!valid_day(from) || !valid_day(to))
    return HttpResponse::error(400, "invalid_argument", "'from' and 'to' must be days as YYYY-MM-DD");
  auto rows = ctx.store.list_usage(from, to);
  if (!rows.ok()) return HttpResponse::from_status(rows.status());
  Json arr = Json::array();
  for (const auto& u : *rows) {
    Json j = usage_json(u);
    j["user_id"] = u.user_id;
    arr.push_back(j);
  }
  return json_response(200, {{"from", from}, {"to", to}, {"usage", arr}});
}

}  // namespace

void add_admin_routes(Router& r, ServerContext& ctx) {
  auto admin = [&ctx](AuthedHandler fn) { return authed(ctx, Access::kAdmin, std::move(fn)); };

  r.add("GET", "/api/v1/admin/users", admin([&ctx](HttpRequest&, Caller&) {
    auto users = ctx.store.list_users();
    if (!users.ok()) return HttpResponse::from_status(users.status());
    Json arr = Json::array();
    for (const auto& u : *users) arr.push_back(user_json(u));
    return json_response(200, {{"users", arr}});
  }));
  r.add("POST", "/api/v1/admin/users", admin([&ctx](HttpRequest& req, Caller& c) { return create_user(ctx, req, c); }));
  r.add("GET", "/api/v1/admin/users/{id}", admin([&ctx](HttpRequest& req, Caller&) {
    auto id = path_id(req, "id");
    if (!id.ok()) return HttpResponse::from_status(id.status());
    auto u = ctx.store.get_user(*id);
    if (!u.ok()) return HttpResponse::from_status(u.status());
    return json_response(200, {{"user", user_json(*u)}});
  }));
  r.add("PATCH", "/api/v1/admin/users/{id}", admin([&ctx](HttpRequest& req, Caller& c) { return update_user(ctx, req, c); }));
  r.add("DELETE", "/api/v1/admin/users/{id}", admin([&ctx](HttpRequest& req, Caller& c) { return delete_user(ctx, req, c); }));
  r.add("POST", "/api/v1/admin/users/{id}/reset-password",
        admin([&ctx](HttpRequest& req, Caller& c) { return reset_password(ctx, req, c); }));
  r.add("GET", "/api/v1/admin/users/{id}/quota", admin([&ctx](HttpRequest& req, Caller&) { return get_quota(ctx, req); }));
  r.add("PUT", "/api/v1/admin/users/{id}/quota", admin([&ctx](HttpRequest& req, Caller& c) { return set_quota(ctx, req, c); }));
  r.add("GET", "/api/v1/admin/settings", admin([&ctx](HttpRequest&, Caller&) {
    auto out = team_settings_json(ctx);
    if (!out.ok()) return HttpResponse::from_status(out.status());
    return json_response(200, {{"settings", *out}});
  }));
  r.add("PATCH", "/api/v1/admin/settings", admin([&ctx](HttpRequest& req, Caller& c) { return patch_team_settings(ctx, req, c); }));
  r.add("GET", "/api/v1/admin/audit", admin([&ctx](HttpRequest& req, Caller&) { return list_audit(ctx, req); }));
  r.add("GET", "/api/v1/admin/usage", admin([&ctx](HttpRequest& req, Caller&) { return list_usage(ctx, req); }));
}

}  // namespace teamvl::server
