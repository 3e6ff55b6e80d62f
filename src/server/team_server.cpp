#include "server/team_server.h"

#include "base/log.h"
#include "server/auth/crypto.h"
#include "scheduler/engine_loop.h"
#include "server/routes/context.h"
#include "server/pipelines/pipeline_runner.h"
#include "server/tasks/task_service.h"
#include "server/tasks/team_events.h"

namespace teamvl::server {
namespace {

class TeamServerImpl : public TeamServer {
 public:
  TeamServerImpl(const ServerConfig& config, store::Store& store, const Clock& clock, engine::Engine& engine,
                 const engine::VisionModel* vision)
      : ctx_(config, store, clock) {
    scheduler::EngineLoopOptions lo;
    lo.policy = config.policy;
    lo.max_users = config.max_users;
    lo.default_limits.max_concurrent = config.quota_defaults.max_concurrent;
    lo.default_limits.budget_bytes = static_cast<int64_t>(config.quota_defaults.memory_budget_gib * (1LL << 30));
    lo.clock = &clock;
    loop_ = std::make_unique<scheduler::EngineLoop>(engine, lo);
    TaskServiceConfig tc;
    tc.quota_defaults = config.quota_defaults;
    tc.default_timeout_s = config.task_timeout_s;
    TaskImagesOptions io;
    io.max_image_side = config.max_image_side;
    io.max_image_pixels = config.max_image_pixels;
    if (!config.model_cache) io.cache_bytes = 0;
    images_ = std::make_unique<TaskImages>(store, BlobStore::root_for_data_dir(config.data_dir), vision,
                                           engine.pool(), io);
    tasks_ = std::make_unique<TaskService>(store, engine, *loop_, clock, tc, images_.get());
    ctx_.loop = loop_.get();
    ctx_.tasks = tasks_.get();
    ctx_.images = images_.get();
    team_events_ = std::make_unique<TeamEvents>([this] { return team_view_json(ctx_).dump(); });
    ctx_.team_events = team_events_.get();
    add_setup_routes(router_, ctx_);
    add_auth_routes(router_, ctx_);
    add_key_routes(router_, ctx_);
    add_member_routes(router_, ctx_);
    add_admin_routes(router_, ctx_);
    add_resource_routes(router_, ctx_);
    add_chat_session_routes(router_, ctx_);
    add_preset_routes(router_, ctx_);
    add_file_routes(router_, ctx_);
    add_task_routes(router_, ctx_);
    add_openai_routes(router_, ctx_);
    pipelines_ = std::make_unique<PipelineRunner>(ctx_);
    add_pipeline_routes(router_, ctx_, *pipelines_);
    add_shared_routes(router_, ctx_, *pipelines_);
    add_metrics_routes(router_, ctx_);
    if (config.http.static_dir.empty()) router_.add("GET", "/", [this](HttpRequest&) { return landing_page(); });
  }

  // Shown at / when no built web UI is present: where to go from here.
  HttpResponse landing_page() const {
    std::string model = ctx_.config.model.id + (ctx_.config.model.is_demo ? " (random-weight demo model)" : "");
    return HttpResponse::text(200,
        "<!doctype html><html><head><meta charset=utf-8><title>TeamVL</title></head><body>"
        "<h1>TeamVL is running</h1><p>Model: " + model + "</p>"
        "<p>The web UI is not built on this server; the API is at <code>/api/v1</code> and "
        "<code>/v1</code> (OpenAI-compatible). First start: create the admin with the setup token "
        "from the server log (<code>POST /api/v1/setup</code>). See docs/api.md.</p></body></html>",
        "text/html; charset=utf-8");
  }

  Status start() {
    TEAMVL_RETURN_IF_ERROR(init_crypto());
    TEAMVL_ASSIGN_OR_RETURN(bool done, ctx_.store.setup_done());
    loop_->start();
    TEAMVL_RETURN_IF_ERROR(tasks_->recover());
    pipelines_->start();  // after recover: the tasks its items follow are queued again
    std::string error;
    http_ = start_http_server(ctx_.config.http, router_, &error);
    if (!http_) return Status::Unavailable(error);
    if (!done) {
      std::lock_guard<std::mutex> lock(ctx_.setup_mu);
      ctx_.setup_token = random_hex(16);
      std::string scheme = ctx_.config.http.tls_cert.empty() ? "http" : "https";
      log_warn("setup", "no admin yet. Open " + scheme + "://localhost:" + std::to_string(http_->port()) +
                            "/setup?token=" + ctx_.setup_token + " or POST /api/v1/setup with " +
                            "{\"token\":\"" + ctx_.setup_token + "\",\"username\":...,\"password\":...}");
      log_warn("setup", "setup token: " + ctx_.setup_token);
    }
    return Status::Ok();
  }

  int port() const override { return http_->port(); }
  void shutdown(int grace_s) override {
    team_events_->stop();
    if (http_) http_->shutdown(grace_s);
    pipelines_->stop();
    tasks_->stop();
    // Tasks still queued or running stay so in the store: the next start runs them.
    loop_->stop();
  }
  std::string setup_token() const override {
    std::lock_guard<std::mutex> lock(ctx_.setup_mu);
    return ctx_.setup_token;
  }

 private:
  ServerContext ctx_;
  std::unique_ptr<scheduler::EngineLoop> loop_;
  std::unique_ptr<TaskImages> images_;  // before tasks_, which uses it
  std::unique_ptr<TaskService> tasks_;
  std::unique_ptr<TeamEvents> team_events_;
  std::unique_ptr<PipelineRunner> pipelines_;
  Router router_;
  std::unique_ptr<HttpServer> http_;
};

}  // namespace

Result<std::unique_ptr<TeamServer>> start_team_server(const ServerConfig& config, store::Store& store,
                                                      const Clock& clock, engine::Engine& engine,
                                                      const engine::VisionModel* vision) {
  auto server = std::make_unique<TeamServerImpl>(config, store, clock, engine, vision);
  TEAMVL_RETURN_IF_ERROR(server->start());
  return std::unique_ptr<TeamServer>(std::move(server));
}

}  // namespace teamvl::server
