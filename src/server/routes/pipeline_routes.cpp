// Relay pipelines: definitions (versioned; only the owner or an admin edits
// or deletes one), runs (started by the owner, a step owner or an admin),
// their progress and events, and reviews (only the review step's owner or an
// admin). Every member may read definitions and runs: they are team work.
// A member who may not change something gets 403 (not 404), since they can see it.
#include "server/pipelines/pipeline_runner.h"
#include "server/routes/context.h"
#include "server/tasks/task_channel.h"
#include "server/tasks/task_request.h"

namespace teamvl::server {
namespace {

using pipelines::ItemProgress;

bool is_admin(const Caller& c) { return c.user.role == store::Role::kAdmin; }

std::string username_of(ServerContext& ctx, int64_t id) {
  auto u = ctx.store.get_user(id);
  return u.ok() ? u->username : "";
}

Json pipeline_json(ServerContext& ctx, const store::Pipeline& p, const std::string& definition_json) {
  return Json{{"id", p.id},
              {"name", p.name},
              {"owner_id", p.owner_id},
              {"owner", username_of(ctx, p.owner_id)},
              {"version", p.version},
              {"created_at", p.created_at},
              {"updated_at", p.updated_at},
              {"definition", Json::parse(definition_json, nullptr, false)}};
}

// The caller sees their own copies of the item's page images (to show the
// source beside the result) when they own a step of it.
Json item_json(const store::RunItem& it, const pipelines::PipelineDef& def) {
  Json src = Json::parse(it.source_json, nullptr, false);
  Json j{{"id", it.id},
         {"position", it.position},
         {"name", it.name},
         {"folder", it.folder},
         {"state", it.state},
         {"step_index", it.step_index},
         {"step", it.step_index < static_cast<int64_t>(def.steps.size()) ? Json(def.steps[it.step_index].name)
                                                                          : Json(nullptr)},
         {"task_id", it.task_id ? Json(*it.task_id) : Json(nullptr)},
         {"source", {{"file_id", src.value("file_id", 0)}, {"file_name", src.value("file_name", "")},
                     {"kind", src.value("kind", "")}, {"pages", src.contains("pages") ? src["pages"].size() : 0}}},
         {"updated_at", it.updated_at}};
  Json steps = ItemProgress::parse(it.steps_json, def.steps.size()).view();
  for (size_t i = 0; i < steps.size() && i < def.steps.size(); ++i) {
    steps[i]["name"] = def.steps[i].name;
    steps[i]["type"] = def.steps[i].review ? "review" : "generate";
    steps[i]["owner"] = def.steps[i].owner;
  }
  j["steps"] = steps;
  return j;
}

Json run_json(ServerContext& ctx, PipelineRunner& runner, const store::PipelineRun& run, bool with_items) {
  Json j{{"id", run.id},
         {"pipeline_id", run.pipeline_id},
         {"version", run.version},
         {"started_by", username_of(ctx, run.started_by)},
         {"state", run.state},
         {"error", run.error},
         {"created_at", run.created_at},
         {"updated_at", run.updated_at},
         {"finished_at", run.finished_at}};
  auto def = runner.definition(run.pipeline_id, run.version);
  auto items = ctx.store.list_run_items(run.id);
  if (!def.ok() || !items.ok()) return j;
  j["shared_path"] = def->name + "/" + std::to_string(run.id);
  std::map<std::string, int> counts;
  Json arr = Json::array();
  for (const auto& it : *items) {
    counts[it.state]++;
    if (with_items) arr.push_back(item_json(it, *def));
  }
  j["progress"] = {{"items", items->size()}, {"by_state", counts}};
  if (with_items) j["items"] = arr;
  return j;
}

// The definition in a request body: the object itself or {"yaml": "..."}.
Result<Json> definition_body(const HttpRequest& req) {
  TEAMVL_ASSIGN_OR_RETURN(Json body, parse_json_object(req));
  if (body.size() == 1 && body.contains("yaml")) {
    if (!body["yaml"].is_string()) return Status::InvalidArgument("'yaml' must be a string");
    TEAMVL_ASSIGN_OR_RETURN(Json j, pipelines::yaml_to_json(body["yaml"].get<std::string>()));
    if (!j.is_object()) return Status::InvalidArgument("'yaml' must hold a mapping (the pipeline definition)");
    return j;
  }
  return body;
}

// Parses and checks a definition, sampling parameters included.
Result<pipelines::PipelineDef> checked_definition(PipelineRunner& runner, const Json& j) {
  TEAMVL_ASSIGN_OR_RETURN(pipelines::PipelineDef def, pipelines::parse_definition(j, runner.defaults(), runner.lookups()));
  for (size_t i = 0; i < def.steps.size(); ++i) {
    TaskRequest probe;
    Status st = apply_params(Json::parse(def.steps[i].params_json), &probe);
    if (!st.ok()) return Status::InvalidArgument("steps[" + std::to_string(i) + "].params: " + st.message());
  }
  return def;
}

Result<store::Pipeline> find_pipeline(ServerContext& ctx, const HttpRequest& req) {
  TEAMVL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
  return ctx.store.get_pipeline(id);
}

Status may_edit(const store::Pipeline& p, const Caller& c) {
  if (p.owner_id == c.user.id || is_admin(c)) return Status::Ok();
  return Status::PermissionDenied("only the pipeline's owner or an admin may change it");
}

HttpResponse respond(const Status& st, const std::function<HttpResponse()>& ok) {
  return st.ok() ? ok() : HttpResponse::from_status(st);
}

void add_definition_routes(Router& r, ServerContext& ctx, PipelineRunner& runner) {
  r.add("GET", "/api/v1/pipelines", authed(ctx, Access::kMember, [&ctx](HttpRequest&, Caller&) {
    auto list = ctx.store.list_pipelines();
    if (!list.ok()) return HttpResponse::from_status(list.status());
    Json arr = Json::array();
    for (const auto& p : *list) {
      auto v = ctx.store.get_pipeline_version(p.id, p.version);
      arr.push_back(pipeline_json(ctx, p, v.ok() ? v->definition_json : "{}"));
    }
    return json_response(200, {{"pipelines", arr}});
  }));

  r.add("POST", "/api/v1/pipelines", authed(ctx, Access::kWriter, [&ctx, &runner](HttpRequest& req, Caller& c) {
    auto body = definition_body(req);
    if (!body.ok()) return HttpResponse::from_status(body.status());
    auto def = checked_definition(runner, *body);
    if (!def.ok()) return HttpResponse::from_status(def.status());
    std::string stored = pipelines::definition_to_json(*def).dump();
    store::Pipeline p;
    p.owner_id = c.user.id;
    p.name = def->name;
    Result<store::Pipeline> created = Status::Internal("not created");
    Status st = ctx.store.in_transaction([&]() -> Status {
      created = ctx.store.create_pipeline(p, stored);
      TEAMVL_RETURN_IF_ERROR(created.status());
      return audit(ctx, &c, req, "pipeline.create", "pipeline:" + std::to_string(created->id), {{"name", p.name}});
    });
    return respond(st, [&] { return json_response(201, {{"pipeline", pipeline_json(ctx, *created, stored)}}); });
  }));

  r.add("GET", "/api/v1/pipelines/{id}", authed(ctx, Access::kMember, [&ctx](HttpRequest& req, Caller&) {
    auto p = find_pipeline(ctx, req);
    if (!p.ok()) return HttpResponse::from_status(p.status());
    auto version = opt_int(Json{{"version", req.query.count("version") ? Json::parse(req.query["version"], nullptr, false)
                                                                          : Json(nullptr)}},
                           "version", 1, INT64_MAX);
    if (!version.ok()) return HttpResponse::from_status(version.status());
    auto v = ctx.store.get_pipeline_version(p->id, version->value_or(p->version));
    if (!v.ok()) return HttpResponse::from_status(v.status());
    Json j = pipeline_json(ctx, *p, v->definition_json);
    j["definition_version"] = v->version;
    return json_response(200, {{"pipeline", j}});
  }));

  r.add("GET", "/api/v1/pipelines/{id}/versions", authed(ctx, Access::kMember, [&ctx](HttpRequest& req, Caller&) {
    auto p = find_pipeline(ctx, req);
    if (!p.ok()) return HttpResponse::from_status(p.status());
    auto versions = ctx.store.list_pipeline_versions(p->id);
    if (!versions.ok()) return HttpResponse::from_status(versions.status());
    Json arr = Json::array();
    for (const auto& v : *versions)
      arr.push_back({{"version", v.version}, {"created_by", username_of(ctx, v.created_by)}, {"created_at", v.created_at},
                     {"definition", Json::parse(v.definition_json, nullptr, false)}});
    return json_response(200, {{"versions", arr}});
  }));

  r.add("PUT", "/api/v1/pipelines/{id}", authed(ctx, Access::kWriter, [&ctx, &runner](HttpRequest& req, Caller& c) {
    auto p = find_pipeline(ctx, req);
    if (!p.ok()) return HttpResponse::from_status(p.status());
    if (Status st = may_edit(*p, c); !st.ok()) return HttpResponse::from_status(st);
    auto body = definition_body(req);
    if (!body.ok()) return HttpResponse::from_status(body.status());
    auto def = checked_definition(runner, *body);
    if (!def.ok()) return HttpResponse::from_status(def.status());
    std::string stored = pipelines::definition_to_json(*def).dump();
    Result<store::Pipeline> updated = Status::Internal("not updated");
    Status st = ctx.store.in_transaction([&]() -> Status {
      updated = ctx.store.add_pipeline_version(p->id, def->name, stored, c.user.id);
      TEAMVL_RETURN_IF_ERROR(updated.status());
      return audit(ctx, &c, req, "pipeline.update", "pipeline:" + std::to_string(p->id), {{"version", updated->version}});
    });
    return respond(st, [&] { return json_response(200, {{"pipeline", pipeline_json(ctx, *updated, stored)}}); });
  }));

  r.add("DELETE", "/api/v1/pipelines/{id}", authed(ctx, Access::kWriter, [&ctx](HttpRequest& req, Caller& c) {
    auto p = find_pipeline(ctx, req);
    if (!p.ok()) return HttpResponse::from_status(p.status());
    if (Status st = may_edit(*p, c); !st.ok()) return HttpResponse::from_status(st);
    auto active = ctx.store.list_runs(p->id, {store::run_state::kRunning, store::run_state::kPaused}, 1);
    if (!active.ok()) return HttpResponse::from_status(active.status());
    if (!active->empty())
      return HttpResponse::error(409, "failed_precondition", "the pipeline has a run in progress; cancel it first");
    Status st = ctx.store.in_transaction([&]() -> Status {
      TEAMVL_RETURN_IF_ERROR(ctx.store.delete_pipeline(p->id));
      return audit(ctx, &c, req, "pipeline.delete", "pipeline:" + std::to_string(p->id), {{"name", p->name}});
    });
    return respond(st, [] {
      HttpResponse res;
      res.status = 204;
      return res;
    });
  }));
}

}  // namespace

static void add_run_routes(Router& r, ServerContext& ctx, PipelineRunner& runner);

void add_pipeline_routes(Router& r, ServerContext& ctx, PipelineRunner& runner) {
  add_definition_routes(r, ctx, runner);
  add_run_routes(r, ctx, runner);
}

// ---- runs and reviews ----

namespace {

Result<store::PipelineRun> find_run(ServerContext& ctx, const HttpRequest& req) {
  TEAMVL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
  return ctx.store.get_run(id);
}

// Pause, resume and cancel: whoever started the run, the pipeline's owner, an admin.
Status may_control(ServerContext& ctx, const store::PipelineRun& run, const Caller& c) {
  if (run.started_by == c.user.id || is_admin(c)) return Status::Ok();
  auto p = ctx.store.get_pipeline(run.pipeline_id);
  if (p.ok() && p->owner_id == c.user.id) return Status::Ok();
  return Status::PermissionDenied("only who started the run, the pipeline's owner or an admin may do this");
}

using RunAction = Status (PipelineRunner::*)(int64_t);

void add_control_route(Router& r, ServerContext& ctx, PipelineRunner& runner, const std::string& verb, RunAction act) {
  r.add("POST", "/api/v1/runs/{id}/" + verb, authed(ctx, Access::kWriter, [&ctx, &runner, verb, act](HttpRequest& req, Caller& c) {
    auto run = find_run(ctx, req);
    if (!run.ok()) return HttpResponse::from_status(run.status());
    if (Status st = may_control(ctx, *run, c); !st.ok()) return HttpResponse::from_status(st);
    if (Status st = (runner.*act)(run->id); !st.ok()) return HttpResponse::from_status(st);
    (void)audit(ctx, &c, req, "run." + verb, "run:" + std::to_string(run->id), Json::object());
    auto fresh = ctx.store.get_run(run->id);
    if (!fresh.ok()) return HttpResponse::from_status(fresh.status());
    return json_response(200, {{"run", run_json(ctx, runner, *fresh, false)}});
  }));
}

}  // namespace

static void add_run_routes(Router& r, ServerContext& ctx, PipelineRunner& runner) {
  r.add("POST", "/api/v1/pipelines/{id}/runs", authed(ctx, Access::kWriter, [&ctx, &runner](HttpRequest& req, Caller& c) {
    auto p = find_pipeline(ctx, req);
    if (!p.ok()) return HttpResponse::from_status(p.status());
    auto def = runner.definition(p->id, p->version);
    if (!def.ok()) return HttpResponse::from_status(def.status());
    bool allowed = p->owner_id == c.user.id || is_admin(c);
    for (const auto& s : def->steps) allowed = allowed || s.owner_id == c.user.id;
    if (!allowed)
      return HttpResponse::error(403, "permission_denied",
                                 "only the pipeline's owner, a step owner or an admin may start a run");
    auto body = parse_json_object(req);
    if (!body.ok()) return HttpResponse::from_status(body.status());
    auto ids = body->find("file_ids");
    if (ids == body->end() || !ids->is_array())
      return HttpResponse::error(400, "invalid_argument", "'file_ids' must be an array of uploaded file ids");
    std::vector<int64_t> file_ids;
    for (size_t i = 0; i < ids->size(); ++i) {
      if (!(*ids)[i].is_number_integer() || (*ids)[i].get<int64_t>() < 1)
        return HttpResponse::error(400, "invalid_argument", "'file_ids[" + std::to_string(i) + "]' must be a file id");
      file_ids.push_back((*ids)[i].get<int64_t>());
    }
    auto run = runner.start_run(c.user, *p, file_ids);
    if (!run.ok()) return HttpResponse::from_status(run.status());
    (void)audit(ctx, &c, req, "run.start", "run:" + std::to_string(run->id), {{"pipeline_id", p->id}});
    return json_response(202, {{"run", run_json(ctx, runner, *run, true)},
                               {"events", "/api/v1/runs/" + std::to_string(run->id) + "/events"}});
  }));

  r.add("GET", "/api/v1/pipelines/{id}/runs", authed(ctx, Access::kMember, [&ctx, &runner](HttpRequest& req, Caller&) {
    auto p = find_pipeline(ctx, req);
    if (!p.ok()) return HttpResponse::from_status(p.status());
    auto runs = ctx.store.list_runs(p->id, {}, 200);
    if (!runs.ok()) return HttpResponse::from_status(runs.status());
    Json arr = Json::array();
    for (const auto& run : *runs) arr.push_back(run_json(ctx, runner, run, false));
    return json_response(200, {{"runs", arr}});
  }));

  r.add("GET", "/api/v1/runs/{id}", authed(ctx, Access::kMember, [&ctx, &runner](HttpRequest& req, Caller&) {
    auto run = find_run(ctx, req);
    if (!run.ok()) return HttpResponse::from_status(run.status());
    return json_response(200, {{"run", run_json(ctx, runner, *run, true)}});
  }));

  add_control_route(r, ctx, runner, "pause", &PipelineRunner::pause);
  add_control_route(r, ctx, runner, "resume", &PipelineRunner::resume);
  add_control_route(r, ctx, runner, "cancel", &PipelineRunner::cancel);

  r.add("GET", "/api/v1/runs/{id}/events", authed(ctx, Access::kMember, [&ctx, &runner](HttpRequest& req, Caller&) {
    auto run = find_run(ctx, req);
    if (!run.ok()) return HttpResponse::from_status(run.status());
    int64_t last = 0;
    if (auto h = req.header("Last-Event-ID")) last = std::atoll(h->c_str());
    HttpResponse res;
    if (auto ch = runner.events(run->id)) {
      res.sse = ch->subscribe(last);
      return res;
    }
    // The run has ended: its final state, once.
    res.sse = std::make_shared<SseStream>();
    res.sse->send({"1", "run", run_json(ctx, runner, *run, false).dump(-1, ' ', false, Json::error_handler_t::replace)});
    res.sse->close();
    return res;
  }));

  r.add("GET", "/api/v1/reviews", authed(ctx, Access::kMember, [&ctx, &runner](HttpRequest&, Caller& c) {
    auto items = runner.reviews_for(c.user);
    if (!items.ok()) return HttpResponse::from_status(items.status());
    Json arr = Json::array();
    for (const auto& it : *items) {
      auto run = ctx.store.get_run(it.run_id);
      if (!run.ok()) continue;
      auto def = runner.definition(run->pipeline_id, run->version);
      if (!def.ok()) continue;
      Json j = item_json(it, *def);
      j["run_id"] = it.run_id;
      j["pipeline"] = def->name;
      arr.push_back(j);
    }
    return json_response(200, {{"reviews", arr}});
  }));

  r.add("POST", "/api/v1/runs/{id}/items/{item_id}/review",
        authed(ctx, Access::kWriter, [&ctx, &runner](HttpRequest& req, Caller& c) {
          auto run = find_run(ctx, req);
          if (!run.ok()) return HttpResponse::from_status(run.status());
          auto item_id = path_id(req, "item_id");
          if (!item_id.ok()) return HttpResponse::from_status(item_id.status());
          auto item = ctx.store.get_run_item(*item_id);
          if (!item.ok() || item->run_id != run->id)
            return HttpResponse::error(404, "not_found", "run " + std::to_string(run->id) + " has no item " +
                                                             std::to_string(*item_id));
          auto body = parse_json_object(req);
          if (!body.ok()) return HttpResponse::from_status(body.status());
          auto action = req_string(*body, "action", 20);
          if (!action.ok()) return HttpResponse::from_status(action.status());
          if (*action != "approve" && *action != "send_back")
            return HttpResponse::error(400, "invalid_argument", "'action' must be approve or send_back");
          auto text = opt_string(*body, "text", 1 << 20);
          auto comment = opt_string(*body, "comment", 8000);
          if (!text.ok()) return HttpResponse::from_status(text.status());
          if (!comment.ok()) return HttpResponse::from_status(comment.status());
          Status st = runner.review(c.user, *item_id, *action == "approve" ? ReviewAction::kApprove : ReviewAction::kSendBack,
                                    text->value_or(""), comment->value_or(""));
          if (!st.ok()) return HttpResponse::from_status(st);
          (void)audit(ctx, &c, req, "run.review", "run_item:" + std::to_string(*item_id), {{"action", *action}});
          auto fresh = ctx.store.get_run_item(*item_id);
          auto def = runner.definition(run->pipeline_id, run->version);
          if (!fresh.ok() || !def.ok()) return HttpResponse::from_status(fresh.ok() ? def.status() : fresh.status());
          return json_response(200, {{"item", item_json(*fresh, *def)}});
        }));
}

}  // namespace teamvl::server
