#include "pipelines/item_progress.h"

namespace teamvl::pipelines {

using Json = nlohmann::json;

Verdict judge_attempt(const StepDef& step, int attempt, const std::string& task_state, const Status& output_check) {
  if (task_state == "cancelled") return Verdict::kCancelled;
  if (task_state == "done" && output_check.ok()) return Verdict::kAccept;
  return attempt <= step.auto_retry ? Verdict::kRetry : Verdict::kFail;
}

ItemProgress ItemProgress::parse(const std::string& steps_json, size_t n_steps) {
  ItemProgress p;
  Json j = Json::parse(steps_json, nullptr, false);
  if (j.is_array()) p.steps_ = j;
  while (p.steps_.size() < n_steps) p.steps_.push_back({{"state", "pending"}, {"attempts", Json::array()}});
  return p;
}

Json& ItemProgress::at(size_t step) {
  while (steps_.size() <= step) steps_.push_back({{"state", "pending"}, {"attempts", Json::array()}});
  return steps_[step];
}

std::string ItemProgress::state(size_t step) const {
  return step < steps_.size() ? steps_[step].value("state", "pending") : "pending";
}
std::string ItemProgress::output(size_t step) const {
  return step < steps_.size() ? steps_[step].value("output", "") : "";
}
std::string ItemProgress::comment(size_t step) const {
  return step < steps_.size() ? steps_[step].value("comment", "") : "";
}
int ItemProgress::attempts(size_t step) const {
  if (step >= steps_.size() || !steps_[step].contains("attempts")) return 0;
  return static_cast<int>(steps_[step]["attempts"].size());
}

bool ItemProgress::wait(size_t step, const std::string& why) {
  Json& s = at(step);
  if (s.value("waiting", "") == why) return false;
  s["waiting"] = why;
  return true;
}

void ItemProgress::begin_attempt(size_t step, const std::string& prompt, const std::vector<int64_t>& file_ids,
                                 int64_t task_id) {
  Json& s = at(step);
  s.erase("waiting");
  s["state"] = "running";
  s["prompt"] = prompt;
  s["file_ids"] = file_ids;
  s["task_id"] = task_id;
}

void ItemProgress::end_attempt(size_t step, const AttemptRecord& rec) {
  Json& s = at(step);
  Json a{{"task_id", rec.task_id}, {"state", rec.state}, {"engine_attempts", rec.engine_attempts}};
  if (!rec.error_code.empty()) a["error"] = {{"code", rec.error_code}, {"message", rec.error_message}};
  if (!rec.retries.empty()) a["engine_retries"] = rec.retries;
  s["attempts"].push_back(a);
  s.erase("task_id");
}

void ItemProgress::complete(size_t step, const std::string& output, const std::string& shared_path) {
  Json& s = at(step);
  s["state"] = "done";
  s["output"] = output;
  s["shared_path"] = shared_path;
  s.erase("error");
}

void ItemProgress::fail(size_t step, const std::string& why) {
  Json& s = at(step);
  s["state"] = "failed";
  s["error"] = why;
}

void ItemProgress::cancel(size_t step) { at(step)["state"] = "cancelled"; }

void ItemProgress::await_review(size_t step, const std::string& input) {
  Json& s = at(step);
  s["state"] = "awaiting_review";
  s["input"] = input;
}

void ItemProgress::approve(size_t step, const std::string& by, const std::string& output, bool edited,
                           const std::string& shared_path) {
  Json& s = at(step);
  if (!s.contains("reviews")) s["reviews"] = Json::array();
  s["reviews"].push_back({{"by", by}, {"action", "approve"}, {"edited", edited}});
  complete(step, output, shared_path);
}

void ItemProgress::send_back(size_t review_step, const std::string& by, const std::string& comment) {
  Json& r = at(review_step);
  if (!r.contains("reviews")) r["reviews"] = Json::array();
  r["reviews"].push_back({{"by", by}, {"action", "send_back"}, {"comment", comment}});
  r["state"] = "pending";
  r.erase("input");
  if (review_step == 0) return;
  Json& prev = at(review_step - 1);
  prev["state"] = "pending";
  prev["comment"] = comment;
}

}  // namespace teamvl::pipelines
