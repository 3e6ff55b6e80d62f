// Monitoring and usage: the brief's GET /api/v1/resources (admins, bearer or
// session) and each member's own usage against their quota.
#include "server/routes/context.h"

namespace teamvl::server {

void add_resource_routes(Router& r, ServerContext& ctx) {
  // Shape kept from the brief: {"gpu_usage", "active_users", "memory_allocated"}.
  // Until the scheduler and engine report load, the honest values are: no GPU
  // reading (null), nobody running, nothing allocated.
  r.add("GET", "/api/v1/resources", authed(ctx, Access::kAdmin, [&ctx](HttpRequest&, Caller&) {
    Json out{{"gpu_usage", nullptr},
             {"active_users", 0},
             {"memory_allocated", Json::object()},
             {"queue_length", 0},
             {"max_users", ctx.config.max_users},
             {"gpu_mem_per_user_gib", ctx.config.quota_defaults.memory_budget_gib},
             {"at", ctx.clock.now_unix()}};
    return json_response(200, out);
  }));

  // OpenAI-compatible model list. A demo model says so in its own entry.
  r.add("GET", "/v1/models", authed(ctx, Access::kMember, [&ctx](HttpRequest&, Caller&) {
    const ModelInfo& m = ctx.config.model;
    Json entry{{"id", m.id},
               {"object", "model"},
               {"created", m.loaded_at},
               {"owned_by", "teamvl"},
               {"description", m.description},
               {"demo", m.is_demo}};
    if (m.is_demo)
      entry["note"] = "random-weight demo model: answers are gibberish; start teamvl with --model and --mmproj "
                      "pointing at a Qwen3-VL GGUF pair";
    return json_response(200, {{"object", "list"}, {"data", Json::array({entry})}});
  }));

  r.add("GET", "/api/v1/usage", authed(ctx, Access::kMember, [&ctx](HttpRequest&, Caller& c) {
    int64_t now = ctx.clock.now_unix();
    auto today = ctx.store.get_usage(c.user.id, scheduler::utc_day(now));
    if (!today.ok()) return HttpResponse::from_status(today.status());
    auto q = ctx.store.get_quota(c.user.id);
    if (!q.ok()) return HttpResponse::from_status(q.status());
    Json quota = quota_json(*q, scheduler::effective_quota(*q, ctx.config.quota_defaults));
    return json_response(200, {{"today", usage_json(*today)},
                               {"quota", quota["effective"]},
                               {"resets_at", scheduler::next_utc_midnight(now)}});
  }));
}

}  // namespace teamvl::server
