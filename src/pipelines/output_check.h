// Checks a step's output against its declared format before it becomes the
// next step's input. Only json has a shape to check; the others only need
// some text. A failed check is retried like an engine fault.
#pragma once

#include <string>

#include "base/status.h"
#include "pipelines/pipeline_config.h"

namespace teamvl::pipelines {

// The output to pass on: for json, the JSON text without a surrounding
// ``` fence (models like to add one); otherwise the text as it is.
// InvalidArgument says why the output is not acceptable.
Result<std::string> check_output(OutputFormat format, const std::string& text);

}  // namespace teamvl::pipelines
