#include "scheduler/quotas.h"

#include <ctime>

namespace teamvl::scheduler {

const char* priority_name(int p) {
  switch (p) {
    case kPriorityLow: return "low";
    case kPriorityNormal: return "normal";
    case kPriorityHigh: return "high";
    case kPriorityUrgent: return "urgent";
  }
  return "unknown";
}

EffectiveQuota effective_quota(const store::Quota& o, const QuotaDefaults& d) {
  EffectiveQuota q;
  int64_t inf = o.inferences_per_day.value_or(d.inferences_per_day);
  int64_t tok = o.tokens_per_day.value_or(d.tokens_per_day);
  if (inf > 0) q.inferences_per_day = inf;
  if (tok > 0) q.tokens_per_day = tok;
  q.max_concurrent = o.max_concurrent.value_or(d.max_concurrent);
  q.memory_budget_gib = o.memory_budget_gib.value_or(d.memory_budget_gib);
  q.priority_ceiling = o.priority_ceiling.value_or(d.priority_ceiling);
  return q;
}

std::optional<QuotaDenial> check_submission(const EffectiveQuota& q, const store::Usage& today,
                                            int64_t active_tasks, int64_t estimated_tokens,
                                            int64_t now) {
  int64_t midnight = next_utc_midnight(now);
  if (q.inferences_per_day && today.inferences >= *q.inferences_per_day) {
    return QuotaDenial{"inferences_per_day", *q.inferences_per_day, today.inferences, midnight,
                       "daily inference quota reached (" + std::to_string(today.inferences) + " of " +
                           std::to_string(*q.inferences_per_day) + "); it resets at 00:00 UTC"};
  }
  int64_t tokens = today.input_tokens + today.output_tokens;
  if (q.tokens_per_day && tokens + estimated_tokens > *q.tokens_per_day) {
    return QuotaDenial{"tokens_per_day", *q.tokens_per_day, tokens, midnight,
                       "daily token quota reached (" + std::to_string(tokens) + " used, this task needs about " +
                           std::to_string(estimated_tokens) + ", limit " +
                           std::to_string(*q.tokens_per_day) + "); it resets at 00:00 UTC"};
  }
  if (active_tasks >= q.max_concurrent) {
    return QuotaDenial{"max_concurrent", q.max_concurrent, active_tasks, 0,
                       "too many tasks at once (" + std::to_string(active_tasks) + " of " +
                           std::to_string(q.max_concurrent) + "); wait for one to finish"};
  }
  return std::nullopt;
}

std::string utc_day(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

int64_t next_utc_midnight(int64_t unix_seconds) {
  return (unix_seconds / 86400 + 1) * 86400;
}

}  // namespace teamvl::scheduler
