// Slows down password guessing: after a few failed logins for one account or
// from one client address, further attempts are refused for a growing delay.
// In memory (a restart forgets it, which only helps an attacker briefly).
// Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "base/clock.h"

namespace teamvl::server {

class LoginThrottle {
 public:
  explicit LoginThrottle(const Clock& clock, int free_attempts = 5, int64_t window_s = 900)
      : clock_(clock), free_attempts_(free_attempts), window_s_(window_s) {}

  // Seconds the caller must wait before trying again; 0 = allowed now.
  int64_t retry_after(const std::string& account, const std::string& addr);
  void record_failure(const std::string& account, const std::string& addr);
  // A success clears the account's failures (not the address's).
  void record_success(const std::string& account);

 private:
  struct Entry {
    int failures = 0;
    int64_t first_failure = 0;
    int64_t blocked_until = 0;
  };
  int64_t wait_for(std::map<std::string, Entry>& m, const std::string& key, int64_t now);
  void fail(std::map<std::string, Entry>& m, const std::string& key, int64_t now, int free_attempts);

  const Clock& clock_;
  const int free_attempts_;
  const int64_t window_s_;
  std::mutex mu_;
  std::map<std::string, Entry> accounts_;   // guarded by mu_
  std::map<std::string, Entry> addresses_;  // guarded by mu_
};

}  // namespace teamvl::server
