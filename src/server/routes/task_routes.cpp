// Tasks and the queue: submit, inspect, cancel and stream one's own tasks;
// the live team view (read-only, content hidden unless the team allows it);
// priorities within the rules (members may lower, not raise, their own).
#include "server/routes/context.h"
#include "server/tasks/task_service.h"
#include "server/tasks/team_events.h"

namespace teamvl::server {
namespace {

Json task_json(const store::Task& t, bool with_content) {
  Json j{{"id", t.id},
         {"user_id", t.user_id},
         {"kind", t.kind},
         {"state", t.state},
         {"priority", t.priority},
         {"label", t.label},
         {"input_tokens", t.input_tokens},
         {"output_tokens", t.output_tokens},
         {"attempts", t.attempts},
         {"timeout_s", t.timeout_s},
         {"session_id", t.session_id ? Json(*t.session_id) : Json(nullptr)},
         {"created_at", t.created_at},
         {"started_at", t.started_at},
         {"finished_at", t.finished_at},
         {"compute_seconds", t.compute_seconds}};
  if (!t.error_code.empty()) j["error"] = {{"code", t.error_code}, {"message", t.error_message}};
  if (with_content) {
    j["result_text"] = t.result_text;
    j["request"] = Json::parse(t.request_json, nullptr, false);
  }
  return j;
}

// The caller's own task, or NotFound (also for other members' tasks).
Result<store::Task> own_task(ServerContext& ctx, const HttpRequest& req, const Caller& c) {
  TEAMVL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
  auto t = ctx.store.get_task(id);
  if (!t.ok() || t->user_id != c.user.id) return Status::NotFound("no task with id " + std::to_string(id));
  return t;
}

bool show_content_in_team_view(ServerContext& ctx) {
  auto s = ctx.store.get_team_settings();
  if (!s.ok()) return false;
  auto it = s->find("show_content_in_team_view");
  return it != s->end() && it->second == "true";
}

}  // namespace

HttpResponse quota_denied_response(const scheduler::QuotaDenial& d, int64_t now) {
  Json body{{"error",
             {{"code", "quota_exceeded"},
              {"message", d.message},
              {"quota", d.quota},
              {"limit", d.limit},
              {"used", d.used},
              {"resets_at", d.resets_at ? Json(d.resets_at) : Json(nullptr)}}}};
  int64_t retry = d.resets_at ? std::max<int64_t>(1, d.resets_at - now) : 5;
  return json_response(429, body).with_header("Retry-After", std::to_string(retry));
}

Json team_view_json(ServerContext& ctx) {
  bool content = show_content_in_team_view(ctx);
  scheduler::TeamView view = ctx.loop->team_view();
  std::map<int64_t, std::string> names;
  if (auto users = ctx.store.list_users(); users.ok())
    for (const auto& u : *users) names[u.id] = u.display_name.empty() ? u.username : u.display_name;
  auto describe = [&](int64_t task_id) {
    Json j{{"task_id", task_id}};
    if (auto t = ctx.store.get_task(task_id); t.ok()) {
      j["label"] = content ? Json(t->label) : Json(nullptr);
      j["input_tokens"] = t->input_tokens;
      j["created_at"] = t->created_at;
    }
    return j;
  };
  Json running = Json::array();
  for (const auto& r : view.running) {
    Json j = describe(r.task_id);
    j["member"] = names[r.member];
    j["member_id"] = r.member;
    j["state"] = "running";
    j["priority"] = r.priority;
    j["output_tokens"] = r.n_output;
    j["max_output_tokens"] = r.max_output;
    j["progress"] = r.max_output > 0 ? static_cast<double>(r.n_output) / r.max_output : 0.0;
    running.push_back(j);
  }
  Json queued = Json::array();
  for (const auto& m : view.queue.members)
    for (size_t i = 0; i < m.queued.size(); ++i) {
      Json j = describe(m.queued[i].task_id);
      j["member"] = names[m.member];
      j["member_id"] = m.member;
      j["state"] = "queued";
      j["priority"] = m.queued[i].priority;
      j["position"] = i < m.positions.size() ? m.positions[i] : 0;
      queued.push_back(j);
    }
  std::sort(queued.begin(), queued.end(), [](const Json& a, const Json& b) { return a["position"] < b["position"]; });
  return Json{{"policy", scheduler::policy_name(view.queue.policy)},
              {"content_visible", content},
              {"running", running},
              {"queued", queued}};
}

void add_task_routes(Router& r, ServerContext& ctx) {
  r.add("POST", "/api/v1/tasks", authed(ctx, Access::kWriter, [&ctx](HttpRequest& req, Caller& c) {
    auto body = parse_json_object(req);
    if (!body.ok()) return HttpResponse::from_status(body.status());
    auto request = parse_task_request(*body, model_defaults(ctx));
    if (!request.ok()) return HttpResponse::from_status(request.status());
    std::optional<scheduler::QuotaDenial> denial;
    auto task = ctx.tasks->submit(c.user, c.api_key_id, store::task_kind::kChat, std::move(request).value(), &denial);
    if (denial) return quota_denied_response(*denial, ctx.clock.now_unix());
    if (!task.ok()) return HttpResponse::from_status(task.status());
    return json_response(202, {{"task", task_json(*task, true)},
                               {"events", "/api/v1/tasks/" + std::to_string(task->id) + "/events"}});
  }));

  r.add("GET", "/api/v1/tasks/{id}", authed(ctx, Access::kMember, [&ctx](HttpRequest& req, Caller& c) {
    auto t = own_task(ctx, req, c);
    if (!t.ok()) return HttpResponse::from_status(t.status());
    Json j = task_json(*t, true);
    if (t->state == store::task_state::kRunning)
      if (auto ch = ctx.tasks->channel(t->id)) j["result_text"] = ch->text();
    return json_response(200, {{"task", j}});
  }));

  r.add("DELETE", "/api/v1/tasks/{id}", authed(ctx, Access::kMember, [&ctx](HttpRequest& req, Caller& c) {
    auto t = own_task(ctx, req, c);
    if (!t.ok()) return HttpResponse::from_status(t.status());
    if (Status s = ctx.tasks->cancel(t->id); !s.ok()) return HttpResponse::from_status(s);
    auto after = ctx.store.get_task(t->id);
    if (!after.ok()) return HttpResponse::from_status(after.status());
    return json_response(200, {{"task", task_json(*after, true)}});
  }));

  r.add("GET", "/api/v1/tasks/{id}/events", authed(ctx, Access::kMember, [&ctx](HttpRequest& req, Caller& c) {
    auto t = own_task(ctx, req, c);
    if (!t.ok()) return HttpResponse::from_status(t.status());
    int64_t last = 0;
    if (auto h = req.header("Last-Event-ID")) last = std::atoll(h->c_str());
    HttpResponse res;
    if (auto ch = ctx.tasks->channel(t->id)) {
      res.sse = ch->subscribe(last);
      return res;
    }
    // Started before this process: the store has the outcome (or it is queued again).
    res.sse = std::make_shared<SseStream>();
    Json j = task_json(*t, true);
    res.sse->send({"1", store::is_final_task_state(t->state) ? "done" : "queued", j.dump()});
    res.sse->close();
    return res;
  }));

  r.add("GET", "/api/v1/queue", authed(ctx, Access::kMember, [&ctx](HttpRequest& req, Caller& c) {
    std::vector<std::string> states = {store::task_state::kQueued, store::task_state::kRunning};
    if (req.query.count("all")) states.clear();
    auto tasks = ctx.store.list_tasks({c.user.id, states, 200, std::nullopt});
    if (!tasks.ok()) return HttpResponse::from_status(tasks.status());
    Json view = team_view_json(ctx);
    std::map<int64_t, int64_t> positions;
    for (const auto& q : view["queued"]) positions[q["task_id"]] = q["position"];
    Json arr = Json::array();
    for (const auto& t : *tasks) {
      Json j = task_json(t, false);
      if (positions.count(t.id)) j["position"] = positions[t.id];
      arr.push_back(j);
    }
    return json_response(200, {{"tasks", arr}});
  }));

  r.add("GET", "/api/v1/queue/team", authed(ctx, Access::kMember, [&ctx](HttpRequest&, Caller&) {
    return json_response(200, team_view_json(ctx));
  }));

  r.add("GET", "/api/v1/events/team", authed(ctx, Access::kMember, [&ctx](HttpRequest&, Caller&) {
    HttpResponse res;
    res.sse = ctx.team_events->subscribe();
    return res;
  }));

  // The brief's route: {"task_id", "priority"} or, for admins, {"user_id", "priority"}
  // (which sets the member's ceiling and default).
  r.add("POST", "/api/v1/queue/priority", authed(ctx, Access::kWriter, [&ctx](HttpRequest& req, Caller& c) {
    auto body = parse_json_object(req);
    if (!body.ok()) return HttpResponse::from_status(body.status());
    auto prio = opt_int(*body, "priority", 0, scheduler::kMaxPriority);
    auto task_id = opt_int(*body, "task_id", 1, INT64_MAX);
    auto user_id = opt_int(*body, "user_id", 1, INT64_MAX);
    for (const Status* s : {&prio.status(), &task_id.status(), &user_id.status()})
      if (!s->ok()) return HttpResponse::from_status(*s);
    if (!*prio) return HttpResponse::error(400, "invalid_argument", "field 'priority' (0 low .. 3 urgent) is required");
    if (*task_id == std::nullopt && *user_id == std::nullopt)
      return HttpResponse::error(400, "invalid_argument", "give 'task_id' or 'user_id'");
    if (*user_id) {
      if (c.user.role != store::Role::kAdmin)
        return HttpResponse::error(403, "permission_denied", "only admins set a member's priority");
      auto q = ctx.store.get_quota(**user_id);
      if (!q.ok()) return HttpResponse::from_status(q.status());
      store::Quota quota = *q;
      quota.user_id = **user_id;
      quota.priority_ceiling = **prio;
      Status st = ctx.store.in_transaction([&]() -> Status {
        TEAMVL_RETURN_IF_ERROR(ctx.store.set_quota(quota));
        return audit(ctx, &c, req, "priority.member", "user:" + std::to_string(**user_id), *body);
      });
      if (!st.ok()) return HttpResponse::from_status(st);
      return json_response(200, {{"user_id", **user_id}, {"priority", **prio}});
    }
    auto t = ctx.store.get_task(**task_id);
    bool admin = c.user.role == store::Role::kAdmin;
    if (!t.ok() || (t->user_id != c.user.id && !admin))
      return HttpResponse::error(404, "not_found", "no task with id " + std::to_string(**task_id));
    if (!admin) {
      auto q = ctx.store.get_quota(c.user.id);
      if (!q.ok()) return HttpResponse::from_status(q.status());
      auto eff = scheduler::effective_quota(*q, ctx.config.quota_defaults);
      if (**prio > eff.priority_ceiling)
        return HttpResponse::error(403, "permission_denied",
                                   "members may lower their own priority, not raise it above " +
                                       std::to_string(eff.priority_ceiling));
    }
    Status st = ctx.loop->set_priority(t->id, static_cast<int>(**prio));
    if (st.ok()) st = ctx.store.set_task_priority(t->id, static_cast<int>(**prio));
    if (!st.ok()) return HttpResponse::from_status(st);
    return json_response(200, {{"task_id", t->id}, {"priority", **prio}});
  }));
}

}  // namespace teamvl::server
