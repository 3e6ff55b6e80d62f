// Runs relay pipelines: each item of a run moves through the steps on its
// own; a generation step is an ordinary task submitted as the step's owner
// (so quotas and fair share apply), a review step waits for its reviewer.
// Everything a run needs to continue is in the store (the item's step index,
// the task in flight, per-step results), so after a crash or kill the
// runner picks every running item up where it was: it follows the task the
// item names (TaskService requeued it under the same id) and never submits
// a second one for it.
//
// One worker thread advances items; HTTP handlers call the public methods
// from any thread. All item changes happen under one lock. Thread-safe.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "pipelines/definition.h"
#include "pipelines/item_progress.h"
#include "pipelines/shared_storage.h"
#include "server/blob_store.h"
#include "server/http/http.h"
#include "store/store.h"

namespace teamvl::server {

struct ServerContext;
class TaskChannel;

enum class ReviewAction { kApprove, kSendBack };

class PipelineRunner {
 public:
  // `ctx` (with its task service) must outlive the runner.
  explicit PipelineRunner(ServerContext& ctx);
  ~PipelineRunner();  // stops the worker

  // Continues every run that was running; starts the worker. Call after the
  // task service recovered its tasks.
  void start();
  void stop();

  pipelines::SharedStorage& storage() { return storage_; }
  const pipelines::PipelineDefaults& defaults() const { return defaults_; }
  // Member and preset lookups for validating definitions.
  pipelines::DefinitionLookups lookups();
  // The parsed definition of a stored version.
  Result<pipelines::PipelineDef> definition(int64_t pipeline_id, int64_t version);

  // Starts a run of the pipeline's newest version over `file_ids` (the
  // caller's uploads). PDFs are rendered to page images here.
  Result<store::PipelineRun> start_run(const store::User& by, const store::Pipeline& p,
                                       const std::vector<int64_t>& file_ids);
  Status pause(int64_t run_id);
  Status resume(int64_t run_id);
  Status cancel(int64_t run_id);
  // The review step's owner (or an admin) decides on an item awaiting review.
  // Approve with `text` non-empty: the text replaces the output. Send back
  // needs a comment. PermissionDenied for anyone else.
  Status review(const store::User& by, int64_t item_id, ReviewAction action, const std::string& text,
                const std::string& comment);
  // Items awaiting a review by `user` (their review steps).
  Result<std::vector<store::RunItem>> reviews_for(const store::User& user);

  // The run's live event channel (created on demand with a snapshot event);
  // null for a run that has ended.
  std::shared_ptr<TaskChannel> events(int64_t run_id);

  // Wakes the worker for this item.
  void kick(int64_t item_id);

 private:
  // An item with everything needed to move it on.
  struct Loaded {
    store::RunItem item;
    store::PipelineRun run;
    pipelines::PipelineDef def;
    pipelines::ItemProgress prog;
    size_t step() const { return static_cast<size_t>(item.step_index); }
  };
  void worker();
  void sweep();
  void advance(int64_t item_id);
  Status start_step(Loaded& l);
  Status on_task_end(Loaded& l, const store::Task& task);
  Status submit_step(Loaded& l, const pipelines::StepDef& step);
  Status save(Loaded& l);
  void watch(int64_t task_id, int64_t item_id);
  void item_finished(const store::PipelineRun& run, const pipelines::PipelineDef& def);
  Status write_combined(const store::PipelineRun& run, const pipelines::PipelineDef& def);
  Result<std::vector<int64_t>> files_for(const store::RunItem& item, int64_t owner_id);
  void publish(int64_t run_id, const std::string& event, const std::string& data, bool final = false);
  std::string shared_dir(const pipelines::PipelineDef& def, int64_t run_id) const;

  ServerContext& ctx_;
  pipelines::PipelineDefaults defaults_;
  pipelines::SharedStorage storage_;
  BlobStore blobs_;

  std::mutex item_mu_;  // held while an item (or a run's items) change

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<int64_t> queue_;                           // guarded by queue_mu_
  std::set<int64_t> queued_;                            // guarded by queue_mu_
  std::set<int64_t> watched_;                           // task ids followed; guarded by queue_mu_
  std::map<int64_t, std::vector<std::string>> retries_; // engine retries per task; guarded by queue_mu_
  bool stop_ = false;                                   // guarded by queue_mu_

  std::mutex run_mu_;
  std::map<int64_t, std::shared_ptr<TaskChannel>> channels_;  // guarded by run_mu_
  std::map<std::pair<int64_t, int64_t>, pipelines::PipelineDef> defs_;  // guarded by run_mu_

  std::thread thread_;
};

// Route groups of the pipelines (routes/pipeline_routes.cpp, routes/shared_routes.cpp).
void add_pipeline_routes(Router& r, ServerContext& ctx, PipelineRunner& runner);
void add_shared_routes(Router& r, ServerContext& ctx, PipelineRunner& runner);

}  // namespace teamvl::server
