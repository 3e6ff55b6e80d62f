// Loads the model `teamvl serve` serves: the configured GGUF, or, when none is
// configured, a random-weight demo model generated once into the data
// directory so a newcomer can try every flow at once.
#pragma once

#include <memory>

#include "app/settings.h"
#include "base/status.h"
#include "engine/engine.h"
#include "engine/vision/vision_model.h"

namespace teamvl::app {

Result<std::unique_ptr<engine::Engine>> load_serving_engine(const Settings& s);

// The vision projector for `engine`: the `mmproj` setting, or with the demo
// model a matching random-weight demo projector (written once beside it).
// Null when a real model is served without an mmproj (text only). An mmproj
// that does not fit the text model is an error naming both widths.
Result<std::unique_ptr<engine::VisionModel>> load_serving_vision(const Settings& s, const engine::Engine& engine);

}  // namespace teamvl::app
