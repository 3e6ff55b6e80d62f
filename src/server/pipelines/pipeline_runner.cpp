#include "server/pipelines/pipeline_runner.h"

#include <filesystem>

#include "base/log.h"
#include "pipelines/combined_document.h"
#include "pipelines/output_check.h"
#include "pipelines/template.h"
#include "server/routes/context.h"
#include "server/tasks/task_service.h"

namespace teamvl::server {

namespace {
using pipelines::ItemProgress;
using pipelines::StepDef;

std::string shared_root(const ServerConfig& c) {
  if (!c.shared_storage.empty()) return c.shared_storage;
  if (c.data_dir.empty()) return "shared";
  return (std::filesystem::path(c.data_dir) / "shared").string();
}

constexpr auto kSweepEvery = std::chrono::milliseconds(1000);
}  // namespace


PipelineRunner::PipelineRunner(ServerContext& ctx)
    : ctx_(ctx),
      defaults_(ctx.config.pipeline_defaults),
      storage_(shared_root(ctx.config)),
      blobs_(BlobStore::root_for_data_dir(ctx.config.data_dir)) {}

PipelineRunner::~PipelineRunner() { stop(); }

void PipelineRunner::start() {
  auto runs = ctx_.store.list_runs(std::nullopt, {store::run_state::kRunning}, 100000);
  if (runs.ok()) {
    for (const auto& run : *runs)
      if (auto items = ctx_.store.list_run_items(run.id); items.ok())
        for (const auto& it : *items)
          if (!store::is_final_item_state(it.state)) kick(it.id);
    if (!runs->empty()) log_info("pipelines", "continuing " + std::to_string(runs->size()) + " run(s)");
  }
  thread_ = std::thread([this] { worker(); });
}

void PipelineRunner::stop() {
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    stop_ = true;
  }
  queue_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PipelineRunner::kick(int64_t item_id) {
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    if (!queued_.insert(item_id).second) return;
    queue_.push_back(item_id);
  }
  queue_cv_.notify_one();
}

