#include "app/model_setup.h"

#include <filesystem>

#include "base/log.h"
#include "engine/model/demo_model.h"
#include "engine/multimodal/mm_prompt.h"
#include "engine/vision/random_mmproj.h"

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

Result<std::unique_ptr<engine::VisionModel>> load_serving_vision(const Settings& s, const engine::Engine& engine) {
  namespace fs = std::filesystem;
  std::string path = s.str("mmproj");
  if (path.empty() && !engine.is_demo()) {
    log_info("model", "no vision projector (mmproj) configured: text only; image questions are refused");
    return std::unique_ptr<engine::VisionModel>();
  }
  if (path.empty()) {
    // A demo projector shaped for the demo text model: its width and DeepStack count.
    const engine::TextHparams& h = engine.hparams();
    fs::path demo = fs::path(engine.options().model_path).parent_path() / "teamvl-demo-mmproj-F32.gguf";
    std::error_code ec;
    if (!fs::exists(demo, ec)) {
      engine::RandomMmprojSpec spec;
      spec.name = "TeamVL demo mmproj (random weights)";
      spec.projection_dim = h.n_embd;
      spec.n_layer = std::max<int32_t>(2, h.n_deepstack + 1);
      spec.deepstack_layers.clear();
      for (int32_t i = 0; i < h.n_deepstack; ++i) spec.deepstack_layers.push_back(i + 1);
      log_info("model", "writing a random-weight demo vision projector to " + demo.string());
      TEAMVL_RETURN_IF_ERROR(engine::write_random_mmproj(spec, demo.string()));
    }
    path = demo.string();
  }
  auto vision = engine::VisionModel::open(path);
  if (!vision.ok()) return Status(vision.status().code(), "cannot load mmproj '" + path + "': " + vision.status().message());
  TEAMVL_RETURN_IF_ERROR(engine::check_vision_fits_text((*vision)->hparams(), engine.hparams()));
  log_info("model", "loaded vision projector " + path);
  return std::move(*vision);
}

}  // namespace teamvl::app
