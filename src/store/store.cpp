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

}  // namespace teamvl::store
