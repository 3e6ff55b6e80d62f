#include "server/auth/login_throttle.h"

#include <algorithm>

namespace teamvl::server {

int64_t LoginThrottle::wait_for(std::map<std::string, Entry>& m, const std::string& key, int64_t now) {
  auto it = m.find(key);
  if (it == m.end()) return 0;
  if (now - it->second.first_failure > window_s_ && now >= it->second.blocked_until) {
    m.erase(it);
    return 0;
  }
  return std::max<int64_t>(0, it->second.blocked_until - now);
}

void LoginThrottle::fail(std::map<std::string, Entry>& m, const std::string& key, int64_t now,
                         int free_attempts) {
  Entry& e = m[key];
  if (e.failures == 0 || now - e.first_failure > window_s_) e = Entry{0, now, 0};
  ++e.failures;
  if (e.failures >= free_attempts) {
    // 2 s, 4 s, 8 s, ... up to 15 minutes.
    int shift = std::min(e.failures - free_attempts + 1, 9);
    e.blocked_until = now + std::min<int64_t>(int64_t{1} << shift, 900);
  }
}

int64_t LoginThrottle::retry_after(const std::string& account, const std::string& addr) {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t now = clock_.now_unix();
  return std::max(wait_for(accounts_, account, now), wait_for(addresses_, addr, now));
}

void LoginThrottle::record_failure(const std::string& account, const std::string& addr) {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t now = clock_.now_unix();
  fail(accounts_, account, now, free_attempts_);
  // Addresses get 4x the room: a team behind one NAT shares an address.
  fail(addresses_, addr, now, free_attempts_ * 4);
}

void LoginThrottle::record_success(const std::string& account) {
  std::lock_guard<std::mutex> lock(mu_);
  accounts_.erase(account);
}

}  // namespace teamvl::server
