#include "engine/tokenizer/utf8.h"

#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace teamvl::engine {
namespace {

TEST(Utf8Test, LenientDecodeFollowsLlamaCpp) {
  struct Case {
    std::string in;
    std::vector<uint32_t> cps;
  };
  const Case cases[] = {
      {"a", {'a'}},
      {"\xC3\xA9", {0xE9}},
      {"\xE4\xBD\xA0", {0x4F60}},
      {"\xF0\x9F\x98\x80", {0x1F600}},
      {"\xFF", {kReplacementChar}},                   // never a lead byte
      {"\x80" "a", {kReplacementChar, 'a'}},          // stray continuation byte
      {"\xE4\xBD", {kReplacementChar, kReplacementChar}},  // truncated: one U+FFFD per byte
      {"\xC3" "a", {kReplacementChar, 'a'}},          // lead without continuation
      {"\xC0\x80", {0}},                              // overlong accepted, as llama.cpp does
      {"\xED\xA0\x80", {0xD800}},                     // surrogate accepted
  };
  for (const Case& c : cases) {
    std::vector<uint32_t> got;
    size_t pos = 0;
    while (pos < c.in.size()) got.push_back(decode_utf8_lenient(c.in, &pos));
    EXPECT_EQ(got, c.cps) << "input bytes " << c.in.size();
  }
}

TEST(Utf8Test, AppendEncodesEveryLength) {
  const std::pair<uint32_t, std::string> cases[] = {
      {0x41, "A"}, {0xE9, "\xC3\xA9"}, {0x4F60, "\xE4\xBD\xA0"}, {0x1F600, "\xF0\x9F\x98\x80"},
      {0x110000, "\xEF\xBF\xBD"}};
  for (const auto& [cp, bytes] : cases) {
    std::string out;
    append_utf8(cp, &out);
    EXPECT_EQ(out, bytes) << "cp " << cp;
  }
}

TEST(Utf8Test, ValidityChecksOverlongsSurrogatesAndRange) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("日本語 😀 \xEF\xBF\xBD"));
  EXPECT_FALSE(is_valid_utf8("\xC0\x80"));          // overlong
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xE4\xBD"));          // truncated
  EXPECT_FALSE(is_valid_utf8("\x80"));
}

TEST(Utf8Test, SplitCompleteHoldsOnlyAValidIncompleteTail) {
  struct Case {
    std::string in;
    bool final;
    std::string text;
    size_t consumed;
  };
  const std::string fffd = "\xEF\xBF\xBD";
  const Case cases[] = {
      {"abc", false, "abc", 3},
      {"a\xE4\xBD", false, "a", 1},                        // held: may still complete
      {"a\xE4\xBD", true, "a" + fffd, 3},                  // end of stream
      {"\xE4\xBD\xA0" "b", false, "\xE4\xBD\xA0" "b", 4},
      {"\xF0\x9F\x98", false, "", 0},
      {"\xFF" "a", false, fffd + "a", 2},                  // never valid: replaced at once
      {"\xE4" "a", false, fffd + "a", 2},                  // lead broken by ASCII
      {"\xE0\x80\x80", false, fffd + fffd + fffd, 3},      // overlong: second byte out of range
      {"\xED\xA0\x80", false, fffd + fffd + fffd, 3},      // surrogate
      {"\xF0\x9F" "a", false, fffd + "a", 3},              // maximal subpart -> one U+FFFD
      {"\xC3", false, "", 0},
      {"\xC3", true, fffd, 1},
  };
  for (const Case& c : cases) {
    const Utf8Split r = split_complete_utf8(c.in, c.final);
    EXPECT_EQ(r.text, c.text) << "input size " << c.in.size() << " final " << c.final;
    EXPECT_EQ(r.consumed, c.consumed) << "input size " << c.in.size() << " final " << c.final;
    EXPECT_TRUE(is_valid_utf8(r.text));
  }
}

TEST(Utf8Test, ByteUnicodeMapIsGpt2sBijection) {
  const ByteUnicodeMap& m = ByteUnicodeMap::get();
  EXPECT_EQ(m.byte_to_utf8('A'), "A");
  EXPECT_EQ(m.byte_to_utf8('!'), "!");
  EXPECT_EQ(m.byte_to_utf8(' '), "\xC4\xA0");   // U+0120 'Ġ'
  EXPECT_EQ(m.byte_to_utf8('\n'), "\xC4\x8A");  // U+010A 'Ċ'
  EXPECT_EQ(m.byte_to_utf8(0), "\xC4\x80");     // U+0100
  EXPECT_EQ(m.byte_to_utf8(0xAD), "\xC5\x83");  // soft hyphen -> U+0143, the last remapped byte
  std::set<std::string> seen;
  for (int b = 0; b < 256; ++b) {
    const std::string& s = m.byte_to_utf8(static_cast<uint8_t>(b));
    EXPECT_TRUE(seen.insert(s).second) << "byte " << b << " not unique";
    size_t pos = 0;
    const uint32_t cp = decode_utf8_lenient(s, &pos);
    EXPECT_EQ(m.utf8_cp_to_byte(cp), b);
  }
  EXPECT_EQ(m.utf8_cp_to_byte(0x20), -1);  // a space is not a mapped symbol
  EXPECT_EQ(m.utf8_cp_to_byte(0x4F60), -1);
}

}  // namespace
}  // namespace teamvl::engine
