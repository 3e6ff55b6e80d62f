// Per-member quotas: one optional row per member; unset columns mean "the
// team default".
#include <string>
#include <utility>

#include "store/sqlite/sqlite_store.h"

namespace teamvl::store::sqlite {

namespace {

Status check_quota(const Quota& q) {
  const std::pair<const char*, std::optional<int64_t>> counts[] = {
      {"inferences_per_day", q.inferences_per_day},
      {"tokens_per_day", q.tokens_per_day},
      {"max_concurrent", q.max_concurrent},
      {"priority_ceiling", q.priority_ceiling},
  };
  for (const auto& [name, value] : counts) {
    if (value && *value < 0) {
      return Status::InvalidArgument(std::string(name) + " must not be negative");
    }
  }
  // Written as a negation so that NaN is refused too.
  if (q.memory_budget_gib && !(*q.memory_budget_gib >= 0)) {
    return Status::InvalidArgument("memory_budget_gib must be a number >= 0");
  }
  return Status::Ok();
}

}  // namespace

Result<Quota> SqliteStore::get_quota(int64_t user_id) {
  Lock lock(mu_);
  TEAMVL_ASSIGN_OR_RETURN(
      Statement stmt,
      db_->prepare("SELECT inferences_per_day, tokens_per_day, max_concurrent, "
                   "memory_budget_gib, priority_ceiling FROM quotas WHERE user_id = ?"));
  TEAMVL_RETURN_IF_ERROR(stmt.bind(user_id));
  TEAMVL_ASSIGN_OR_RETURN(bool row, stmt.step());
  Quota q;
  q.user_id = user_id;
  if (!row) {
    // No row is the normal case; a member that does not exist is not.
    TEAMVL_RETURN_IF_ERROR(get_user(user_id).status());
    return q;
  }
  q.inferences_per_day = stmt.opt_int64(0);
  q.tokens_per_day = stmt.opt_int64(1);
  q.max_concurrent = stmt.opt_int64(2);
  q.memory_budget_gib = stmt.opt_real(3);
  q.priority_ceiling = stmt.opt_int64(4);
  return q;
}

Status SqliteStore::set_quota(const Quota& q) {
  TEAMVL_RETURN_IF_ERROR(check_quota(q));
  Lock lock(mu_);
  Status st = db_->exec(
      "INSERT INTO quotas (user_id, inferences_per_day, tokens_per_day, max_concurrent, "
      "memory_budget_gib, priority_ceiling) VALUES (?, ?, ?, ?, ?, ?) "
      "ON CONFLICT (user_id) DO UPDATE SET inferences_per_day = excluded.inferences_per_day, "
      "tokens_per_day = excluded.tokens_per_day, max_concurrent = excluded.max_concurrent, "
      "memory_budget_gib = excluded.memory_budget_gib, "
      "priority_ceiling = excluded.priority_ceiling",
      q.user_id, q.inferences_per_day, q.tokens_per_day, q.max_concurrent, q.memory_budget_gib,
      q.priority_ceiling);
  return with_message(std::move(st), StatusCode::kNotFound,
                      "no user with id " + std::to_string(q.user_id));
}

}  // namespace teamvl::store::sqlite
