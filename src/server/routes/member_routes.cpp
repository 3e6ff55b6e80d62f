// The team's directory: who can own a pipeline step or review one. Every
// signed-in member may read it; it holds names and roles only (no e-mail
// beyond the username, no activity), and leaves disabled accounts out.
#include "server/routes/context.h"

namespace teamvl::server {

void add_member_routes(Router& r, ServerContext& ctx) {
  r.add("GET", "/api/v1/members", authed(ctx, Access::kMember, [&ctx](HttpRequest&, Caller&) {
    auto users = ctx.store.list_users();
    if (!users.ok()) return HttpResponse::from_status(users.status());
    Json out = Json::array();
    for (const auto& u : *users) {
      if (u.disabled) continue;
      out.push_back({{"username", u.username}, {"display_name", u.display_name}, {"role", store::role_name(u.role)}});
    }
    return json_response(200, {{"members", out}});
  }));
}

}  // namespace teamvl::server
