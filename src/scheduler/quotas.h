// Per-member quotas: the team defaults (settings) merged with an admin's
// per-member overrides (store), and the check made when a task is submitted.
// Pure functions; the caller supplies today's usage and the running count.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "store/store.h"

namespace teamvl::scheduler {

// Priority classes, lowest first. Members run at their ceiling or lower.
enum Priority : int { kPriorityLow = 0, kPriorityNormal = 1, kPriorityHigh = 2, kPriorityUrgent = 3 };
inline constexpr int kMaxPriority = kPriorityUrgent;
const char* priority_name(int p);

struct QuotaDefaults {
  int64_t inferences_per_day = 0;  // 0 = unlimited
  int64_t tokens_per_day = 0;      // 0 = unlimited
  int64_t max_concurrent = 4;
  double memory_budget_gib = 4.0;  // GPU_MEM_PER_USER
  int64_t priority_ceiling = kPriorityNormal;
};

struct EffectiveQuota {
  std::optional<int64_t> inferences_per_day;  // nullopt = unlimited
  std::optional<int64_t> tokens_per_day;
  int64_t max_concurrent = 0;
  double memory_budget_gib = 0;
  int64_t priority_ceiling = kPriorityNormal;
};

EffectiveQuota effective_quota(const store::Quota& overrides, const QuotaDefaults& defaults);

// Why a submission is refused; becomes HTTP 429 quota_exceeded.
struct QuotaDenial {
  std::string quota;   // "inferences_per_day" | "tokens_per_day" | "max_concurrent"
  int64_t limit = 0;
  int64_t used = 0;
  int64_t resets_at = 0;  // Unix seconds; for max_concurrent: 0 (when a task ends)
  std::string message;
};

// Checks one new task of about `estimated_tokens` against the quota, with
// today's usage and the member's currently queued or running tasks.
std::optional<QuotaDenial> check_submission(const EffectiveQuota& q, const store::Usage& today,
                                            int64_t active_tasks, int64_t estimated_tokens,
                                            int64_t now);

// "YYYY-MM-DD" of a Unix time, UTC.
std::string utc_day(int64_t unix_seconds);
// The next 00:00 UTC after `unix_seconds`.
int64_t next_utc_midnight(int64_t unix_seconds);

}  // namespace teamvl::scheduler
