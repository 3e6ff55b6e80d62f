// The audit log: append-only, read newest first in pages.
#include <nlohmann/json.hpp>

#include <string>

#include "store/sqlite/sqlite_store.h"

namespace teamvl::store::sqlite {

namespace {

AuditEntry read_entry(const Statement& s) {
  AuditEntry e;
  e.id = s.int64(0);
  e.at = s.int64(1);
  e.actor_user_id = s.opt_int64(2);
  e.actor = s.text(3);
  e.action = s.text(4);
  e.target = s.text(5);
  e.detail_json = s.text(6);
  e.client_addr = s.text(7);
  return e;
}

}  // namespace

Status SqliteStore::append_audit(const AuditEntry& e) {
  if (e.action.empty()) return Status::InvalidArgument("audit action must not be empty");
  const std::string detail = e.detail_json.empty() ? "{}" : e.detail_json;
  if (!nlohmann::json::accept(detail)) {
    return Status::InvalidArgument("audit detail is not valid JSON");
  }
  Lock lock(mu_);
  return db_->exec(
      "INSERT INTO audit_log (at, actor_user_id, actor, action, target, detail_json, "
      "client_addr) VALUES (?, ?, ?, ?, ?, ?, ?)",
      e.at != 0 ? e.at : now(), e.actor_user_id, e.actor, e.action, e.target, detail,
      e.client_addr);
}

Result<std::vector<AuditEntry>> SqliteStore::list_audit(int limit,
                                                        std::optional<int64_t> before_id) {
  if (limit <= 0) return Status::InvalidArgument("audit page size must be positive");
  Lock lock(mu_);
  // Ids only grow (AUTOINCREMENT), so "newest first" is id order; the
  // range on the primary key makes a deep page as cheap as the first.
  const std::string columns =
      "SELECT id, at, actor_user_id, actor, action, target, detail_json, client_addr "
      "FROM audit_log ";
  TEAMVL_ASSIGN_OR_RETURN(
      Statement stmt, db_->prepare(columns + (before_id ? "WHERE id < ? " : "") +
                                   "ORDER BY id DESC LIMIT ?"));
  TEAMVL_RETURN_IF_ERROR(before_id ? stmt.bind(*before_id, limit) : stmt.bind(limit));
  return stmt.collect(read_entry);
}

}  // namespace teamvl::store::sqlite
