// State shared by the route handlers, and the helpers every route file uses:
// authentication/authorization wrappers, JSON views of store records, audit.
#pragma once

#include <functional>
#include <mutex>
#include <string>

#include "server/auth/authenticator.h"
#include "server/auth/login_throttle.h"
#include "server/json_io.h"
#include "server/team_server.h"

namespace teamvl::scheduler {
class EngineLoop;
struct QuotaDenial;
}  // namespace teamvl::scheduler

namespace teamvl::server {

class TaskService;
class TeamEvents;
class TaskImages;

struct ServerContext {
  ServerContext(const ServerConfig& c, store::Store& s, const Clock& clk)
      : config(c), store(s), clock(clk), auth(s, clk, c.session_seconds), throttle(clk) {}

  const ServerConfig config;
  store::Store& store;
  const Clock& clock;
  Authenticator auth;
  LoginThrottle throttle;

  // The engine side, set once before serving (owned by TeamServer).
  scheduler::EngineLoop* loop = nullptr;
  TaskService* tasks = nullptr;
  TeamEvents* team_events = nullptr;
  TaskImages* images = nullptr;  // image input (vision encoder, embedding cache)

  mutable std::mutex setup_mu;
  std::string setup_token;  // guarded by setup_mu; empty once setup is done
};

enum class Access {
  kAnyMember,  // any signed-in, enabled member (also before a forced password change)
  kMember,     // any role, password change done
  kWriter,     // admin or member (viewers are read-only)
  kAdmin,
};

using AuthedHandler = std::function<HttpResponse(HttpRequest&, Caller&)>;

// Wraps a handler with authentication, CSRF, forced-password-change and role
// checks; store errors from the handler become JSON errors.
Handler authed(ServerContext& ctx, Access access, AuthedHandler fn);
// Wraps a public handler so a Status-returning failure becomes a JSON error.
Handler guarded(std::function<HttpResponse(HttpRequest&)> fn);

Json user_json(const store::User& u);
Json key_json(const store::ApiKey& k, int64_t now);
Json quota_json(const store::Quota& overrides, const scheduler::EffectiveQuota& effective);
Json usage_json(const store::Usage& u);

// Records an action in the audit log (who, what, when, from where). Call it
// inside the same store transaction as the action it records.
Status audit(ServerContext& ctx, const Caller* caller, const HttpRequest& req, const std::string& action,
           const std::string& target, const Json& detail);

// Route groups, one file each.
// The team's model defaults (team setting "model_defaults"; {} when unset):
// generation parameters every task starts from.
Json model_defaults(ServerContext& ctx);

void add_setup_routes(Router& r, ServerContext& ctx);
void add_auth_routes(Router& r, ServerContext& ctx);
void add_key_routes(Router& r, ServerContext& ctx);
void add_admin_routes(Router& r, ServerContext& ctx);
void add_resource_routes(Router& r, ServerContext& ctx);
void add_chat_session_routes(Router& r, ServerContext& ctx);
void add_preset_routes(Router& r, ServerContext& ctx);
void add_file_routes(Router& r, ServerContext& ctx);
void add_task_routes(Router& r, ServerContext& ctx);
void add_openai_routes(Router& r, ServerContext& ctx);
void add_metrics_routes(Router& r, ServerContext& ctx);
void add_member_routes(Router& r, ServerContext& ctx);

// 429 quota_exceeded with limit, used, resets_at and Retry-After.
HttpResponse quota_denied_response(const scheduler::QuotaDenial& d, int64_t now);
// The live team view (what GET /api/v1/queue/team answers).
Json team_view_json(ServerContext& ctx);

}  // namespace teamvl::server
