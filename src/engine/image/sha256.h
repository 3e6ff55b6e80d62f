// SHA-256 (FIPS 180-4), self-contained so the engine needs no crypto library.
// Used for content addressing (embedding cache keys), not for secrets.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace teamvl::engine {

using Sha256Digest = std::array<uint8_t, 32>;

// Incremental hasher. Not thread-safe; cheap to create one per use.
class Sha256 {
 public:
  Sha256();
  void update(std::span<const uint8_t> data);
  void update(std::string_view data);
  // Finishes and returns the digest; the hasher is reset afterwards.
  Sha256Digest finish();

 private:
  void compress(const uint8_t* block);

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_;
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

// Lowercase hex of a digest (64 characters).
std::string to_hex(const Sha256Digest& digest);

// One-shot helpers.
Sha256Digest sha256(std::span<const uint8_t> data);
std::string sha256_hex(std::string_view data);

}  // namespace teamvl::engine
