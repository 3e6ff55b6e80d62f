// Secrets: password hashing (argon2id via libsodium), random tokens, hashes
// of high-entropy secrets (session tokens, API keys) and constant-time
// comparison. All functions are thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace teamvl::server {

// Initializes libsodium once; safe to call repeatedly.
Status init_crypto();

// argon2id at libsodium's interactive limits (~0.3 s, 64 MiB).
Result<std::string> hash_password(std::string_view password);
bool verify_password(const std::string& hash, std::string_view password);

// Rules for a new password; the message says what is wrong.
Status check_password_rules(std::string_view password);

// `n_bytes` random bytes as lowercase hex.
std::string random_hex(size_t n_bytes);
// A readable random password for temporary passwords (letters and digits).
std::string random_password(size_t length = 16);

// SHA-256 as lowercase hex: for secrets that are already random, where a
// slow hash buys nothing.
std::string sha256_hex(std::string_view data);

// Equal strings, in time independent of where they differ.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace teamvl::server
