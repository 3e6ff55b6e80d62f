#include "scheduler/admission.h"

#include <algorithm>
#include <cstdio>

namespace teamvl::scheduler {

int64_t kv_blocks_for_tokens(const KvGeometry& g, int64_t tokens) {
  const int64_t bs = std::max<int32_t>(g.block_size, 1);
  const int64_t t = std::clamp<int64_t>(tokens, 0, std::max<int32_t>(g.n_ctx, 1));
  return (t + bs - 1) / bs;
}

int64_t kv_bytes_for_tokens(const KvGeometry& g, int64_t tokens) {
  return kv_blocks_for_tokens(g, tokens) * g.block_bytes;
}

std::string format_bytes(int64_t bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024.0 && u < 4) {
    v /= 1024.0;
    ++u;
  }
  char buf[32];
  if (u == 0) {
    std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(bytes));
  } else {
    std::snprintf(buf, sizeof buf, v < 10 ? "%.1f %s" : "%.0f %s", v, kUnits[u]);
  }
  return buf;
}

std::optional<int64_t> choose_victim(const std::vector<RunningTask>& running, QueuePolicy policy) {
  const RunningTask* best = nullptr;
  auto better = [&](const RunningTask& a, const RunningTask& b) {  // a gives way before b
    if (a.priority != b.priority) return a.priority < b.priority;
    if (policy == QueuePolicy::kFair && a.counter != b.counter) return a.counter > b.counter;
    return a.started > b.started;
  };
  for (const RunningTask& r : running) {
    if (!r.holds_memory) continue;
    if (!best || better(r, *best)) best = &r;
  }
  if (!best) return std::nullopt;
  return best->task_id;
}

Admission::Admission(KvGeometry geometry, int32_t max_users, int32_t max_sequences)
    : geo_(geometry), max_users_(max_users), max_sequences_(max_sequences) {}

int64_t Admission::need_bytes(int64_t prompt_tokens, int64_t max_output_tokens) const {
  return kv_bytes_for_tokens(geo_, std::max<int64_t>(prompt_tokens, 0) + std::max<int64_t>(max_output_tokens, 0));
}

Status Admission::check_fits(int64_t prompt_tokens, int64_t max_output_tokens, const MemberLimits& limits) const {
  if (prompt_tokens > geo_.n_ctx) {
    return Status::InvalidArgument("the prompt has " + std::to_string(prompt_tokens) +
                                   " tokens; the context window holds " + std::to_string(geo_.n_ctx));
  }
  const int64_t need = need_bytes(prompt_tokens, max_output_tokens);
  const std::string what = "needs " + format_bytes(need) + " of KV memory (" + std::to_string(prompt_tokens) +
                           " prompt + " + std::to_string(max_output_tokens) + " output tokens)";
  if (limits.budget_bytes > 0 && need > limits.budget_bytes) {
    return Status::TooLarge("this request " + what + ", your budget is " + format_bytes(limits.budget_bytes) +
                            "; shorten the prompt or lower max_tokens");
  }
  const int64_t pool = geo_.capacity_blocks * geo_.block_bytes;
  if (need > pool) {
    return Status::TooLarge("this request " + what + ", the server's whole KV cache holds " +
                            format_bytes(pool) + "; shorten the prompt or lower max_tokens");
  }
  return Status::Ok();
}

AdmitDecision Admission::decide(int64_t member, const MemberLimits& limits, int64_t need, int64_t prompt_blocks,
                                int64_t free_blocks, int64_t headroom_blocks) const {
  const int64_t mine = running_tasks(member);
  if (limits.max_concurrent > 0 && mine >= limits.max_concurrent) {
    return {Verdict::kSkipMember, "member runs " + std::to_string(mine) + " tasks, their limit"};
  }
  if (limits.budget_bytes > 0 && reserved_bytes(member) + need > limits.budget_bytes) {
    return {Verdict::kSkipMember, "member's running tasks hold " + format_bytes(reserved_bytes(member)) +
                                      " of their " + format_bytes(limits.budget_bytes) + " budget"};
  }
  if (mine == 0 && max_users_ > 0 && running_members() >= max_users_) {
    return {Verdict::kStop, std::to_string(running_members()) + " members are running (MAX_USERS)"};
  }
  if (max_sequences_ > 0 && running_tasks() >= max_sequences_) {
    return {Verdict::kStop, "the engine runs its maximum of sequences"};
  }
  // With nothing running, anything that passed check_fits may start.
  if (running_tasks() > 0 && free_blocks < prompt_blocks + headroom_blocks) {
    return {Verdict::kStop, "the KV cache is full"};
  }
  return {};
}

void Admission::on_start(int64_t task_id, int64_t member, int64_t need) {
  if (tasks_.count(task_id)) on_end(task_id);
  tasks_[task_id] = TaskUse{member, need};
  MemberUse& m = per_member_[member];
  ++m.tasks;
  m.reserved += need;
}

void Admission::on_end(int64_t task_id) {
  auto it = tasks_.find(task_id);
  if (it == tasks_.end()) return;
  auto m = per_member_.find(it->second.member);
  if (m != per_member_.end()) {
    --m->second.tasks;
    m->second.reserved -= it->second.need;
    if (m->second.tasks <= 0) per_member_.erase(m);
  }
  tasks_.erase(it);
}

int64_t Admission::running_tasks(int64_t member) const {
  auto it = per_member_.find(member);
  return it == per_member_.end() ? 0 : it->second.tasks;
}

int64_t Admission::reserved_bytes(int64_t member) const {
  auto it = per_member_.find(member);
  return it == per_member_.end() ? 0 : it->second.reserved;
}

}  // namespace teamvl::scheduler