void PipelineRunner::worker() {
  auto next_sweep = std::chrono::steady_clock::now() + kSweepEvery;
  while (true) {
    int64_t item_id = 0;
    {
      std::unique_lock<std::mutex> lock(queue_mu_);
      queue_cv_.wait_until(lock, next_sweep, [this] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      if (!queue_.empty()) {
        item_id = queue_.front();
        queue_.pop_front();
        queued_.erase(item_id);
      }
    }
    if (item_id) advance(item_id);
    if (std::chrono::steady_clock::now() >= next_sweep) {
      sweep();
      next_sweep = std::chrono::steady_clock::now() + kSweepEvery;
    }
  }
}

// The safety net under the event-driven path: every item of a live run is
// looked at once a second (a missed event, a quota that freed up).
void PipelineRunner::sweep() {
  auto runs = ctx_.store.list_runs(std::nullopt, {store::run_state::kRunning}, 1000);
  if (!runs.ok()) return;
  for (const auto& run : *runs)
    if (auto items = ctx_.store.list_run_items(run.id); items.ok())
      for (const auto& it : *items)
        if (it.state == store::item_state::kPending || it.state == store::item_state::kRunning) kick(it.id);
}

Result<pipelines::PipelineDef> PipelineRunner::definition(int64_t pipeline_id, int64_t version) {
  {
    std::lock_guard<std::mutex> lock(run_mu_);
    auto it = defs_.find({pipeline_id, version});
    if (it != defs_.end()) return it->second;
  }
  TEAMVL_ASSIGN_OR_RETURN(store::PipelineVersion v, ctx_.store.get_pipeline_version(pipeline_id, version));
  Json j = Json::parse(v.definition_json, nullptr, false);
  // Stored versions are checked already; members may have gone since, so
  // owners resolve to what the version recorded when they no longer exist.
  pipelines::DefinitionLookups relaxed = lookups();
  relaxed.member_id = [this](const std::string& name) -> Result<int64_t> {
    auto u = ctx_.store.find_user(name);
    if (!u.ok()) return int64_t{0};
    return u->id;
  };
  relaxed.has_preset = [](int64_t, const std::string&) { return Status::Ok(); };
  TEAMVL_ASSIGN_OR_RETURN(pipelines::PipelineDef def, pipelines::parse_definition(j, defaults_, relaxed));
  std::lock_guard<std::mutex> lock(run_mu_);
  defs_[{pipeline_id, version}] = def;
  return def;
}

pipelines::DefinitionLookups PipelineRunner::lookups() {
  pipelines::DefinitionLookups l;
  l.member_id = [this](const std::string& name) -> Result<int64_t> {
    auto u = ctx_.store.find_user(name);
    if (!u.ok()) return Status::NotFound("no member '" + name + "'");
    if (u->disabled) return Status::InvalidArgument("member '" + name + "' is disabled");
    if (u->role == store::Role::kViewer)
      return Status::InvalidArgument("member '" + name + "' is a viewer and cannot run tasks");
    return u->id;
  };
  l.has_preset = [this](int64_t user_id, const std::string& preset) -> Status {
    auto presets = ctx_.store.list_presets(user_id);
    if (!presets.ok()) return presets.status();
    for (const auto& p : *presets)
      if (p.name == preset) return Status::Ok();
    return Status::NotFound("the step's owner has no preset named '" + preset + "'");
  };
  return l;
}

std::string PipelineRunner::shared_dir(const pipelines::PipelineDef& def, int64_t run_id) const {
  return def.name + "/" + std::to_string(run_id);
}

void PipelineRunner::advance(int64_t item_id) {
  std::lock_guard<std::mutex> lock(item_mu_);
  auto item = ctx_.store.get_run_item(item_id);
  if (!item.ok() || store::is_final_item_state(item->state)) return;
  auto run = ctx_.store.get_run(item->run_id);
  if (!run.ok() || store::is_final_run_state(run->state)) return;
  auto def = definition(run->pipeline_id, run->version);
  if (!def.ok()) {
    log_error("pipelines", "run " + std::to_string(run->id) + ": " + def.status().to_string());
    return;
  }
  Loaded l{*item, *run, *def, ItemProgress::parse(item->steps_json, def->steps.size())};
  Status st;
  if (l.item.state == store::item_state::kRunning && l.item.task_id) {
    auto task = ctx_.store.get_task(*l.item.task_id);
    if (!task.ok()) {
      // The task is gone (its member was deleted): count it as failed.
      store::Task gone;
      gone.id = *l.item.task_id;
      gone.state = store::task_state::kFailed;
      gone.error_code = "not_found";
      gone.error_message = "the step's task no longer exists";
      st = on_task_end(l, gone);
    } else if (!store::is_final_task_state(task->state)) {
      watch(task->id, item_id);
      return;
    } else {
      st = on_task_end(l, *task);
    }
  } else if (l.item.state == store::item_state::kPending && l.run.state == store::run_state::kRunning) {
    st = start_step(l);
  }
  if (!st.ok()) log_error("pipelines", "item " + std::to_string(item_id) + ": " + st.to_string());
}

void PipelineRunner::watch(int64_t task_id, int64_t item_id) {
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    if (!watched_.insert(task_id).second) return;
  }
  auto ch = ctx_.tasks->channel(task_id);
  if (!ch) return;  // not live in this process: the sweep looks again
  ch->subscribe_fn(0, [this, task_id, item_id](const SseStream::Event& e) {
    if (e.event == "retry") {
      Json j = Json::parse(e.data, nullptr, false);
      std::lock_guard<std::mutex> lock(queue_mu_);
      retries_[task_id].push_back(j.is_object() ? j.value("message", "") : e.data);
    }
    if (e.event != "done") return true;
    kick(item_id);
    return false;
  });
}

Status PipelineRunner::save(Loaded& l) {
  l.item.steps_json = l.prog.to_json();
  TEAMVL_RETURN_IF_ERROR(ctx_.store.update_run_item(l.item));
  Json ev{{"item_id", l.item.id},
          {"name", l.item.name},
          {"state", l.item.state},
          {"step_index", l.item.step_index},
          {"step", l.step() < l.def.steps.size() ? Json(l.def.steps[l.step()].name) : Json(nullptr)},
          {"task_id", l.item.task_id ? Json(*l.item.task_id) : Json(nullptr)}};
  publish(l.run.id, "item", ev.dump(-1, ' ', false, Json::error_handler_t::replace));
  return Status::Ok();
}

Status PipelineRunner::start_step(Loaded& l) {
  while (true) {
    if (l.step() >= l.def.steps.size()) {
      l.item.state = store::item_state::kDone;
      l.item.task_id.reset();
      TEAMVL_RETURN_IF_ERROR(save(l));
      item_finished(l.run, l.def);
      return Status::Ok();
    }
    const StepDef& step = l.def.steps[l.step()];
    if (!step.review) return submit_step(l, step);
    std::string input = l.step() > 0 ? l.prog.output(l.step() - 1) : "";
    l.prog.await_review(l.step(), input);
    l.item.state = store::item_state::kAwaitingReview;
    return save(l);
  }
}

