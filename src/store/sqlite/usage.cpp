// Daily usage counters per member, accumulated by upsert.
#include <cctype>
#include <string>
#include <utility>

#include "store/sqlite/sqlite_store.h"

namespace teamvl::store::sqlite {

namespace {

// "YYYY-MM-DD" with a plausible month and day; the text order of such
// strings is their date order, which list_usage relies on.
Status check_day(const std::string& day) {
  auto digits = [&](size_t from, size_t n) {
    for (size_t i = from; i < from + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(day[i]))) return false;
    }
    return true;
  };
  const bool shape = day.size() == 10 && day[4] == '-' && day[7] == '-' && digits(0, 4) &&
                     digits(5, 2) && digits(8, 2);
  if (shape) {
    const int month = std::stoi(day.substr(5, 2));
    const int dom = std::stoi(day.substr(8, 2));
    if (month >= 1 && month <= 12 && dom >= 1 && dom <= 31) return Status::Ok();
  }
  return Status::InvalidArgument("day must look like YYYY-MM-DD, got '" + day + "'");
}

Status check_delta(const Usage& u) {
  if (u.inferences < 0 || u.input_tokens < 0 || u.output_tokens < 0 || u.images < 0 ||
      !(u.compute_seconds >= 0)) {
    return Status::InvalidArgument("usage counters only grow; a delta must not be negative");
  }
  return Status::Ok();
}

Usage read_usage(const Statement& s) {
  Usage u;
  u.user_id = s.int64(0);
  u.day = s.text(1);
  u.inferences = s.int64(2);
  u.input_tokens = s.int64(3);
  u.output_tokens = s.int64(4);
  u.images = s.int64(5);
  u.compute_seconds = s.real(6);
  return u;
}

constexpr const char* kUsageColumns =
    "SELECT user_id, day, inferences, input_tokens, output_tokens, images, compute_seconds "
    "FROM usage_daily ";

}  // namespace

Status SqliteStore::add_usage(const Usage& d) {
  TEAMVL_RETURN_IF_ERROR(check_day(d.day));
  TEAMVL_RETURN_IF_ERROR(check_delta(d));
  Lock lock(mu_);
  // One statement, so concurrent adds (even from other processes) never lose
  // an increment.
  Status st = db_->exec(
      "INSERT INTO usage_daily (user_id, day, inferences, input_tokens, output_tokens, images, "
      "compute_seconds) VALUES (?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT (user_id, day) DO UPDATE SET "
      "inferences = usage_daily.inferences + excluded.inferences, "
      "input_tokens = usage_daily.input_tokens + excluded.input_tokens, "
      "output_tokens = usage_daily.output_tokens + excluded.output_tokens, "
      "images = usage_daily.images + excluded.images, "
      "compute_seconds = usage_daily.compute_seconds + excluded.compute_seconds",
      d.user_id, d.day, d.inferences, d.input_tokens, d.output_tokens, d.images,
      d.compute_seconds);
  return with_message(std::move(st), StatusCode::kNotFound,
                      "no user with id " + std::to_string(d.user_id));
}

Result<Usage> SqliteStore::get_usage(int64_t user_id, const std::string& day) {
  TEAMVL_RETURN_IF_ERROR(check_day(day));
  Lock lock(mu_);
  TEAMVL_ASSIGN_OR_RETURN(
      Statement stmt, db_->prepare(std::string(kUsageColumns) + "WHERE user_id = ? AND day = ?"));
  TEAMVL_RETURN_IF_ERROR(stmt.bind(user_id, day));
  TEAMVL_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (row) return read_usage(stmt);
  Usage zero;
  zero.user_id = user_id;
  zero.day = day;
  return zero;
}

Result<std::vector<Usage>> SqliteStore::list_usage(const std::string& from_day,
                                                   const std::string& to_day) {
  TEAMVL_RETURN_IF_ERROR(check_day(from_day));
  TEAMVL_RETURN_IF_ERROR(check_day(to_day));
  Lock lock(mu_);
  TEAMVL_ASSIGN_OR_RETURN(
      Statement stmt,
      db_->prepare(std::string(kUsageColumns) +
                   "WHERE day >= ? AND day <= ? ORDER BY day, user_id"));
  TEAMVL_RETURN_IF_ERROR(stmt.bind(from_day, to_day));
  return stmt.collect(read_usage);
}

}  // namespace teamvl::store::sqlite
