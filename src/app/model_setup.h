// Loads the model `teamvl serve` serves: the configured GGUF, or, when none is
// configured, a random-weight demo model generated once into the data
// directory so a newcomer can try every flow at once.
#pragma once

#include <memory>

#include "app/settings.h"
#include "base/status.h"
#include "engine/engine.h"

namespace teamvl::app {

Result<std::unique_ptr<engine::Engine>> load_serving_engine(const Settings& s);

}  // namespace teamvl::app
