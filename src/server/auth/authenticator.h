// Who is calling: resolves a request to a member through the session cookie
// or a bearer API key, and creates/ends browser sessions and API keys.
// Thread-safe (state lives in the store).
#pragma once

#include <optional>
#include <string>

#include "base/clock.h"
#include "base/status.h"
#include "server/http/http.h"
#include "store/store.h"

namespace teamvl::server {

inline constexpr const char* kSessionCookie = "teamvl_session";

struct Caller {
  store::User user;
  std::optional<store::WebSession> session;  // set when the cookie authenticated
  std::optional<int64_t> api_key_id;         // set when a bearer key authenticated
  bool via_cookie() const { return session.has_value(); }
};

// A newly issued API key: the record and the full secret, shown once.
struct IssuedKey {
  store::ApiKey key;
  std::string secret;  // "tvl_<prefix>_<secret>"
};

class Authenticator {
 public:
  Authenticator(store::Store& store, const Clock& clock, int64_t session_seconds)
      : store_(store), clock_(clock), session_seconds_(session_seconds) {}

  // Unauthenticated when there are no credentials or they are bad, expired,
  // revoked, or belong to a disabled member. Bearer wins over the cookie.
  Result<Caller> authenticate(const HttpRequest& req);

  // Cookie-authenticated state-changing requests must echo the session's
  // CSRF token in X-CSRF-Token (bearer requests cannot be forged by a page).
  Status check_csrf(const Caller& caller, const HttpRequest& req) const;

  // Starts a browser session; returns it and the raw token for the cookie.
  Result<std::pair<store::WebSession, std::string>> start_session(const store::User& user,
                                                                  const std::string& client_addr);
  // Set-Cookie header values that set and clear the session cookie.
  std::string session_cookie(const std::string& token, bool secure) const;
  static std::string clear_cookie(bool secure);

  // Creates a key for `user_id`. expires_at is optional.
  Result<IssuedKey> issue_key(int64_t user_id, const std::string& name,
                              std::optional<int64_t> expires_at);
  // New key now; the old one keeps working for grace_s seconds.
  Result<IssuedKey> rotate_key(const store::ApiKey& old_key, int64_t grace_s);

 private:
  Result<Caller> from_bearer(const std::string& token);
  Result<Caller> from_cookie(const std::string& token);
  static IssuedKey make_key(int64_t user_id, const std::string& name, int64_t now);

  store::Store& store_;
  const Clock& clock_;
  const int64_t session_seconds_;
};

}  // namespace teamvl::server