Status PipelineRunner::on_task_end(Loaded& l, const store::Task& task) {
  const StepDef& step = l.def.steps[l.step()];
  pipelines::AttemptRecord rec;
  rec.task_id = task.id;
  rec.state = task.state;
  rec.error_code = task.error_code;
  rec.error_message = task.error_message;
  rec.engine_attempts = task.attempts;
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    rec.retries = retries_[task.id];
    retries_.erase(task.id);
    watched_.erase(task.id);
  }
  Result<std::string> output = std::string();
  if (task.state == store::task_state::kDone) {
    output = pipelines::check_output(step.output_format, task.result_text);
    if (!output.ok()) {
      rec.state = "invalid_output";
      rec.error_code = "invalid_output";
      rec.error_message = output.status().message();
    }
  }
  l.prog.end_attempt(l.step(), rec);
  l.item.task_id.reset();
  switch (pipelines::judge_attempt(step, l.prog.attempts(l.step()), task.state, output.status())) {
    case pipelines::Verdict::kAccept: {
      std::string path = shared_dir(l.def, l.run.id) + "/" + l.item.folder + "/" + step.name + "." +
                         pipelines::format_extension(step.output_format);
      if (Status w = storage_.write(path, *output); !w.ok()) {
        l.prog.fail(l.step(), "cannot write to shared storage: " + w.message());
        l.item.state = store::item_state::kFailed;
        break;
      }
      l.prog.complete(l.step(), *output, path);
      l.item.step_index += 1;
      l.item.state = store::item_state::kPending;
      TEAMVL_RETURN_IF_ERROR(save(l));
      if (l.run.state != store::run_state::kRunning) return Status::Ok();  // paused: wait for resume
      return start_step(l);
    }
    case pipelines::Verdict::kRetry:
      l.item.state = store::item_state::kPending;
      TEAMVL_RETURN_IF_ERROR(save(l));
      if (l.run.state != store::run_state::kRunning) return Status::Ok();
      return start_step(l);
    case pipelines::Verdict::kFail:
      l.prog.fail(l.step(), "step '" + step.name + "' failed after " + std::to_string(l.prog.attempts(l.step())) +
                                " attempt(s): " + (rec.error_message.empty() ? rec.state : rec.error_message));
      l.item.state = store::item_state::kFailed;
      break;
    case pipelines::Verdict::kCancelled:
      l.prog.cancel(l.step());
      l.item.state = store::item_state::kCancelled;
      break;
  }
  TEAMVL_RETURN_IF_ERROR(save(l));
  item_finished(l.run, l.def);
  return Status::Ok();
}

// When every item has ended, the run ends: done, or failed when any item
// failed. The combined document is rewritten as items finish.
void PipelineRunner::item_finished(const store::PipelineRun& run, const pipelines::PipelineDef& def) {
  Status st = write_combined(run, def);
  if (!st.ok()) log_error("pipelines", "run " + std::to_string(run.id) + ": combined document: " + st.to_string());
  auto items = ctx_.store.list_run_items(run.id);
  if (!items.ok()) return;
  int failed = 0;
  for (const auto& it : *items) {
    if (!store::is_final_item_state(it.state)) return;
    if (it.state != store::item_state::kDone) ++failed;
  }
  auto fresh = ctx_.store.get_run(run.id);
  if (!fresh.ok() || store::is_final_run_state(fresh->state)) return;
  std::string state = failed ? store::run_state::kFailed : store::run_state::kDone;
  std::string error = failed ? std::to_string(failed) + " of " + std::to_string(items->size()) + " item(s) did not finish" : "";
  (void)ctx_.store.set_run_state(run.id, state, error);
  publish(run.id, "run", Json{{"run_id", run.id}, {"state", state}, {"error", error}}.dump(), true);
}

Status PipelineRunner::write_combined(const store::PipelineRun& run, const pipelines::PipelineDef& def) {
  TEAMVL_ASSIGN_OR_RETURN(auto items, ctx_.store.list_run_items(run.id));
  std::vector<pipelines::CombinedItem> parts;
  for (const auto& it : items) {
    auto prog = ItemProgress::parse(it.steps_json, def.steps.size());
    pipelines::CombinedItem c;
    c.name = it.name;
    c.state = it.state;
    if (!def.steps.empty()) {
      c.output = prog.output(def.steps.size() - 1);
      c.format = def.steps.back().output_format;
    }
    parts.push_back(std::move(c));
  }
  std::string title = def.name + " run " + std::to_string(run.id);
  return storage_.write(shared_dir(def, run.id) + "/combined." + pipelines::format_extension(def.output_format),
                        pipelines::combined_document(title, def.output_format, parts));
}

}  // namespace teamvl::server
