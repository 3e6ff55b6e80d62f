// TeamServer: the HTTP API of TeamVL wired onto a store. The app builds a
// ServerConfig from its settings and starts one; everything else (routes,
// auth, setup) is internal to server/.
#pragma once

#include <memory>
#include <string>

#include "base/clock.h"
#include "base/status.h"
#include "engine/engine.h"
#include "engine/vision/vision_model.h"
#include "pipelines/pipeline_config.h"
#include "scheduler/fair_queue.h"
#include "scheduler/quotas.h"
#include "server/http/http.h"
#include "store/store.h"

namespace teamvl::server {

// What is being served, for /v1/models and the UI.
struct ModelInfo {
  std::string id;           // e.g. "Qwen3-VL-2B-Instruct-Q4_K_M"
  std::string path;
  std::string description;  // architecture and size in one line
  bool is_demo = false;     // random weights: say so wherever the model is shown
  int64_t loaded_at = 0;
};

struct ServerConfig {
  HttpServerOptions http;
  int64_t session_seconds = 7 * 24 * 3600;
  scheduler::QuotaDefaults quota_defaults;
  int max_users = 4;
  std::string data_dir;        // uploads live in <data_dir>/files
  int64_t max_image_pixels = 50'000'000;
  int max_image_side = 768;
  bool model_cache = true;     // MODEL_CACHE: keep image embeddings for follow-up questions
  std::string version = "0.1.0";
  ModelInfo model;
  scheduler::QueuePolicy policy = scheduler::QueuePolicy::kFair;
  int64_t task_timeout_s = 1800;
  std::string shared_storage;  // pipeline outputs (empty: <data_dir>/shared)
  pipelines::PipelineDefaults pipeline_defaults;  // config/team_pipeline.yaml
};

class TeamServer {
 public:
  virtual ~TeamServer() = default;
  virtual int port() const = 0;
  // Stops accepting, ends streams, waits up to grace_s for in-flight requests.
  virtual void shutdown(int grace_s) = 0;
  // While no admin exists: the one-time token for POST /api/v1/setup.
  virtual std::string setup_token() const = 0;
};

// Starts serving: queues again the tasks a previous run left, starts the
// engine loop over `engine`, then the HTTP server. `store`, `clock`,
// `engine` and `vision` (null: no image input) must outlive the server.
// While setup is open, a setup token is generated and logged with the URL.
Result<std::unique_ptr<TeamServer>> start_team_server(const ServerConfig& config, store::Store& store,
                                                      const Clock& clock, engine::Engine& engine,
                                                      const engine::VisionModel* vision = nullptr);

}  // namespace teamvl::server
