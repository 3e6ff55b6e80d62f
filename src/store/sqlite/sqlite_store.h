// The SQLite implementation of Store: one connection in WAL mode, guarded by
// a recursive mutex. A call holds the mutex for its duration; in_transaction
// holds it until fn returns, so every call fn makes on its thread joins the
// transaction and other threads wait. Other processes on the same file wait
// through SQLite's busy timeout. The methods are split by entity across
// users.cpp, sessions.cpp, api_keys.cpp, quotas.cpp, settings.cpp,
// audit.cpp, usage.cpp, tasks.cpp, chat_sessions.cpp, files.cpp,
// presets.cpp and pipelines.cpp; adding an entity is a migration plus such a file.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "base/clock.h"
#include "store/sqlite/db.h"
#include "store/store.h"

namespace teamvl::store::sqlite {

struct SqliteStoreOptions {
  int busy_timeout_ms = 5000;     // how long a write waits for another process
  bool sync_every_commit = true;  // fsync each commit (see DbOptions)
  const Clock* clock = nullptr;   // for created_at etc.; null = the real clock.
                                  // Not owned; must outlive the store.
};

// Opens (creating) the database at `path` and applies pending migrations.
Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path,
                                                 const SqliteStoreOptions& options);

class SqliteStore final : public Store {
 public:
  SqliteStore(std::unique_ptr<Db> db, int schema_version, const Clock& clock);

  // Note: fn must not wait for another thread that uses this store (that
  // thread would wait for fn's transaction to end).
  Status in_transaction(const std::function<Status()>& fn) override;
  int schema_version() override;

  Result<User> create_user(const User& user) override;
  Result<User> get_user(int64_t id) override;
  Result<User> find_user(const std::string& username) override;
  Result<std::vector<User>> list_users() override;
  Status update_user(const User& user) override;
  Status delete_user(int64_t id) override;

  Result<bool> setup_done() override;
  Result<User> complete_setup(const User& admin) override;

  Status create_session(const WebSession& s) override;
  Result<WebSession> get_session(const std::string& token_hash) override;
  Status touch_session(const std::string& token_hash, int64_t at) override;
  Status delete_session(const std::string& token_hash) override;
  Status delete_user_sessions(int64_t user_id) override;
  Status delete_expired_sessions(int64_t now) override;

  Result<ApiKey> create_api_key(const ApiKey& key) override;
  Result<ApiKey> get_api_key(int64_t id) override;
  Result<ApiKey> find_api_key(const std::string& prefix) override;
  Result<std::vector<ApiKey>> list_api_keys(std::optional<int64_t> user_id) override;
  Status revoke_api_key(int64_t id, int64_t at) override;
  Result<ApiKey> rotate_api_key(int64_t old_id, const ApiKey& replacement,
                                int64_t old_expires_at) override;
  Status record_api_key_use(int64_t id, int64_t at) override;

  Result<Quota> get_quota(int64_t user_id) override;
  Status set_quota(const Quota& quota) override;

  Result<std::map<std::string, std::string>> get_team_settings() override;
  Status set_team_setting(const std::string& key, const std::string& json_value) override;

  Status append_audit(const AuditEntry& e) override;
  Result<std::vector<AuditEntry>> list_audit(int limit, std::optional<int64_t> before_id) override;

  Status add_usage(const Usage& delta) override;
  Result<Usage> get_usage(int64_t user_id, const std::string& day) override;
  Result<std::vector<Usage>> list_usage(const std::string& from_day,
                                        const std::string& to_day) override;

  Result<Task> create_task(const Task& task) override;
  Result<Task> get_task(int64_t id) override;
  Result<std::vector<Task>> list_tasks(const TaskFilter& filter) override;
  Status mark_task_running(int64_t id, int64_t started_at) override;
  Status finish_task(int64_t id, const TaskOutcome& outcome) override;
  Status requeue_task(int64_t id, RequeueReason reason) override;
  Result<int> requeue_interrupted_tasks() override;
  Result<int64_t> count_active_tasks(int64_t user_id) override;
  Status set_task_priority(int64_t id, int priority) override;

  Result<ChatSession> create_chat_session(const ChatSession& s) override;
  Result<ChatSession> get_chat_session(int64_t id) override;
  Result<std::vector<ChatSession>> list_chat_sessions(int64_t user_id) override;
  Status rename_chat_session(int64_t id, const std::string& title) override;
  Status delete_chat_session(int64_t id) override;
  Result<ChatMessage> add_chat_message(const ChatMessage& m) override;
  Result<std::vector<ChatMessage>> list_chat_messages(int64_t session_id) override;
  Status update_chat_message_content(int64_t id, const std::string& content) override;

  Result<FileRecord> create_file(const FileRecord& f) override;
  Result<FileRecord> get_file(int64_t id) override;
  Result<std::vector<FileRecord>> list_files(int64_t user_id) override;
  Status delete_file(int64_t id) override;
  Result<int64_t> count_file_references(const std::string& sha256) override;

  Result<Preset> create_preset(const Preset& p) override;
  Result<Preset> get_preset(int64_t id) override;
  Result<std::vector<Preset>> list_presets(int64_t user_id) override;
  Status update_preset(const Preset& p) override;
  Status delete_preset(int64_t id) override;

  Result<Pipeline> create_pipeline(const Pipeline& p, const std::string& definition_json) override;
  Result<Pipeline> get_pipeline(int64_t id) override;
  Result<std::vector<Pipeline>> list_pipelines() override;
  Result<Pipeline> add_pipeline_version(int64_t id, const std::string& name, const std::string& definition_json,
                                        int64_t by) override;
  Result<PipelineVersion> get_pipeline_version(int64_t id, int64_t version) override;
  Result<std::vector<PipelineVersion>> list_pipeline_versions(int64_t id) override;
  Status delete_pipeline(int64_t id) override;
  Result<PipelineRun> create_run(const PipelineRun& run, std::vector<RunItem>* items) override;
  Result<PipelineRun> get_run(int64_t id) override;
  Result<std::vector<PipelineRun>> list_runs(std::optional<int64_t> pipeline_id,
                                             const std::vector<std::string>& states, int limit) override;
  Status set_run_state(int64_t id, const std::string& state, const std::string& error) override;
  Result<RunItem> get_run_item(int64_t id) override;
  Result<std::vector<RunItem>> list_run_items(int64_t run_id) override;
  Status update_run_item(const RunItem& item) override;

 private:
  using Lock = std::lock_guard<std::recursive_mutex>;
  int64_t now() const { return clock_.now_unix(); }

  std::recursive_mutex mu_;
  std::unique_ptr<Db> db_;  // guarded by mu_
  const int schema_version_;
  const Clock& clock_;
};

// Replaces the message of a NotFound/AlreadyExists status with one that
// names the row, leaving other statuses as they are.
Status with_message(Status st, StatusCode code, const std::string& message);

// InvalidArgument unless `json` is one JSON object ("what" names the field).
// Shared by the entities that keep JSON documents.
Status check_json_object(const std::string& json, const std::string& what);

}  // namespace teamvl::store::sqlite
