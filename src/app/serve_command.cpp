// `teamvl serve`: settings -> data directory -> store -> HTTP server, then
// wait for SIGINT/SIGTERM and shut down gracefully (exit 0).
#include <csignal>
#include <cstdio>
#include <filesystem>

#include "app/commands.h"
#include "app/model_setup.h"
#include "app/settings.h"
#include "base/log.h"
#include "server/team_server.h"

namespace teamvl::app {
namespace {

LogLevel parse_level(const std::string& s) {
  if (s == "debug") return LogLevel::kDebug;
  if (s == "warn") return LogLevel::kWarn;
  if (s == "error") return LogLevel::kError;
  return LogLevel::kInfo;
}

// The built web UI: the setting, else web/dist beside the binary's source
// tree or in the working directory. Empty when there is none.
std::string find_web_dir(const Settings& s) {
  namespace fs = std::filesystem;
  if (!s.str("web_dir").empty()) return s.str("web_dir");
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  std::vector<fs::path> candidates = {"web/dist"};
  if (!ec)
    for (fs::path p = exe.parent_path(); !p.empty() && p != p.root_path(); p = p.parent_path())
      candidates.push_back(p / "web/dist");
  for (const auto& c : candidates)
    if (fs::exists(c / "index.html", ec)) return fs::absolute(c, ec).string();
  return "";
}

}  // namespace

server::ServerConfig server_config_from(const Settings& s) {
  server::ServerConfig c;
  c.http.host = s.str("host");
  c.http.port = static_cast<int>(s.integer("port"));
  c.http.tls_cert = s.str("tls_cert");
  c.http.tls_key = s.str("tls_key");
  c.http.max_body_bytes = static_cast<size_t>(s.integer("max_body_mb")) << 20;
  c.http.static_dir = find_web_dir(s);
  c.session_seconds = s.integer("session_hours") * 3600;
  c.max_users = static_cast<int>(s.integer("max_users"));
  c.data_dir = s.str("data_dir");
  c.task_timeout_s = s.integer("task_timeout");
  c.shared_storage = s.str("shared_storage");
  c.pipeline_defaults.task_timeout_s = c.task_timeout_s;
  c.pipeline_defaults.page_side = static_cast<int>(s.integer("pipeline_page_side"));
  c.policy = *scheduler::parse_policy(s.str("scheduler"));
  c.max_image_side = static_cast<int>(s.integer("max_image_side"));
  c.max_image_pixels = s.integer("max_image_pixels");
  c.model_cache = s.flag("model_cache");
  c.quota_defaults.inferences_per_day = s.integer("quota_inferences_per_day");
  c.quota_defaults.tokens_per_day = s.integer("quota_tokens_per_day");
  c.quota_defaults.max_concurrent = s.integer("quota_max_concurrent");
  c.quota_defaults.memory_budget_gib = s.number("gpu_mem_per_user");
  return c;
}

// config/team_pipeline.yaml over the pipeline defaults; shared storage is
// the setting, else the file's, else <data_dir>/shared.
static Status load_pipeline_settings(const Settings& s, server::ServerConfig* c) {
  bool required = s.entry("pipeline_config").source != "default";
  auto d = pipelines::load_pipeline_config(s.str("pipeline_config"), c->pipeline_defaults, required);
  if (!d.ok()) return d.status();
  c->pipeline_defaults = *d;
  if (c->shared_storage.empty()) c->shared_storage = d->shared_storage;
  if (c->shared_storage.empty()) c->shared_storage = (std::filesystem::path(c->data_dir) / "shared").string();
  return Status::Ok();
}

Result<std::unique_ptr<store::Store>> open_data_dir(const Settings& s) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path dir = s.str("data_dir");
  fs::create_directories(dir, ec);
  if (ec) return Status::InvalidArgument("cannot create data_dir '" + dir.string() + "': " + ec.message());
  return store::open_sqlite_store((dir / "teamvl.db").string());
}

int run_serve(std::vector<std::string> args) {
  auto settings = load_settings(&args, process_env());
  if (!settings.ok()) {
    std::fprintf(stderr, "teamvl serve: %s\n", settings.status().message().c_str());
    return 2;
  }
  if (!args.empty()) {
    std::fprintf(stderr, "teamvl serve: unknown argument '%s' (see `teamvl help`)\n", args[0].c_str());
    return 2;
  }
  set_log_level(parse_level(settings->str("log_level")));

  // Block the shutdown signals in every thread; main waits for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto store = open_data_dir(*settings);
  if (!store.ok()) {
    log_error("serve", store.status().to_string());
    return 1;
  }
  auto engine = load_serving_engine(*settings);
  if (!engine.ok()) {
    log_error("serve", engine.status().to_string());
    return 1;
  }
  auto vision = load_serving_vision(*settings, **engine);
  if (!vision.ok()) {
    log_error("serve", vision.status().to_string());
    return 1;
  }
  server::ServerConfig config = server_config_from(*settings);
  if (Status st = load_pipeline_settings(*settings, &config); !st.ok()) {
    log_error("serve", st.message());
    return 2;
  }
  config.model.path = (*engine)->options().model_path;
  config.model.id = std::filesystem::path(config.model.path).stem().string();
  config.model.description = (*engine)->hparams().to_string();
  config.model.is_demo = (*engine)->is_demo();
  config.model.loaded_at = Clock::real().now_unix();
  if (config.http.static_dir.empty())
    log_info("serve", "no built web UI found (web/dist); serving the API only");
  auto server = server::start_team_server(config, **store, Clock::real(), **engine, vision->get());
  if (!server.ok()) {
    log_error("serve", server.status().to_string());
    return 1;
  }
  std::string scheme = config.http.tls_cert.empty() ? "http" : "https";
  log_info("serve", "listening on " + scheme + "://" + config.http.host + ":" +
                        std::to_string((*server)->port()) + " (data in " + settings->str("data_dir") + ")");

  int sig = 0;
  sigwait(&signals, &sig);
  log_info("serve", std::string("received ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + ", shutting down");
  (*server)->shutdown(10);
  log_info("serve", "stopped");
  return 0;
}

int run_config(std::vector<std::string> args) {
  bool markdown = false;
  std::vector<std::string> rest;
  for (const auto& a : args) {
    if (a == "--markdown") markdown = true;
    else rest.push_back(a);
  }
  if (markdown) {
    std::fputs(settings_markdown().c_str(), stdout);
    return 0;
  }
  auto settings = load_settings(&rest, process_env());
  if (!settings.ok()) {
    std::fprintf(stderr, "teamvl config: %s\n", settings.status().message().c_str());
    return 2;
  }
  if (!rest.empty()) {
    std::fprintf(stderr, "teamvl config: unknown argument '%s'\n", rest[0].c_str());
    return 2;
  }
  std::fputs(describe_settings(*settings).c_str(), stdout);
  return 0;
}

}  // namespace teamvl::app
