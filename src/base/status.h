// Status and Result<T>: how every module reports errors across its boundary.
// User input never aborts the process; it comes back as a Status with a code
// that the HTTP layer maps to a status line and the CLI to a message.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace teamvl {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // malformed or out-of-range input (400)
  kUnauthenticated,     // no or bad credentials (401)
  kPermissionDenied,    // authenticated but not allowed (403)
  kNotFound,            // absent, or not visible to the caller (404)
  kAlreadyExists,       // unique name taken (409)
  kFailedPrecondition,  // state forbids the action, e.g. setup already done (409)
  kResourceExhausted,   // quota, budget or pool exhausted (429 / 507)
  kTooLarge,            // input over a size limit (413)
  kDeadlineExceeded,    // timed out (504)
  kCancelled,           // cancelled by a caller
  kUnavailable,         // temporarily not able to serve (503)
  kDataLoss,            // corrupt or truncated file
  kInternal,            // a bug or an environment fault (500)
};

const char* status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status Unauthenticated(std::string m) { return {StatusCode::kUnauthenticated, std::move(m)}; }
  static Status PermissionDenied(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status FailedPrecondition(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }
  static Status ResourceExhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
  static Status TooLarge(std::string m) { return {StatusCode::kTooLarge, std::move(m)}; }
  static Status DeadlineExceeded(std::string m) { return {StatusCode::kDeadlineExceeded, std::move(m)}; }
  static Status Cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status DataLoss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "NotFound: user 'bob' does not exist"
  std::string to_string() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Status status) : v_(std::move(status)) { assert(!std::get<Status>(v_).ok()); }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace teamvl

// Return early from a function returning Status or Result<T> when `expr` fails.
#define TEAMVL_RETURN_IF_ERROR(expr)            \
  do {                                          \
    ::teamvl::Status _st = (expr);              \
    if (!_st.ok()) return _st;                  \
  } while (0)

#define TEAMVL_CONCAT_INNER(a, b) a##b
#define TEAMVL_CONCAT(a, b) TEAMVL_CONCAT_INNER(a, b)
// TEAMVL_ASSIGN_OR_RETURN(auto x, make_x()); — x is the value, or the error is returned.
#define TEAMVL_ASSIGN_OR_RETURN(lhs, expr) \
  TEAMVL_ASSIGN_OR_RETURN_IMPL(TEAMVL_CONCAT(_res_, __LINE__), lhs, expr)
#define TEAMVL_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()
