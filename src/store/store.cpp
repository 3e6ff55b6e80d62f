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

}  // namespace teamvl::store
