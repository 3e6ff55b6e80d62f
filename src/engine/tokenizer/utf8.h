// UTF-8 helpers shared by the tokenizer: llama.cpp's lenient decoder (what the
// BPE sees for malformed input), an encoder, GPT-2's byte<->unicode map, and a
// strict validator that splits a byte stream into complete characters.
// Pure functions and immutable tables: safe from any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace teamvl::engine {

inline constexpr uint32_t kReplacementChar = 0xFFFD;

// Decodes one code point at `*pos` the way llama.cpp does: a lead byte with the
// right number of continuation bytes is accepted without overlong/surrogate
// checks; anything else yields U+FFFD and consumes one byte. Advances *pos.
uint32_t decode_utf8_lenient(std::string_view s, size_t* pos);

// Appends the UTF-8 encoding of `cp` (1-4 bytes; surrogates are encoded as
// three bytes like llama.cpp does; values above 0x10FFFF become U+FFFD).
void append_utf8(uint32_t cp, std::string* out);

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or >U+10FFFF).
bool is_valid_utf8(std::string_view s);

// Result of scanning bytes for complete, valid characters.
struct Utf8Split {
  std::string text;      // valid UTF-8; malformed bytes replaced by U+FFFD
  size_t consumed = 0;   // bytes of the input accounted for in `text`
};

// Moves the longest prefix of `bytes` that is either complete characters or
// definitely malformed into `text`. A trailing sequence that is still a valid
// beginning of a character is left unconsumed, unless `final` is true, in
// which case it becomes U+FFFD. Malformed input is replaced per maximal subpart.
Utf8Split split_complete_utf8(std::string_view bytes, bool final);

// GPT-2's reversible byte <-> printable-unicode map used by byte-level BPE:
// bytes 0x21-0x7E, 0xA1-0xAC and 0xAE-0xFF map to themselves, the other 68
// bytes to U+0100.. in byte order.
class ByteUnicodeMap {
 public:
  static const ByteUnicodeMap& get();

  // UTF-8 text of the code point standing for `byte` (1 or 2 bytes).
  const std::string& byte_to_utf8(uint8_t byte) const { return byte_to_utf8_[byte]; }
  // The byte a code point stands for, or -1 when it stands for none.
  int utf8_cp_to_byte(uint32_t cp) const {
    return cp < cp_to_byte_.size() ? cp_to_byte_[cp] : -1;
  }

 private:
  ByteUnicodeMap();
  std::array<std::string, 256> byte_to_utf8_;
  std::vector<int16_t> cp_to_byte_;  // indexed by code point (< 0x200)
};

}  // namespace teamvl::engine
