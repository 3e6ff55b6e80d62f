// Load history for the Monitor page: GET /api/v1/metrics/history?range=hour|day|week
// (admins). A sampler thread reads the engine loop's counters (the same
// LoopStats that /api/v1/resources reports) every few seconds into a
// MetricsHistory. The route handler owns both, so they live as long as the
// server's router and the sampler stops (woken, joined) when it goes away.
#include <memory>

#include "scheduler/engine_loop.h"
#include "server/metrics_history.h"
#include "server/routes/context.h"

namespace teamvl::server {
namespace {

constexpr int kSampleIntervalMs = 5000;

MetricsSample take_sample(ServerContext& ctx) {
  scheduler::LoopStats st = ctx.loop->stats();
  MetricsSample s;
  s.at = ctx.clock.now_unix();
  s.engine_usage = st.busy_fraction * 100.0;
  s.tokens_per_second = st.tokens_per_second;
  s.decode_tokens_per_second = st.decode_tokens_per_second;
  s.running_tasks = st.running_tasks;
  s.queued_tasks = st.queued_tasks;
  s.active_users = st.running_members;
  s.kv_used_bytes = static_cast<double>(st.kv_used_bytes);
  s.kv_capacity_bytes = static_cast<double>(st.kv_capacity_bytes);
  for (const auto& m : st.members)
    if (m.kv_bytes > 0) s.member_kv_bytes[m.member] = static_cast<double>(m.kv_bytes);
  return s;
}

// Holds the history and its sampler; declared in this order so the sampler
// (which writes into the history) is destroyed first.
struct MetricsRecorder {
  explicit MetricsRecorder(ServerContext& ctx)
      : sampler(history, [&ctx] { return take_sample(ctx); }, kSampleIntervalMs) {}
  MetricsHistory history;
  MetricsSampler sampler;
};

Json points_json(ServerContext& ctx, const std::vector<MetricsSample>& points) {
  // Member names are looked up per request: a renamed member shows the new name.
  std::map<int64_t, std::string> names;
  if (auto users = ctx.store.list_users(); users.ok())
    for (const auto& u : *users) names[u.id] = u.username;
  Json out = Json::array();
  for (const auto& p : points) {
    Json memory = Json::object();
    for (const auto& [member, bytes] : p.member_kv_bytes) {
      std::string name = names.count(member) ? names[member] : "user:" + std::to_string(member);
      memory[name] = bytes / (1 << 30);
    }
    out.push_back({{"at", p.at},
                   {"engine_usage", p.engine_usage},
                   {"tokens_per_second", p.tokens_per_second},
                   {"decode_tokens_per_second", p.decode_tokens_per_second},
                   {"running_tasks", p.running_tasks},
                   {"queue_length", p.queued_tasks},
                   {"active_users", p.active_users},
                   {"kv_used_bytes", p.kv_used_bytes},
                   {"kv_capacity_bytes", p.kv_capacity_bytes},
                   {"memory_allocated", memory}});
  }
  return out;
}

}  // namespace

void add_metrics_routes(Router& r, ServerContext& ctx) {
  auto recorder = std::make_shared<MetricsRecorder>(ctx);
  r.add("GET", "/api/v1/metrics/history",
        authed(ctx, Access::kAdmin, [&ctx, recorder](HttpRequest& req, Caller&) {
          auto it = req.query.find("range");
          auto range = parse_metrics_range(it == req.query.end() ? "hour" : it->second);
          if (!range.ok()) return HttpResponse::from_status(range.status());
          int64_t now = ctx.clock.now_unix();
          auto points = recorder->history.points(*range, now);
          return json_response(200, {{"range", it == req.query.end() ? "hour" : it->second},
                                     {"step_seconds", recorder->history.step_seconds(*range)},
                                     {"sample_interval_seconds", kSampleIntervalMs / 1000},
                                     {"now", now},
                                     {"points", points_json(ctx, points)}});
        }));
}

}  // namespace teamvl::server
