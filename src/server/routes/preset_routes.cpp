// Parameter presets: named sets of sampling parameters (and a system prompt),
// private to their member. Every field is validated against one table
// (preset_params.h); another member's preset is 404 like a missing one.
#include "server/preset_params.h"
#include "server/routes/context.h"

namespace teamvl::server {
namespace {

constexpr size_t kMaxNameBytes = 100;

Json preset_json(const store::Preset& p) {
  Json params = Json::parse(p.params_json, nullptr, false);
  if (!params.is_object()) params = Json::object();
  return Json{{"id", p.id},
              {"name", p.name},
              {"params", params},
              {"created_at", p.created_at},
              {"updated_at", p.updated_at}};
}

// The caller's own preset, or NotFound (also for another member's).
Result<store::Preset> own_preset(ServerContext& ctx, const HttpRequest& req, const Caller& c) {
  TEAMVL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
  auto p = ctx.store.get_preset(id);
  if (!p.ok() || p->user_id != c.user.id) return Status::NotFound("no preset with id " + std::to_string(id));
  return p;
}

// Reads {"name","params"} of a create (both_required) or an update (at least
// one of them). Fills only what is present.
Status read_preset_body(const Json& body, bool create, store::Preset* p) {
  for (const auto& [k, _] : body.items())
    if (k != "name" && k != "params")
      return Status::InvalidArgument("unknown field '" + k + "' (known: name, params)");
  TEAMVL_ASSIGN_OR_RETURN(auto name, opt_string(body, "name", kMaxNameBytes));
  if (name) {
    if (name->find_first_not_of(" \t") == std::string::npos) return Status::InvalidArgument("field 'name' must not be blank");
    for (char ch : *name)
      if (static_cast<unsigned char>(ch) < 0x20) return Status::InvalidArgument("field 'name' must not contain control characters");
    p->name = *name;
  } else if (create) {
    return Status::InvalidArgument("field 'name' is required");
  }
  auto params = body.find("params");
  if (params != body.end() && !params->is_null()) {
    TEAMVL_RETURN_IF_ERROR(validate_preset_params(*params));
    p->params_json = params->dump();
  } else if (create) {
    p->params_json = "{}";
  } else if (!name) {
    return Status::InvalidArgument("nothing to change: send 'name' and/or 'params'");
  }
  return Status::Ok();
}

Status name_taken_message(const Status& st, const std::string& name) {
  if (st.code() != StatusCode::kAlreadyExists) return st;
  return Status::AlreadyExists("you already have a preset named '" + name + "'");
}

HttpResponse create_preset(ServerContext& ctx, HttpRequest& req, Caller& c) {
  auto body = parse_json_object(req);
  if (!body.ok()) return HttpResponse::from_status(body.status());
  store::Preset p;
  p.user_id = c.user.id;
  if (Status st = read_preset_body(*body, true, &p); !st.ok()) return HttpResponse::from_status(st);
  auto created = ctx.store.create_preset(p);
  if (!created.ok()) return HttpResponse::from_status(name_taken_message(created.status(), p.name));
  return json_response(201, {{"preset", preset_json(*created)}});
}

HttpResponse update_preset(ServerContext& ctx, HttpRequest& req, Caller& c) {
  auto p = own_preset(ctx, req, c);
  if (!p.ok()) return HttpResponse::from_status(p.status());
  auto body = parse_json_object(req);
  if (!body.ok()) return HttpResponse::from_status(body.status());
  store::Preset updated = *p;
  if (Status st = read_preset_body(*body, false, &updated); !st.ok()) return HttpResponse::from_status(st);
  updated.updated_at = 0;  // now
  if (Status st = ctx.store.update_preset(updated); !st.ok())
    return HttpResponse::from_status(name_taken_message(st, updated.name));
  auto fresh = ctx.store.get_preset(updated.id);
  if (!fresh.ok()) return HttpResponse::from_status(fresh.status());
  return json_response(200, {{"preset", preset_json(*fresh)}});
}

HttpResponse delete_preset(ServerContext& ctx, HttpRequest& req, Caller& c) {
  auto p = own_preset(ctx, req, c);
  if (!p.ok()) return HttpResponse::from_status(p.status());
  if (Status st = ctx.store.delete_preset(p->id); !st.ok()) return HttpResponse::from_status(st);
  HttpResponse res;
  res.status = 204;
  return res;
}

}  // namespace

void add_preset_routes(Router& r, ServerContext& ctx) {
  r.add("GET", "/api/v1/presets", authed(ctx, Access::kMember, [&ctx](HttpRequest&, Caller& c) {
    auto presets = ctx.store.list_presets(c.user.id);
    if (!presets.ok()) return HttpResponse::from_status(presets.status());
    Json arr = Json::array();
    for (const auto& p : *presets) arr.push_back(preset_json(p));
    return json_response(200, {{"presets", arr}});
  }));
  r.add("POST", "/api/v1/presets", authed(ctx, Access::kWriter, [&ctx](HttpRequest& req, Caller& c) {
    return create_preset(ctx, req, c);
  }));
  r.add("GET", "/api/v1/presets/{id}", authed(ctx, Access::kMember, [&ctx](HttpRequest& req, Caller& c) {
    auto p = own_preset(ctx, req, c);
    if (!p.ok()) return HttpResponse::from_status(p.status());
    return json_response(200, {{"preset", preset_json(*p)}});
  }));
  r.add("PUT", "/api/v1/presets/{id}", authed(ctx, Access::kWriter, [&ctx](HttpRequest& req, Caller& c) {
    return update_preset(ctx, req, c);
  }));
  r.add("DELETE", "/api/v1/presets/{id}", authed(ctx, Access::kWriter, [&ctx](HttpRequest& req, Caller& c) {
    return delete_preset(ctx, req, c);
  }));
}

}  // namespace teamvl::server
