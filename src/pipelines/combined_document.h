// The combined document of a run: every item's final output in one file of
// the pipeline's output format (HTML page, Markdown, JSON or plain text).
#pragma once

#include <string>
#include <vector>

#include "pipelines/pipeline_config.h"

namespace teamvl::pipelines {

struct CombinedItem {
  std::string name;
  std::string state;             // done | failed | cancelled | still running ...
  std::string output;            // the last step's output (a review's edit included)
  OutputFormat format = OutputFormat::kText;  // the format `output` is in
};

std::string combined_document(const std::string& title, OutputFormat format, const std::vector<CombinedItem>& items);

// HTML-escapes text (&, <, >, ", ').
std::string html_escape(const std::string& s);

}  // namespace teamvl::pipelines
