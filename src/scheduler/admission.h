// Admission rules: whether a queued task may start now, whether a submitted
// task could ever start, and which running task gives way when the shared KV
// pool runs out. Memory is counted in the engine's KV blocks: a task's need is
// its prompt plus its maximum output, rounded up to whole blocks.
//
// Not thread-safe: the engine loop owns it (the pure functions are free to use
// from any thread).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "scheduler/fair_queue.h"

namespace teamvl::scheduler {

// What one member may hold at once (from the quota: max_concurrent,
// GPU_MEM_PER_USER or the admin's override) and their fair-share weight.
struct MemberLimits {
  int64_t max_concurrent = 4;  // running tasks; <= 0: unlimited
  int64_t budget_bytes = 0;    // KV bytes of running sequences; <= 0: no budget of its own
  double weight = 1.0;         // VTC weight (> 0)
};

// The engine's KV geometry, from engine::KvCache and the runner config.
struct KvGeometry {
  int64_t block_bytes = 0;      // one block, all layers, K and V
  int32_t block_size = 16;      // token slots per block
  int64_t capacity_blocks = 0;  // the whole pool
  int32_t n_ctx = 4096;         // max tokens per sequence
};

// Blocks (and bytes) a sequence of `tokens` tokens holds at most: tokens
// capped at n_ctx, rounded up to whole blocks.
int64_t kv_blocks_for_tokens(const KvGeometry& g, int64_t tokens);
int64_t kv_bytes_for_tokens(const KvGeometry& g, int64_t tokens);
// "1.2 GiB", "640 KiB", "512 B": sizes in refusal messages.
std::string format_bytes(int64_t bytes);

// Why a candidate waits, for logs and the team view.
struct AdmitDecision {
  Verdict verdict = Verdict::kAdmit;
  std::string reason;  // empty when admitted
};

// A running task, as victim choice sees it.
struct RunningTask {
  int64_t task_id = 0;
  int64_t member = 0;
  int priority = 1;
  double counter = 0;      // the member's VTC counter
  int64_t started = 0;     // admission order (larger = younger)
  bool holds_memory = true;
};

// The running task to preempt when the pool runs out: lowest priority class
// first; then (kFair) the member furthest over their fair share, i.e. with the
// highest counter, or (kFifo) any member; then the youngest task. nullopt when
// no candidate holds memory.
std::optional<int64_t> choose_victim(const std::vector<RunningTask>& running, QueuePolicy policy);

class Admission {
 public:
  // max_users: distinct members running at once (<= 0: unlimited);
  // max_sequences: running tasks in all (the runner's limit).
  Admission(KvGeometry geometry, int32_t max_users, int32_t max_sequences);

  const KvGeometry& geometry() const { return geo_; }
  void set_max_users(int32_t n) { max_users_ = n; }
  int32_t max_users() const { return max_users_; }

  // KV bytes a task of `prompt_tokens` + `max_output_tokens` may hold.
  int64_t need_bytes(int64_t prompt_tokens, int64_t max_output_tokens) const;
  // Submission-time refusal of a task that could never start: TooLarge with
  // the numbers ("needs 1.2 GiB of KV memory, your budget is 1.0 GiB") when
  // it exceeds the member's budget or the whole pool; InvalidArgument when
  // the prompt alone exceeds the context window.
  Status check_fits(int64_t prompt_tokens, int64_t max_output_tokens, const MemberLimits& limits) const;

  // May a task of `member` needing `need` bytes and `prompt_blocks` blocks to
  // prefill start now? `free_blocks` is the pool's room (free + evictable
  // cache) minus what admitted prompts will still take; `headroom_blocks` is
  // kept free for the running sequences' next tokens.
  //   member at max_concurrent, or over their budget -> kSkipMember
  //   a new member when MAX_USERS are running       -> kStop (the slot goes to them next)
  //   runner full, or pool too full                  -> kStop
  AdmitDecision decide(int64_t member, const MemberLimits& limits, int64_t need, int64_t prompt_blocks,
                       int64_t free_blocks, int64_t headroom_blocks) const;

  // Book-keeping of admitted tasks (their reserved bytes count against the budget).
  void on_start(int64_t task_id, int64_t member, int64_t need);
  void on_end(int64_t task_id);

  int32_t running_members() const { return static_cast<int32_t>(per_member_.size()); }
  int32_t running_tasks() const { return static_cast<int32_t>(tasks_.size()); }
  int64_t running_tasks(int64_t member) const;
  int64_t reserved_bytes(int64_t member) const;
  bool is_running(int64_t member) const { return per_member_.count(member) > 0; }

 private:
  struct MemberUse {
    int64_t tasks = 0;
    int64_t reserved = 0;
  };
  struct TaskUse {
    int64_t member = 0;
    int64_t need = 0;
  };

  KvGeometry geo_;
  int32_t max_users_;
  int32_t max_sequences_;
  std::map<int64_t, MemberUse> per_member_;  // members with running tasks
  std::unordered_map<int64_t, TaskUse> tasks_;
};

}  // namespace teamvl::scheduler
