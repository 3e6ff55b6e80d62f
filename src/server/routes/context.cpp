#include "server/routes/context.h"

namespace teamvl::server {

namespace {
HttpResponse run_guarded(const std::function<HttpResponse()>& fn) {
  try {
    return fn();
  } catch (const Json::exception& e) {
    // A JSON access the handler did not validate: the client's fault.
    return HttpResponse::error(400, "invalid_argument", std::string("bad request body: ") + e.what());
  }
}

bool allowed(Access access, store::Role role) {
  switch (access) {
    case Access::kAnyMember:
    case Access::kMember: return true;
    case Access::kWriter: return role != store::Role::kViewer;
    case Access::kAdmin: return role == store::Role::kAdmin;
  }
  return false;
}
}  // namespace

Handler authed(ServerContext& ctx, Access access, AuthedHandler fn) {
  return [&ctx, access, fn = std::move(fn)](HttpRequest& req) -> HttpResponse {
    auto caller = ctx.auth.authenticate(req);
    if (!caller.ok()) return HttpResponse::from_status(caller.status());
    if (Status s = ctx.auth.check_csrf(*caller, req); !s.ok()) return HttpResponse::from_status(s);
    if (access != Access::kAnyMember && caller->user.must_change_password)
      return HttpResponse::error(403, "password_change_required",
                                 "change your temporary password first (POST /api/v1/auth/password)");
    if (!allowed(access, caller->user.role))
      return HttpResponse::error(403, "permission_denied",
                                 access == Access::kAdmin ? "only admins may do this"
                                                          : "viewers have read-only access");
    return run_guarded([&] { return fn(req, *caller); });
  };
}

Handler guarded(std::function<HttpResponse(HttpRequest&)> fn) {
  return [fn = std::move(fn)](HttpRequest& req) { return run_guarded([&] { return fn(req); }); };
}

Json user_json(const store::User& u) {
  return Json{{"id", u.id},
              {"username", u.username},
              {"display_name", u.display_name},
              {"role", store::role_name(u.role)},
              {"must_change_password", u.must_change_password},
              {"disabled", u.disabled},
              {"created_at", u.created_at},
              {"updated_at", u.updated_at}};
}

Json key_json(const store::ApiKey& k, int64_t now) {
  auto opt = [](const std::optional<int64_t>& v) { return v ? Json(*v) : Json(nullptr); };
  std::string state = "active";
  if (k.revoked_at) state = "revoked";
  else if (k.expires_at && now >= *k.expires_at) state = "expired";
  else if (k.rotated_to) state = "rotating";
  return Json{{"id", k.id},
              {"user_id", k.user_id},
              {"name", k.name},
              {"prefix", "tvl_" + k.prefix},
              {"created_at", k.created_at},
              {"last_used_at", opt(k.last_used_at)},
              {"call_count", k.call_count},
              {"revoked_at", opt(k.revoked_at)},
              {"expires_at", opt(k.expires_at)},
              {"rotated_to", opt(k.rotated_to)},
              {"state", state}};
}

Json quota_json(const store::Quota& o, const scheduler::EffectiveQuota& e) {
  auto opt_i = [](const std::optional<int64_t>& v) { return v ? Json(*v) : Json(nullptr); };
  return Json{
      {"overrides",
       {{"inferences_per_day", opt_i(o.inferences_per_day)},
        {"tokens_per_day", opt_i(o.tokens_per_day)},
        {"max_concurrent", opt_i(o.max_concurrent)},
        {"memory_budget_gib", o.memory_budget_gib ? Json(*o.memory_budget_gib) : Json(nullptr)},
        {"priority_ceiling", opt_i(o.priority_ceiling)}}},
      {"effective",
       {{"inferences_per_day", opt_i(e.inferences_per_day)},
        {"tokens_per_day", opt_i(e.tokens_per_day)},
        {"max_concurrent", e.max_concurrent},
        {"memory_budget_gib", e.memory_budget_gib},
        {"priority_ceiling", e.priority_ceiling},
        {"priority_ceiling_name", scheduler::priority_name(static_cast<int>(e.priority_ceiling))}}}};
}

Json usage_json(const store::Usage& u) {
  return Json{{"day", u.day},
              {"inferences", u.inferences},
              {"input_tokens", u.input_tokens},
              {"output_tokens", u.output_tokens},
              {"images", u.images},
              {"compute_seconds", u.compute_seconds}};
}

Status audit(ServerContext& ctx, const Caller* caller, const HttpRequest& req, const std::string& action,
           const std::string& target, const Json& detail) {
  store::AuditEntry e;
  e.at = ctx.clock.now_unix();
  if (caller) {
    e.actor_user_id = caller->user.id;
    e.actor = caller->user.username;
  } else {
    e.actor = "setup";
  }
  e.action = action;
  e.target = target;
  e.detail_json = detail.dump();
  e.client_addr = req.client_addr;
  return ctx.store.append_audit(e);
}

}  // namespace teamvl::server
