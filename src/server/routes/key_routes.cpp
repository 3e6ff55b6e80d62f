// API keys: each member manages their own; admins list and revoke anyone's.
// The secret is returned once, at creation or rotation, and stored hashed.
#include "server/routes/context.h"

namespace teamvl::server {
namespace {

constexpr int64_t kMaxGraceSeconds = 30 * 86400;
constexpr int64_t kDefaultGraceSeconds = 86400;

// The caller's own key, or NotFound (also for other members' keys).
Result<store::ApiKey> own_key(ServerContext& ctx, const HttpRequest& req, const Caller& c) {
  TEAMVL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
  auto key = ctx.store.get_api_key(id);
  if (!key.ok() || key->user_id != c.user.id) return Status::NotFound("no API key with id " + std::to_string(id));
  return key;
}

Json issued_json(const IssuedKey& k, int64_t now) {
  return Json{{"key", key_json(k.key, now)},
              {"secret", k.secret},
              {"note", "store this secret now: it is not shown again"}};
}

HttpResponse create_key(ServerContext& ctx, HttpRequest& req, Caller& c) {
  auto body = parse_json_object(req);
  if (!body.ok()) return HttpResponse::from_status(body.status());
  auto name = req_string(*body, "name", 100);
  if (!name.ok()) return HttpResponse::from_status(name.status());
  auto days = opt_int(*body, "expires_in_days", 1, 3650);
  if (!days.ok()) return HttpResponse::from_status(days.status());
  int64_t now = ctx.clock.now_unix();
  std::optional<int64_t> expires;
  if (*days) expires = now + **days * 86400;
  IssuedKey issued;
  Status st = ctx.store.in_transaction([&]() -> Status {
    TEAMVL_ASSIGN_OR_RETURN(issued, ctx.auth.issue_key(c.user.id, *name, expires));
    return audit(ctx, &c, req, "key.create", "key:" + std::to_string(issued.key.id), {{"name", *name}});
  });
  if (!st.ok()) return HttpResponse::from_status(st);
  return json_response(201, issued_json(issued, now));
}

HttpResponse rotate_key(ServerContext& ctx, HttpRequest& req, Caller& c) {
  auto key = own_key(ctx, req, c);
  if (!key.ok()) return HttpResponse::from_status(key.status());
  Json body = Json::object();
  if (!req.body.empty()) {
    auto parsed = parse_json_object(req);
    if (!parsed.ok()) return HttpResponse::from_status(parsed.status());
    body = *parsed;
  }
  auto grace = opt_int(body, "grace_seconds", 0, kMaxGraceSeconds);
  if (!grace.ok()) return HttpResponse::from_status(grace.status());
  int64_t now = ctx.clock.now_unix();
  if (key->revoked_at || (key->expires_at && now >= *key->expires_at) || key->rotated_to)
    return HttpResponse::error(409, "failed_precondition", "only an active key can be rotated");
  IssuedKey issued;
  Status st = ctx.store.in_transaction([&]() -> Status {
    TEAMVL_ASSIGN_OR_RETURN(issued, ctx.auth.rotate_key(*key, grace->value_or(kDefaultGraceSeconds)));
    return audit(ctx, &c, req, "key.rotate", "key:" + std::to_string(key->id),
                 {{"new_key", issued.key.id}, {"grace_seconds", grace->value_or(kDefaultGraceSeconds)}});
  });
  if (!st.ok()) return HttpResponse::from_status(st);
  return json_response(201, issued_json(issued, now));
}

HttpResponse revoke(ServerContext& ctx, HttpRequest& req, Caller& c, const store::ApiKey& key) {
  if (key.revoked_at) return json_response(200, {{"key", key_json(key, ctx.clock.now_unix())}});
  Status st = ctx.store.in_transaction([&]() -> Status {
    TEAMVL_RETURN_IF_ERROR(ctx.store.revoke_api_key(key.id, ctx.clock.now_unix()));
    return audit(ctx, &c, req, "key.revoke", "key:" + std::to_string(key.id), {{"owner", key.user_id}});
  });
  if (!st.ok()) return HttpResponse::from_status(st);
  auto updated = ctx.store.get_api_key(key.id);
  if (!updated.ok()) return HttpResponse::from_status(updated.status());
  return json_response(200, {{"key", key_json(*updated, ctx.clock.now_unix())}});
}

HttpResponse list_keys(ServerContext& ctx, std::optional<int64_t> user_id) {
  auto keys = ctx.store.list_api_keys(user_id);
  if (!keys.ok()) return HttpResponse::from_status(keys.status());
  Json arr = Json::array();
  int64_t now = ctx.clock.now_unix();
  for (const auto& k : *keys) arr.push_back(key_json(k, now));
  return json_response(200, {{"keys", arr}});
}

}  // namespace

void add_key_routes(Router& r, ServerContext& ctx) {
  r.add("GET", "/api/v1/keys", authed(ctx, Access::kMember, [&ctx](HttpRequest&, Caller& c) {
    return list_keys(ctx, c.user.id);
  }));
  r.add("POST", "/api/v1/keys", authed(ctx, Access::kMember, [&ctx](HttpRequest& req, Caller& c) {
    return create_key(ctx, req, c);
  }));
  r.add("DELETE", "/api/v1/keys/{id}", authed(ctx, Access::kMember, [&ctx](HttpRequest& req, Caller& c) {
    auto key = own_key(ctx, req, c);
    if (!key.ok()) return HttpResponse::from_status(key.status());
    return revoke(ctx, req, c, *key);
  }));
  r.add("POST", "/api/v1/keys/{id}/rotate", authed(ctx, Access::kMember, [&ctx](HttpRequest& req, Caller& c) {
    return rotate_key(ctx, req, c);
  }));

  r.add("GET", "/api/v1/admin/keys", authed(ctx, Access::kAdmin, [&ctx](HttpRequest&, Caller&) {
    return list_keys(ctx, std::nullopt);
  }));
  r.add("DELETE", "/api/v1/admin/keys/{id}", authed(ctx, Access::kAdmin, [&ctx](HttpRequest& req, Caller& c) {
    auto id = path_id(req, "id");
    if (!id.ok()) return HttpResponse::from_status(id.status());
    auto key = ctx.store.get_api_key(*id);
    if (!key.ok()) return HttpResponse::from_status(key.status());
    return revoke(ctx, req, c, *key);
  }));
}

}  // namespace teamvl::server
