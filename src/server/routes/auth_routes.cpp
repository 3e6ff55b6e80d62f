// Sign in and out, who am I, change my password.
#include "server/auth/crypto.h"
#include "server/routes/context.h"

namespace teamvl::server {
namespace {

HttpResponse login(ServerContext& ctx, HttpRequest& req) {
  auto body = parse_json_object(req);
  if (!body.ok()) return HttpResponse::from_status(body.status());
  auto username = req_string(*body, "username", 128);
  if (!username.ok()) return HttpResponse::from_status(username.status());
  auto password = req_string(*body, "password", 1024);
  if (!password.ok()) return HttpResponse::from_status(password.status());

  if (int64_t wait = ctx.throttle.retry_after(*username, req.client_addr); wait > 0) {
    return HttpResponse::error(429, "too_many_attempts",
                               "too many failed sign-ins; try again in " + std::to_string(wait) + " s")
        .with_header("Retry-After", std::to_string(wait));
  }
  auto user = ctx.store.find_user(*username);
  // Hash even for unknown names so timing does not reveal which names exist.
  static const std::string kDummyHash = hash_password("not-a-real-password").value();
  bool ok = verify_password(user.ok() ? user->password_hash : kDummyHash, *password) && user.ok();
  if (!ok) {
    ctx.throttle.record_failure(*username, req.client_addr);
    return HttpResponse::error(401, "invalid_credentials", "wrong username or password");
  }
  if (user->disabled) return HttpResponse::error(403, "account_disabled", "this account is disabled");
  ctx.throttle.record_success(*username);
  auto session = ctx.auth.start_session(*user, req.client_addr);
  if (!session.ok()) return HttpResponse::from_status(session.status());
  return json_response(200, {{"user", user_json(*user)}, {"csrf_token", session->first.csrf_token}})
      .with_header("Set-Cookie", ctx.auth.session_cookie(session->second, req.secure));
}

}  // namespace

void add_auth_routes(Router& r, ServerContext& ctx) {
  r.add("POST", "/api/v1/auth/login", guarded([&ctx](HttpRequest& req) { return login(ctx, req); }));

  r.add("POST", "/api/v1/auth/logout", authed(ctx, Access::kAnyMember, [&ctx](HttpRequest& req, Caller& c) {
    if (c.session) {
      if (Status s = ctx.store.delete_session(c.session->token_hash); !s.ok()) return HttpResponse::from_status(s);
    }
    HttpResponse res;
    res.status = 204;
    return res.with_header("Set-Cookie", Authenticator::clear_cookie(req.secure));
  }));

  r.add("GET", "/api/v1/auth/me", authed(ctx, Access::kAnyMember, [&ctx](HttpRequest&, Caller& c) {
    Json out{{"user", user_json(c.user)}, {"auth", c.via_cookie() ? "session" : "api_key"}};
    if (c.session) out["csrf_token"] = c.session->csrf_token;
    return json_response(200, out);
  }));

  r.add("POST", "/api/v1/auth/password", authed(ctx, Access::kAnyMember, [&ctx](HttpRequest& req, Caller& c) {
    auto body = parse_json_object(req);
    if (!body.ok()) return HttpResponse::from_status(body.status());
    auto current = req_string(*body, "current_password", 1024);
    if (!current.ok()) return HttpResponse::from_status(current.status());
    auto next = req_string(*body, "new_password", 1024);
    if (!next.ok()) return HttpResponse::from_status(next.status());
    if (Status s = check_password_rules(*next); !s.ok()) return HttpResponse::from_status(s);
    if (!verify_password(c.user.password_hash, *current))
      return HttpResponse::error(403, "invalid_credentials", "current password is wrong");
    if (*current == *next)
      return HttpResponse::error(400, "invalid_argument", "the new password must differ from the current one");
    auto hash = hash_password(*next);
    if (!hash.ok()) return HttpResponse::from_status(hash.status());
    store::User u = c.user;
    u.password_hash = *hash;
    u.must_change_password = false;
    u.updated_at = ctx.clock.now_unix();
    Status st = ctx.store.in_transaction([&]() -> Status {
      TEAMVL_RETURN_IF_ERROR(ctx.store.update_user(u));
      // Other browsers signed in with the old password are signed out.
      TEAMVL_RETURN_IF_ERROR(ctx.store.delete_user_sessions(u.id));
      if (c.session) TEAMVL_RETURN_IF_ERROR(ctx.store.create_session(*c.session));
      return audit(ctx, &c, req, "password.change", "user:" + std::to_string(u.id), Json::object());
    });
    if (!st.ok()) return HttpResponse::from_status(st);
    HttpResponse res;
    res.status = 204;
    return res;
  }));
}

}  // namespace teamvl::server
