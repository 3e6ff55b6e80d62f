#include "server/auth/crypto.h"

#include <sodium.h>

#include <mutex>

namespace teamvl::server {

Status init_crypto() {
  static std::once_flag once;
  static int rc = 0;
  std::call_once(once, [] { rc = sodium_init(); });
  if (rc < 0) return Status::Internal("libsodium failed to initialize");
  return Status::Ok();
}

Result<std::string> hash_password(std::string_view password) {
  TEAMVL_RETURN_IF_ERROR(init_crypto());
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    return Status::ResourceExhausted("not enough memory to hash the password");
  return std::string(out);
}

bool verify_password(const std::string& hash, std::string_view password) {
  if (!init_crypto().ok() || hash.empty()) return false;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

Status check_password_rules(std::string_view password) {
  if (password.size() < 8)
    return Status::InvalidArgument("password must have at least 8 characters");
  if (password.size() > 1024)
    return Status::InvalidArgument("password must have at most 1024 characters");
  return Status::Ok();
}

std::string random_hex(size_t n_bytes) {
  (void)init_crypto();
  std::string bytes(n_bytes, '\0');
  randombytes_buf(bytes.data(), n_bytes);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(n_bytes * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::string random_password(size_t length) {
  (void)init_crypto();
  // No 0/O/1/l/I: temporary passwords are read aloud and typed by hand.
  static const std::string kAlphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::string out;
  for (size_t i = 0; i < length; ++i)
    out.push_back(kAlphabet[randombytes_uniform(static_cast<uint32_t>(kAlphabet.size()))]);
  return out;
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : digest) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace teamvl::server
