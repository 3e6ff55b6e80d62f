// First run: while no admin exists, POST /api/v1/setup with the one-time
// token from the server log creates the first admin; then setup is closed.
#include "server/auth/crypto.h"
#include "server/routes/context.h"

namespace teamvl::server {

void add_setup_routes(Router& r, ServerContext& ctx) {
  r.add("GET", "/api/v1/health", guarded([&ctx](HttpRequest&) {
    auto done = ctx.store.setup_done();
    if (!done.ok()) return HttpResponse::from_status(done.status());
    return json_response(200, {{"status", "ok"}, {"version", ctx.config.version}, {"setup_required", !*done}});
  }));

  r.add("GET", "/api/v1/setup", guarded([&ctx](HttpRequest&) {
    auto done = ctx.store.setup_done();
    if (!done.ok()) return HttpResponse::from_status(done.status());
    return json_response(200, {{"setup_required", !*done}});
  }));

  r.add("POST", "/api/v1/setup", guarded([&ctx](HttpRequest& req) {
    auto body = parse_json_object(req);
    if (!body.ok()) return HttpResponse::from_status(body.status());
    auto token = req_string(*body, "token", 256);
    auto username = req_string(*body, "username", 128);
    auto password = req_string(*body, "password", 1024);
    auto display = opt_string(*body, "display_name", 128);
    for (const Status* s : {&token.status(), &username.status(), &password.status(), &display.status()})
      if (!s->ok()) return HttpResponse::from_status(*s);
    if (Status s = check_password_rules(*password); !s.ok()) return HttpResponse::from_status(s);

    std::lock_guard<std::mutex> lock(ctx.setup_mu);
    auto done = ctx.store.setup_done();
    if (!done.ok()) return HttpResponse::from_status(done.status());
    if (*done || ctx.setup_token.empty())
      return HttpResponse::error(409, "setup_closed", "setup is already done; sign in instead");
    if (!constant_time_equal(*token, ctx.setup_token))
      return HttpResponse::error(403, "invalid_setup_token",
                                 "wrong setup token; use the one printed in the server log");
    auto hash = hash_password(*password);
    if (!hash.ok()) return HttpResponse::from_status(hash.status());
    store::User admin;
    admin.username = *username;
    admin.display_name = display->value_or(*username);
    admin.role = store::Role::kAdmin;
    admin.password_hash = *hash;
    store::User created;
    Status st = ctx.store.in_transaction([&]() -> Status {
      TEAMVL_ASSIGN_OR_RETURN(created, ctx.store.complete_setup(admin));
      Caller c;
      c.user = created;
      return audit(ctx, &c, req, "setup.complete", "user:" + std::to_string(created.id), Json::object());
    });
    if (!st.ok()) return HttpResponse::from_status(st);
    ctx.setup_token.clear();
    return json_response(201, {{"user", user_json(created)}});
  }));
}

}  // namespace teamvl::server
