// The PipelineRunner's entry points from HTTP handlers (start, pause,
// resume, cancel, review), step submission, and the run event channels.
#include <cctype>

#include "base/log.h"
#include "engine/image/decode.h"
#include "engine/image/sha256.h"
#include "pipelines/page_images.h"
#include "pipelines/template.h"
#include "scheduler/quotas.h"
#include "server/pipelines/pipeline_runner.h"
#include "server/routes/context.h"
#include "server/tasks/task_request.h"
#include "server/tasks/task_service.h"

namespace teamvl::server {

namespace {
using pipelines::ItemProgress;
using pipelines::StepDef;

constexpr size_t kMaxRunFiles = 200;
constexpr int kMaxPagesPerPdf = 100;

std::span<const uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// A file name as a folder name: [A-Za-z0-9._-], no leading dot, extension dropped.
std::string folder_name(const std::string& name) {
  std::string stem = name.substr(0, name.find_last_of('.') == 0 ? name.size() : name.find_last_of('.'));
  std::string out;
  for (char c : stem) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
  if (out.empty()) out = "item";
  return out.substr(0, 60);
}

// What {{file}} reads as: the images themselves go along with the message.
std::string file_text(size_t n) {
  return n == 1 ? "[the attached image]" : "[the " + std::to_string(n) + " attached page images]";
}

// Sampling fields of a preset that a task takes (a preset may hold more,
// e.g. a system prompt, which is applied as a system message).
const char* const kTaskParams[] = {"temperature",        "top_p",            "top_k",           "min_p",
                                   "max_tokens",         "seed",             "stop",            "repetition_penalty",
                                   "presence_penalty",   "frequency_penalty", "max_image_side"};
}  // namespace

Result<std::vector<int64_t>> PipelineRunner::files_for(const store::RunItem& item, int64_t owner_id) {
  Json src = Json::parse(item.source_json, nullptr, false);
  std::vector<int64_t> ids;
  if (!src.is_object() || !src.contains("pages")) return ids;
  for (const auto& page : src["pages"]) {
    store::FileRecord rec;
    rec.user_id = owner_id;
    rec.sha256 = page.value("sha256", "");
    rec.name = page.value("name", "page.png");
    rec.mime = page.value("mime", "image/png");
    rec.kind = "image";
    rec.width = page.value("width", 0);
    rec.height = page.value("height", 0);
    rec.pages = 1;
    TEAMVL_ASSIGN_OR_RETURN(std::string bytes, blobs_.read(rec.sha256));
    rec.size_bytes = static_cast<int64_t>(bytes.size());
    bool created = false;
    TEAMVL_ASSIGN_OR_RETURN(store::FileRecord row, blobs_.add_file(ctx_.store, rec, bytes, &created));
    ids.push_back(row.id);
  }
  return ids;
}

Status PipelineRunner::submit_step(Loaded& l, const StepDef& step) {
  auto fail = [&](const std::string& why) {
    l.prog.fail(l.step(), why);
    l.item.state = store::item_state::kFailed;
    Status st = save(l);
    item_finished(l.run, l.def);
    return st;
  };
  auto owner = ctx_.store.get_user(step.owner_id);
  if (!owner.ok() || owner->disabled || owner->username != step.owner)
    return fail("the owner of step '" + step.name + "' (" + step.owner + ") no longer exists or is disabled");

  TaskRequest req;
  pipelines::TemplateVars vars;
  vars.item = l.item.name;
  vars.input = l.step() > 0 ? l.prog.output(l.step() - 1) : "";
  std::vector<int64_t> file_ids;
  if (step.uses_file) {
    auto ids = files_for(l.item, owner->id);
    if (!ids.ok()) return fail("the item's images are not available: " + ids.status().message());
    file_ids = *ids;
    vars.file = file_text(file_ids.size());
  }
  std::string prompt = pipelines::render_template(step.prompt, vars);
  if (std::string comment = l.prog.comment(l.step()); !comment.empty())
    prompt += "\n\nReviewer's comment: " + comment;
  if (!step.preset.empty()) {
    auto presets = ctx_.store.list_presets(owner->id);
    const store::Preset* found = nullptr;
    if (presets.ok())
      for (const auto& p : *presets)
        if (p.name == step.preset) found = &p;
    if (!found) return fail("step '" + step.name + "': " + step.owner + " has no preset '" + step.preset + "'");
    Json params = Json::parse(found->params_json, nullptr, false);
    Json sampling = Json::object();
    for (const char* k : kTaskParams)
      if (params.contains(k) && !params[k].is_null()) sampling[k] = params[k];
    if (Status st = apply_params(sampling, &req); !st.ok()) return fail("preset '" + step.preset + "': " + st.message());
    if (params.contains("system_prompt") && params["system_prompt"].is_string() &&
        !params["system_prompt"].get<std::string>().empty())
      req.messages.push_back({"system", params["system_prompt"].get<std::string>()});
  }
  if (Status st = apply_params(Json::parse(step.params_json), &req); !st.ok())
    return fail("step '" + step.name + "' params: " + st.message());
  req.messages.push_back({"user", prompt, file_ids});
  // A retry with the same seed would sample the same answer again.
  req.sampling.seed += static_cast<uint64_t>(l.prog.attempts(l.step()));
  req.timeout_s = step.task_timeout_s;
  req.label = (l.def.name + " #" + std::to_string(l.run.id) + " " + l.item.name + " / " + step.name).substr(0, 200);

  std::optional<scheduler::QuotaDenial> denial;
  // The task and the item naming it are written together: after a crash an
  // item either names its task or no task exists for it.
  Status st = ctx_.store.in_transaction([&]() -> Status {
    TEAMVL_ASSIGN_OR_RETURN(store::Task task,
                            ctx_.tasks->submit(*owner, std::nullopt, store::task_kind::kPipeline, req, &denial));
    l.prog.begin_attempt(l.step(), prompt, file_ids, task.id);
    l.item.state = store::item_state::kRunning;
    l.item.task_id = task.id;
    return save(l);
  });
  if (denial) {
    // Stays pending (the sweep tries again); the item says why meanwhile.
    if (l.prog.wait(l.step(), step.owner + ": " + denial->message)) (void)save(l);
    return Status::Ok();
  }
  if (!st.ok()) return fail("step '" + step.name + "' could not be submitted: " + st.message());
  watch(*l.item.task_id, l.item.id);
  return Status::Ok();
}

Result<store::PipelineRun> PipelineRunner::start_run(const store::User& by, const store::Pipeline& p,
                                                     const std::vector<int64_t>& file_ids) {
  if (file_ids.empty()) return Status::InvalidArgument("'file_ids' must name at least one uploaded file");
  if (file_ids.size() > kMaxRunFiles)
    return Status::InvalidArgument("'file_ids' has more than " + std::to_string(kMaxRunFiles) + " files");
  TEAMVL_ASSIGN_OR_RETURN(pipelines::PipelineDef def, definition(p.id, p.version));
  std::vector<store::RunItem> items;
  std::set<std::string> folders;
  auto add_item = [&](const std::string& name, const std::string& folder_base, Json source) {
    store::RunItem it;
    it.position = static_cast<int64_t>(items.size());
    it.name = name;
    it.folder = folder_base;
    for (int n = 2; !folders.insert(it.folder).second; ++n) it.folder = folder_base + "-" + std::to_string(n);
    it.source_json = source.dump(-1, ' ', false, Json::error_handler_t::replace);
    it.steps_json = ItemProgress::parse("[]", def.steps.size()).to_json();
    items.push_back(std::move(it));
  };
  for (size_t i = 0; i < file_ids.size(); ++i) {
    auto f = ctx_.store.get_file(file_ids[i]);
    if (!f.ok() || f->user_id != by.id)
      return Status::NotFound("file_ids[" + std::to_string(i) + "]: no file with id " + std::to_string(file_ids[i]));
    Json page{{"sha256", f->sha256}, {"name", f->name}, {"mime", f->mime}, {"width", f->width}, {"height", f->height}};
    Json source{{"file_id", f->id}, {"file_name", f->name}, {"kind", f->kind}};
    if (f->kind != "pdf") {
      source["pages"] = Json::array({page});
      add_item(f->name, folder_name(f->name), source);
      continue;
    }
    TEAMVL_ASSIGN_OR_RETURN(std::string bytes, blobs_.read(f->sha256));
    // A document item shows all its pages in one message; longer PDFs need items: page.
    int max_pages = def.split_pages ? kMaxPagesPerPdf : static_cast<int>(kMaxFilesPerMessage);
    auto pages = pipelines::render_pdf_to_png(as_bytes(bytes), defaults_.page_side, max_pages);
    if (!pages.ok())
      return Status::InvalidArgument("file_ids[" + std::to_string(i) + "] (" + f->name + "): " + pages.status().message());
    Json rendered = Json::array();
    for (const auto& pg : *pages) {
      std::string sha = engine::sha256_hex(pg.png);
      TEAMVL_RETURN_IF_ERROR(blobs_.put(sha, pg.png));
      rendered.push_back({{"sha256", sha}, {"name", folder_name(f->name) + "-p" + std::to_string(pg.index + 1) + ".png"},
                          {"mime", "image/png"}, {"width", pg.width}, {"height", pg.height}});
    }
    if (!def.split_pages) {
      source["pages"] = rendered;
      add_item(f->name, folder_name(f->name), source);
      continue;
    }
    for (size_t k = 0; k < rendered.size(); ++k) {
      Json one = source;
      one["pages"] = Json::array({rendered[k]});
      one["page"] = k + 1;
      add_item(f->name + " p" + std::to_string(k + 1), folder_name(f->name) + "-p" + std::to_string(k + 1), one);
    }
  }
  store::PipelineRun run;
  run.pipeline_id = p.id;
  run.version = p.version;
  run.started_by = by.id;
  store::PipelineRun created;
  // Every step owner (reviewers included) gets rows for the page images, so
  // the blobs stay referenced while the run needs them.
  Status st = ctx_.store.in_transaction([&]() -> Status {
    TEAMVL_ASSIGN_OR_RETURN(created, ctx_.store.create_run(run, &items));
    return Status::Ok();
  });
  if (!st.ok()) return st;
  std::set<int64_t> owners;
  for (const auto& s : def.steps) owners.insert(s.owner_id);
  for (const auto& it : items)
    for (int64_t o : owners)
      if (auto ids = files_for(it, o); !ids.ok())
        log_warn("pipelines", "run " + std::to_string(created.id) + ": " + ids.status().to_string());
  publish(created.id, "run", Json{{"run_id", created.id}, {"state", created.state}}.dump());
  for (const auto& it : items) kick(it.id);
  return created;
}

Status PipelineRunner::pause(int64_t run_id) {
  std::lock_guard<std::mutex> lock(item_mu_);
  TEAMVL_ASSIGN_OR_RETURN(store::PipelineRun run, ctx_.store.get_run(run_id));
  if (run.state != store::run_state::kRunning)
    return Status::FailedPrecondition("run " + std::to_string(run_id) + " is " + run.state + ", not running");
  TEAMVL_RETURN_IF_ERROR(ctx_.store.set_run_state(run_id, store::run_state::kPaused, ""));
  publish(run_id, "run", Json{{"run_id", run_id}, {"state", store::run_state::kPaused}}.dump());
  return Status::Ok();
}

Status PipelineRunner::resume(int64_t run_id) {
  std::lock_guard<std::mutex> lock(item_mu_);
  TEAMVL_ASSIGN_OR_RETURN(store::PipelineRun run, ctx_.store.get_run(run_id));
  if (run.state != store::run_state::kPaused)
    return Status::FailedPrecondition("run " + std::to_string(run_id) + " is " + run.state + ", not paused");
  TEAMVL_RETURN_IF_ERROR(ctx_.store.set_run_state(run_id, store::run_state::kRunning, ""));
  publish(run_id, "run", Json{{"run_id", run_id}, {"state", store::run_state::kRunning}}.dump());
  TEAMVL_ASSIGN_OR_RETURN(auto items, ctx_.store.list_run_items(run_id));
  for (const auto& it : items)
    if (!store::is_final_item_state(it.state)) kick(it.id);
  return Status::Ok();
}

Status PipelineRunner::cancel(int64_t run_id) {
  std::lock_guard<std::mutex> lock(item_mu_);
  TEAMVL_ASSIGN_OR_RETURN(store::PipelineRun run, ctx_.store.get_run(run_id));
  if (store::is_final_run_state(run.state))
    return Status::FailedPrecondition("run " + std::to_string(run_id) + " has already ended (" + run.state + ")");
  TEAMVL_ASSIGN_OR_RETURN(pipelines::PipelineDef def, definition(run.pipeline_id, run.version));
  TEAMVL_RETURN_IF_ERROR(ctx_.store.set_run_state(run_id, store::run_state::kCancelled, "cancelled"));
  TEAMVL_ASSIGN_OR_RETURN(auto items, ctx_.store.list_run_items(run_id));
  for (auto& it : items) {
    if (store::is_final_item_state(it.state)) continue;
    if (it.task_id) (void)ctx_.tasks->cancel(*it.task_id);  // ok when it already ended
    ItemProgress prog = ItemProgress::parse(it.steps_json, def.steps.size());
    prog.cancel(static_cast<size_t>(std::min<int64_t>(it.step_index, static_cast<int64_t>(def.steps.size()) - 1)));
    it.state = store::item_state::kCancelled;
    it.steps_json = prog.to_json();
    TEAMVL_RETURN_IF_ERROR(ctx_.store.update_run_item(it));
  }
  (void)write_combined(run, def);
  publish(run_id, "run", Json{{"run_id", run_id}, {"state", store::run_state::kCancelled}}.dump(), true);
  return Status::Ok();
}

Status PipelineRunner::review(const store::User& by, int64_t item_id, ReviewAction action, const std::string& text,
                              const std::string& comment) {
  std::lock_guard<std::mutex> lock(item_mu_);
  TEAMVL_ASSIGN_OR_RETURN(store::RunItem item, ctx_.store.get_run_item(item_id));
  TEAMVL_ASSIGN_OR_RETURN(store::PipelineRun run, ctx_.store.get_run(item.run_id));
  TEAMVL_ASSIGN_OR_RETURN(pipelines::PipelineDef def, definition(run.pipeline_id, run.version));
  if (item.step_index >= static_cast<int64_t>(def.steps.size()) || !def.steps[item.step_index].review)
    return Status::FailedPrecondition("item " + std::to_string(item_id) + " is not at a review step");
  const StepDef& step = def.steps[item.step_index];
  if (step.owner_id != by.id && by.role != store::Role::kAdmin)
    return Status::PermissionDenied("only the reviewer of step '" + step.name + "' (" + step.owner + ") may review it");
  if (item.state != store::item_state::kAwaitingReview)
    return Status::FailedPrecondition("item " + std::to_string(item_id) + " is " + item.state + ", not awaiting review");
  if (store::is_final_run_state(run.state))
    return Status::FailedPrecondition("run " + std::to_string(run.id) + " has ended");
  Loaded l{item, run, def, ItemProgress::parse(item.steps_json, def.steps.size())};
  if (action == ReviewAction::kSendBack) {
    if (comment.empty()) return Status::InvalidArgument("'comment' is required to send an item back");
    l.prog.send_back(l.step(), by.username, comment);
    l.item.step_index -= 1;
    l.item.state = store::item_state::kPending;
    TEAMVL_RETURN_IF_ERROR(save(l));
    kick(item_id);
    return Status::Ok();
  }
  std::string input = l.step() > 0 ? l.prog.output(l.step() - 1) : "";
  std::string out = text.empty() ? input : text;
  std::string path = shared_dir(def, run.id) + "/" + item.folder + "/" + step.name + "." +
                     pipelines::format_extension(step.output_format);
  TEAMVL_RETURN_IF_ERROR(storage_.write(path, out));
  l.prog.approve(l.step(), by.username, out, !text.empty(), path);
  l.item.step_index += 1;
  l.item.state = store::item_state::kPending;
  TEAMVL_RETURN_IF_ERROR(save(l));
  kick(item_id);
  return Status::Ok();
}

Result<std::vector<store::RunItem>> PipelineRunner::reviews_for(const store::User& user) {
  std::vector<store::RunItem> out;
  TEAMVL_ASSIGN_OR_RETURN(auto runs, ctx_.store.list_runs(std::nullopt, {store::run_state::kRunning,
                                                                         store::run_state::kPaused}, 1000));
  for (const auto& run : runs) {
    auto def = definition(run.pipeline_id, run.version);
    if (!def.ok()) continue;
    TEAMVL_ASSIGN_OR_RETURN(auto items, ctx_.store.list_run_items(run.id));
    for (const auto& it : items)
      if (it.state == store::item_state::kAwaitingReview && it.step_index < static_cast<int64_t>(def->steps.size()) &&
          def->steps[it.step_index].owner_id == user.id)
        out.push_back(it);
  }
  return out;
}

std::shared_ptr<TaskChannel> PipelineRunner::events(int64_t run_id) {
  auto run = ctx_.store.get_run(run_id);
  if (!run.ok()) return nullptr;
  std::lock_guard<std::mutex> lock(run_mu_);
  auto it = channels_.find(run_id);
  if (it != channels_.end()) return it->second;
  if (store::is_final_run_state(run->state)) return nullptr;
  auto ch = std::make_shared<TaskChannel>();
  ch->publish("run", Json{{"run_id", run_id}, {"state", run->state}}.dump());
  channels_[run_id] = ch;
  return ch;
}

void PipelineRunner::publish(int64_t run_id, const std::string& event, const std::string& data, bool final) {
  std::shared_ptr<TaskChannel> ch;
  {
    std::lock_guard<std::mutex> lock(run_mu_);
    auto it = channels_.find(run_id);
    if (it == channels_.end()) {
      if (final) return;
      it = channels_.emplace(run_id, std::make_shared<TaskChannel>()).first;
    }
    ch = it->second;
    if (final) channels_.erase(it);  // later subscribers read the stored run instead
  }
  ch->publish(event, data, final);
}

}  // namespace teamvl::server
