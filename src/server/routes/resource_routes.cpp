// Monitoring and usage: the brief's GET /api/v1/resources (admins, bearer or
// session) and each member's own usage against their quota.
#include "scheduler/engine_loop.h"
#include "server/routes/context.h"
#include "server/tasks/task_images.h"

namespace teamvl::server {

void add_resource_routes(Router& r, ServerContext& ctx) {
  // Shape kept from the brief: {"gpu_usage", "active_users", "memory_allocated"}.
  // This build runs on the CPU: no GPU reading exists, so gpu_usage is null and
  // the engine's busy share is reported beside it as engine_usage.
  r.add("GET", "/api/v1/resources", authed(ctx, Access::kAdmin, [&ctx](HttpRequest&, Caller&) {
    scheduler::LoopStats st = ctx.loop->stats();
    std::map<int64_t, std::string> names;
    if (auto users = ctx.store.list_users(); users.ok())
      for (const auto& u : *users) names[u.id] = u.username;
    Json memory = Json::object();
    Json members = Json::array();
    for (const auto& m : st.members) {
      std::string name = names.count(m.member) ? names[m.member] : "user:" + std::to_string(m.member);
      memory[name] = static_cast<double>(m.kv_bytes) / (1 << 30);
      members.push_back({{"member", name}, {"running", m.running}, {"queued", m.queued},
                         {"kv_bytes", m.kv_bytes}, {"kv_cached_bytes", m.kv_cached_bytes},
                         {"kv_budget_bytes", m.kv_budget_bytes}});
    }
    Json out{{"gpu_usage", nullptr},
             {"active_users", st.running_members},
             {"memory_allocated", memory},
             {"device", "cpu"},
             {"engine_usage", st.busy_fraction * 100.0},
             {"tokens_per_second", st.tokens_per_second},
             {"decode_tokens_per_second", st.decode_tokens_per_second},
             {"running_tasks", st.running_tasks},
             {"queue_length", st.queued_tasks},
             {"kv_used_bytes", st.kv_used_bytes},
             {"kv_capacity_bytes", st.kv_capacity_bytes},
             {"members", members},
             {"policy", scheduler::policy_name(st.policy)},
             {"max_users", ctx.config.max_users},
             {"gpu_mem_per_user_gib", ctx.config.quota_defaults.memory_budget_gib},
             {"vision", ctx.images != nullptr && ctx.images->available()},
             {"image_encodes", ctx.images ? ctx.images->encodes() : 0},
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
