// The teamvl subcommands other than the engine's: serve, config, admin.
// Each takes the arguments after its name and returns the exit code
// (0 ok, 1 runtime failure, 2 bad usage or settings).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "app/settings.h"
#include "store/store.h"

namespace teamvl::app {

int run_serve(std::vector<std::string> args);
int run_config(std::vector<std::string> args);
int run_admin(std::vector<std::string> args);

// Creates the data directory if needed and opens its database.
Result<std::unique_ptr<store::Store>> open_data_dir(const Settings& s);

// Usage text for `teamvl help`.
std::string usage_text();

}  // namespace teamvl::app
