// Prompt templates of pipeline steps: {{input}} (the previous step's
// output), {{file}} (the item's image or pages, attached to the message),
// {{item}} (the item's name). Spaces inside the braces are allowed.
#pragma once

#include <set>
#include <string>

#include "base/status.h"

namespace teamvl::pipelines {

struct TemplateVars {
  std::string input;
  std::string file;   // what {{file}} reads as in the text, e.g. "[attached: 2 page images]"
  std::string item;
};

// The placeholders a template uses; InvalidArgument for an unknown name or
// an unclosed "{{".
Result<std::set<std::string>> template_placeholders(const std::string& tpl);
// Substitutes the placeholders (the template must have passed the check
// above). Values are inserted verbatim and never re-expanded.
std::string render_template(const std::string& tpl, const TemplateVars& vars);

}  // namespace teamvl::pipelines
