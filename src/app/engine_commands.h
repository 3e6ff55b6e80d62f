// The engine's command-line tools: tokenize, generate, logits, model info,
// model demo (and later embed-image). They print JSON for tests and for
// outside conformance checks, so their forms are kept stable.
#pragma once

#include <string>
#include <vector>

namespace teamvl::app {

// Runs `teamvl <command> <args...>` when `command` is an engine command
// ("tokenize", "generate", "logits", "model", "embed-image").
// Returns the process exit code, or -1 when `command` is not one of them.
int run_engine_command(const std::string& command, const std::vector<std::string>& args);

}  // namespace teamvl::app
