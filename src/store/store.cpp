// Backend-independent parts of the Store interface.
#include "store/store.h"

namespace teamvl::store {

const char* role_name(Role r) {
  switch (r) {
    case Role::kAdmin: return "admin";
    case Role::kMember: return "member";
    case Role::kViewer: return "viewer";
  }
  return "member";
}

std::optional<Role> parse_role(std::string_view s) {
  if (s == "admin") return Role::kAdmin;
  if (s == "member") return Role::kMember;
  if (s == "viewer") return Role::kViewer;
  return std::nullopt;
}

bool is_task_kind(std::string_view s) {
  return s == task_kind::kChat || s == task_kind::kApi || s == task_kind::kPipeline;
}

bool is_task_state(std::string_view s) {
  return s == task_state::kQueued || s == task_state::kRunning || is_final_task_state(s);
}

bool is_final_task_state(std::string_view s) {
  return s == task_state::kDone || s == task_state::kFailed || s == task_state::kCancelled ||
         s == task_state::kTimedOut;
}

bool is_final_run_state(std::string_view s) {
  return s == run_state::kDone || s == run_state::kFailed || s == run_state::kCancelled;
}

bool is_item_state(std::string_view s) {
  return s == item_state::kPending || s == item_state::kRunning || s == item_state::kAwaitingReview ||
         is_final_item_state(s);
}

bool is_final_item_state(std::string_view s) {
  return s == item_state::kDone || s == item_state::kFailed || s == item_state::kCancelled;
}

}  // namespace teamvl::store
