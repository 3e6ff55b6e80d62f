#include "server/auth/authenticator.h"

#include "server/auth/crypto.h"

namespace teamvl::server {
namespace {

Status bad_credentials(const std::string& why) { return Status::Unauthenticated(why); }

bool is_state_changing(const std::string& method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

}  // namespace

Result<Caller> Authenticator::authenticate(const HttpRequest& req) {
  if (auto auth = req.header("Authorization")) {
    const std::string prefix = "Bearer ";
    if (auth->size() <= prefix.size() || auth->compare(0, prefix.size(), prefix) != 0)
      return bad_credentials("Authorization header must be 'Bearer <api key>'");
    return from_bearer(auth->substr(prefix.size()));
  }
  if (auto cookie = req.cookie(kSessionCookie)) return from_cookie(*cookie);
  return bad_credentials("sign in or send 'Authorization: Bearer <api key>'");
}

Result<Caller> Authenticator::from_bearer(const std::string& token) {
  // tvl_<12 hex prefix>_<48 hex secret>
  if (token.size() != 4 + 12 + 1 + 48 || token.compare(0, 4, "tvl_") != 0 || token[16] != '_')
    return bad_credentials("malformed API key");
  std::string prefix = token.substr(4, 12);
  std::string secret = token.substr(17);
  auto key = store_.find_api_key(prefix);
  if (!key.ok()) {
    if (key.status().code() == StatusCode::kNotFound) return bad_credentials("unknown API key");
    return key.status();
  }
  if (!constant_time_equal(sha256_hex(secret), key->secret_hash)) return bad_credentials("unknown API key");
  int64_t now = clock_.now_unix();
  if (key->revoked_at) return bad_credentials("API key was revoked");
  if (key->expires_at && now >= *key->expires_at) return bad_credentials("API key has expired");
  auto user = store_.get_user(key->user_id);
  if (!user.ok()) return bad_credentials("API key's member no longer exists");
  if (user->disabled) return bad_credentials("member account is disabled");
  TEAMVL_RETURN_IF_ERROR(store_.record_api_key_use(key->id, now));
  Caller c;
  c.user = std::move(user).value();
  c.api_key_id = key->id;
  return c;
}

Result<Caller> Authenticator::from_cookie(const std::string& token) {
  if (token.size() != 64) return bad_credentials("session expired; sign in again");
  auto session = store_.get_session(sha256_hex(token));
  if (!session.ok()) {
    if (session.status().code() == StatusCode::kNotFound)
      return bad_credentials("session expired; sign in again");
    return session.status();
  }
  int64_t now = clock_.now_unix();
  if (now >= session->expires_at) {
    (void)store_.delete_session(session->token_hash);
    return bad_credentials("session expired; sign in again");
  }
  auto user = store_.get_user(session->user_id);
  if (!user.ok()) return bad_credentials("session's member no longer exists");
  if (user->disabled) return bad_credentials("member account is disabled");
  if (now - session->last_seen_at >= 60) (void)store_.touch_session(session->token_hash, now);
  Caller c;
  c.user = std::move(user).value();
  c.session = std::move(session).value();
  return c;
}

Status Authenticator::check_csrf(const Caller& caller, const HttpRequest& req) const {
  if (!caller.via_cookie() || !is_state_changing(req.method)) return Status::Ok();
  auto sent = req.header("X-CSRF-Token");
  if (!sent || !constant_time_equal(*sent, caller.session->csrf_token))
    return Status::PermissionDenied(
        "missing or wrong X-CSRF-Token header (the csrf_token from login or /api/v1/auth/me)");
  return Status::Ok();
}

Result<std::pair<store::WebSession, std::string>> Authenticator::start_session(
    const store::User& user, const std::string& client_addr) {
  std::string token = random_hex(32);
  store::WebSession s;
  s.token_hash = sha256_hex(token);
  s.user_id = user.id;
  s.csrf_token = random_hex(16);
  s.client_addr = client_addr;
  s.created_at = s.last_seen_at = clock_.now_unix();
  s.expires_at = s.created_at + session_seconds_;
  TEAMVL_RETURN_IF_ERROR(store_.create_session(s));
  (void)store_.delete_expired_sessions(s.created_at);
  return std::make_pair(std::move(s), std::move(token));
}

std::string Authenticator::session_cookie(const std::string& token, bool secure) const {
  return std::string(kSessionCookie) + "=" + token + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
         std::to_string(session_seconds_) + (secure ? "; Secure" : "");
}

std::string Authenticator::clear_cookie(bool secure) {
  return std::string(kSessionCookie) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0" +
         (secure ? "; Secure" : "");
}

IssuedKey Authenticator::make_key(int64_t user_id, const std::string& name, int64_t now) {
  IssuedKey k;
  k.key.user_id = user_id;
  k.key.name = name;
  k.key.prefix = random_hex(6);
  std::string secret = random_hex(24);
  k.key.secret_hash = sha256_hex(secret);
  k.key.created_at = now;
  k.secret = "tvl_" + k.key.prefix + "_" + secret;
  return k;
}

Result<IssuedKey> Authenticator::issue_key(int64_t user_id, const std::string& name,
                                           std::optional<int64_t> expires_at) {
  IssuedKey k = make_key(user_id, name, clock_.now_unix());
  k.key.expires_at = expires_at;
  TEAMVL_ASSIGN_OR_RETURN(k.key, store_.create_api_key(k.key));
  return k;
}

Result<IssuedKey> Authenticator::rotate_key(const store::ApiKey& old_key, int64_t grace_s) {
  int64_t now = clock_.now_unix();
  IssuedKey k = make_key(old_key.user_id, old_key.name, now);
  k.key.expires_at = old_key.expires_at;
  int64_t old_expires = now + grace_s;
  if (old_key.expires_at && *old_key.expires_at < old_expires) old_expires = *old_key.expires_at;
  TEAMVL_ASSIGN_OR_RETURN(k.key, store_.rotate_api_key(old_key.id, k.key, old_expires));
  return k;
}

}  // namespace teamvl::server
