// The parameters a member may save in a preset, each with its range. One
// table: validation, the "known fields" list of error messages and the docs
// agree. Sampling ranges match what a task accepts (tasks/task_request.h).
// Include only from .cpp files (nlohmann is heavy).
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "server/json_io.h"

namespace teamvl::server {

inline constexpr size_t kMaxSystemPromptChars = 8000;

// "temperature", "top_p", … in the table's order.
const std::vector<std::string>& preset_param_names();

// Checks a preset's "params": a JSON object whose every member is a known
// parameter of the right type and range (null means "not set"). The error
// names the field ("params.top_p …") and, for an unknown one, lists the known.
Status validate_preset_params(const Json& params);

}  // namespace teamvl::server
