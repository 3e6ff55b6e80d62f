#include "engine/image/sha256.h"

#include <gtest/gtest.h>

#include <string>

namespace teamvl::engine {
namespace {

// FIPS 180-4 / NIST CAVP example vectors.
TEST(Sha256, KnownVectors) {
  struct Case {
    std::string input, hex;
  } cases[] = {
      {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
      {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmn"
       "opqrsmnopqrstnopqrstu",
       "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
      {"The quick brown fox jumps over the lazy dog",
       "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592"},
  };
  for (const Case& c : cases) EXPECT_EQ(sha256_hex(c.input), c.hex) << '"' << c.input << '"';
}

TEST(Sha256, MillionAs) {
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, IncrementalEqualsOneShotAtEverySplit) {
  // Lengths around the 55/56/64-byte padding boundaries, split everywhere.
  for (size_t len : {0u, 1u, 55u, 56u, 57u, 63u, 64u, 65u, 119u, 120u, 200u}) {
    std::string msg(len, '\0');
    for (size_t i = 0; i < len; ++i) msg[i] = static_cast<char>(i * 7 + 3);
    const std::string expected = sha256_hex(msg);
    for (size_t a = 0; a <= len; ++a) {
      Sha256 h;
      h.update(std::string_view(msg).substr(0, a));
      h.update(std::string_view(msg).substr(a));
      ASSERT_EQ(to_hex(h.finish()), expected) << "len " << len << " split " << a;
    }
  }
}

TEST(Sha256, FinishResetsTheHasher) {
  Sha256 h;
  h.update(std::string_view("abc"));
  (void)h.finish();
  h.update(std::string_view("abc"));
  EXPECT_EQ(to_hex(h.finish()), sha256_hex("abc"));
}

}  // namespace
}  // namespace teamvl::engine
