#include "app/model_setup.h"

#include <filesystem>

#include "base/log.h"
#include "engine/model/demo_model.h"

namespace teamvl::app {

Result<std::unique_ptr<engine::Engine>> load_serving_engine(const Settings& s) {
  namespace fs = std::filesystem;
  engine::EngineOptions options;
  options.model_path = s.str("model");
  options.n_threads = static_cast<int32_t>(s.integer("threads"));
  if (options.model_path.empty()) {
    fs::path demo = fs::path(s.str("data_dir")) / "demo-model" / "teamvl-demo-F32.gguf";
    std::error_code ec;
    if (!fs::exists(demo, ec)) {
      fs::create_directories(demo.parent_path(), ec);
      log_info("model", "no model configured: writing a random-weight demo model to " + demo.string());
      TEAMVL_RETURN_IF_ERROR(engine::write_demo_model(engine::DemoModelSpec{}, demo.string()));
    }
    options.model_path = demo.string();
  }
  auto eng = engine::Engine::load(options);
  if (!eng.ok())
    return Status(eng.status().code(), "cannot load model '" + options.model_path + "': " + eng.status().message());
  const auto& h = (*eng)->hparams();
  if ((*eng)->is_demo()) {
    log_warn("model", "serving a RANDOM-WEIGHT DEMO model: its answers are gibberish. Point TeamVL at a real "
                      "Qwen3-VL GGUF pair with --model FILE --mmproj FILE (or TEAMVL_MODEL / TEAMVL_MMPROJ).");
  }
  log_info("model", "loaded " + options.model_path + " (" + h.name + ", " + std::to_string(h.n_layer) + " layers, " +
                        std::to_string((*eng)->weight_bytes() >> 20) + " MiB of weights)");
  return eng;
}

}  // namespace teamvl::app
