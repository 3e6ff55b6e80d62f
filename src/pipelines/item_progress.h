// The per-step record of one run item: for each step its state, the prompt
// it was given, its output, and every attempt (task id, how it ended, why).
// Kept as the item's steps_json so it survives restarts; the transitions
// here are the only way it changes. Not thread-safe (one owner at a time).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "pipelines/definition.h"

namespace teamvl::pipelines {

// What to do after an attempt of a step ended.
enum class Verdict { kAccept, kRetry, kFail, kCancelled };

// `attempt` is 1-based; `task_state` the task's final state (done, failed,
// timed_out, cancelled); `output_check` the output check (only read for done).
// A step gets 1 + auto_retry attempts; a cancelled task is never retried.
Verdict judge_attempt(const StepDef& step, int attempt, const std::string& task_state, const Status& output_check);

struct AttemptRecord {
  int64_t task_id = 0;
  std::string state;                 // the task's final state, or "invalid_output"
  std::string error_code;
  std::string error_message;
  int engine_attempts = 0;           // the task's own attempts (engine faults retried inside it)
  std::vector<std::string> retries;  // messages of the engine retries
};

class ItemProgress {
 public:
  // `steps_json` as stored ("[]" for a new item); `n_steps` pads it.
  static ItemProgress parse(const std::string& steps_json, size_t n_steps);
  // Invalid UTF-8 in model text is replaced, never thrown on.
  std::string to_json() const { return steps_.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }
  const nlohmann::json& view() const { return steps_; }

  std::string state(size_t step) const;
  std::string output(size_t step) const;
  std::string comment(size_t step) const;  // a reviewer's note for the next attempt
  int attempts(size_t step) const;

  // The step's next task could not be submitted yet (its owner's quota):
  // `why` is shown on the step until a task is submitted. False when that
  // was already the note (nothing to save).
  bool wait(size_t step, const std::string& why);
  // A task was submitted for the step's next attempt.
  void begin_attempt(size_t step, const std::string& prompt, const std::vector<int64_t>& file_ids, int64_t task_id);
  // The in-flight attempt ended (it is appended to the step's attempts).
  void end_attempt(size_t step, const AttemptRecord& rec);
  void complete(size_t step, const std::string& output, const std::string& shared_path);
  void fail(size_t step, const std::string& why);
  void cancel(size_t step);
  void await_review(size_t step, const std::string& input);
  // The reviewer approved; `edited` (when not empty) replaces the output.
  void approve(size_t step, const std::string& by, const std::string& output, bool edited,
               const std::string& shared_path);
  // The reviewer sent the item back: the review waits again and the step
  // before it runs again with `comment` appended to its prompt.
  void send_back(size_t review_step, const std::string& by, const std::string& comment);

 private:
  nlohmann::json& at(size_t step);
  nlohmann::json steps_ = nlohmann::json::array();
};

}  // namespace teamvl::pipelines
