// Pipeline definitions: what the API (JSON or YAML) gives, checked field by
// field, with the team defaults filled in so that a stored version says
// exactly what a run does. Every bad input is an InvalidArgument naming the
// field (e.g. "steps[1].owner: no member 'bob'").
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "pipelines/pipeline_config.h"

namespace teamvl::pipelines {

struct StepDef {
  std::string name;                  // unique in the pipeline; a file name in shared storage
  bool review = false;               // a person approves, edits or sends back
  std::string owner;                 // username: the step's tasks run as this member
  int64_t owner_id = 0;
  std::string prompt;                // template with {{input}} {{file}} {{item}} (not for review)
  std::string params_json = "{}";    // sampling parameters (a JSON object)
  std::string preset;                // a preset of the owner, applied before params
  OutputFormat output_format = OutputFormat::kMarkdown;
  int64_t task_timeout_s = 1800;
  int auto_retry = 2;                // retries after the first attempt
  bool uses_file = false;            // the prompt has {{file}}: the item's images go along
};

struct PipelineDef {
  std::string name;                  // [A-Za-z0-9._-], a folder name in shared storage
  std::string description;
  bool split_pages = false;          // items: "page" (each PDF page an item) or "document"
  OutputFormat output_format = OutputFormat::kMarkdown;  // of the combined document
  std::vector<StepDef> steps;
};

// What validation needs from the team: members by name and their presets.
struct DefinitionLookups {
  // The id of a member who may own a step; an error saying why not otherwise.
  std::function<Result<int64_t>(const std::string& username)> member_id;
  // Ok when the member has a preset of that name.
  std::function<Status(int64_t user_id, const std::string& preset)> has_preset;
};

// Validates a definition object against the defaults and lookups.
Result<PipelineDef> parse_definition(const nlohmann::json& j, const PipelineDefaults& defaults,
                                     const DefinitionLookups& lookups);
// The normalized JSON stored as a version (parse_definition reads it back).
nlohmann::json definition_to_json(const PipelineDef& def);
// YAML text to the same JSON shape (scalars typed: integers, numbers,
// booleans, null; quoted scalars stay strings).
Result<nlohmann::json> yaml_to_json(const std::string& yaml_text);

// A plain name usable as one path segment: 1..64 of [A-Za-z0-9._-], not
// starting with '.'.
bool valid_segment_name(const std::string& s);

}  // namespace teamvl::pipelines
