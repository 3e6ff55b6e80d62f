#include "engine/tokenizer/utf8.h"

namespace teamvl::engine {
namespace {

bool is_cont(uint8_t b) { return (b & 0xC0) == 0x80; }

// For a lead byte: sequence length and the allowed range of the second byte
// (Unicode Table 3-7, well-formed UTF-8 byte sequences). len 0 = never a lead.
struct LeadInfo {
  int len;
  uint8_t lo;
  uint8_t hi;
};

LeadInfo lead_info(uint8_t b) {
  if (b < 0x80) return {1, 0, 0};
  if (b < 0xC2) return {0, 0, 0};
  if (b < 0xE0) return {2, 0x80, 0xBF};
  if (b == 0xE0) return {3, 0xA0, 0xBF};
  if (b == 0xED) return {3, 0x80, 0x9F};
  if (b < 0xF0) return {3, 0x80, 0xBF};
  if (b == 0xF0) return {4, 0x90, 0xBF};
  if (b < 0xF4) return {4, 0x80, 0xBF};
  if (b == 0xF4) return {4, 0x80, 0x8F};
  return {0, 0, 0};
}

void append_replacement(std::string* out) { out->append("\xEF\xBF\xBD"); }

}  // namespace

uint32_t decode_utf8_lenient(std::string_view s, size_t* pos) {
  const size_t i = *pos;
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[i + k]); };
  const uint8_t b0 = b(0);
  if (!(b0 & 0x80)) {
    *pos += 1;
    return b0;
  }
  int len = 0;
  if (!(b0 & 0x40)) {
    len = 0;  // continuation byte where a lead was expected
  } else if (!(b0 & 0x20)) {
    len = 2;
  } else if (!(b0 & 0x10)) {
    len = 3;
  } else if (!(b0 & 0x08)) {
    len = 4;
  }
  bool ok = len > 0 && i + len <= s.size();
  for (int k = 1; ok && k < len; ++k) ok = is_cont(b(k));
  if (!ok) {
    *pos += 1;
    return kReplacementChar;
  }
  uint32_t cp = 0;
  switch (len) {
    case 2: cp = ((b0 & 0x1Fu) << 6) | (b(1) & 0x3Fu); break;
    case 3: cp = ((b0 & 0x0Fu) << 12) | ((b(1) & 0x3Fu) << 6) | (b(2) & 0x3Fu); break;
    default:
      cp = ((b0 & 0x07u) << 18) | ((b(1) & 0x3Fu) << 12) | ((b(2) & 0x3Fu) << 6) | (b(3) & 0x3Fu);
      break;
  }
  *pos += len;
  return cp;
}

void append_utf8(uint32_t cp, std::string* out) {
  if (cp <= 0x7F) {
    out->push_back(static_cast<char>(cp));
  } else if (cp <= 0x7FF) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp <= 0xFFFF) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp <= 0x10FFFF) {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    append_replacement(out);
  }
}

bool is_valid_utf8(std::string_view s) {
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const auto b0 = static_cast<uint8_t>(s[i]);
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    const LeadInfo li = lead_info(b0);
    if (li.len == 0 || i + li.len > n) return false;
    const auto b1 = static_cast<uint8_t>(s[i + 1]);
    if (b1 < li.lo || b1 > li.hi) return false;
    for (int k = 2; k < li.len; ++k) {
      if (!is_cont(static_cast<uint8_t>(s[i + k]))) return false;
    }
    i += li.len;
  }
  return true;
}

Utf8Split split_complete_utf8(std::string_view bytes, bool final) {
  Utf8Split r;
  r.text.reserve(bytes.size());
  size_t i = 0;
  const size_t n = bytes.size();
  while (i < n) {
    const auto b0 = static_cast<uint8_t>(bytes[i]);
    if (b0 < 0x80) {
      // Fast path for ASCII runs.
      size_t j = i + 1;
      while (j < n && static_cast<uint8_t>(bytes[j]) < 0x80) ++j;
      r.text.append(bytes.data() + i, j - i);
      i = j;
      continue;
    }
    const LeadInfo li = lead_info(b0);
    if (li.len == 0) {
      append_replacement(&r.text);
      i += 1;
      continue;
    }
    // Check the continuation bytes that are present.
    int k = 1;
    bool malformed = false;
    for (; k < li.len && i + k < n; ++k) {
      const auto c = static_cast<uint8_t>(bytes[i + k]);
      const bool in_range = (k == 1) ? (c >= li.lo && c <= li.hi) : is_cont(c);
      if (!in_range) {
        malformed = true;
        break;
      }
    }
    if (malformed) {
      append_replacement(&r.text);  // the maximal subpart bytes[i, i+k)
      i += k;
      continue;
    }
    if (k < li.len) {  // ran out of input: a valid but incomplete beginning
      if (!final) break;
      append_replacement(&r.text);
      i = n;
      continue;
    }
    r.text.append(bytes.data() + i, li.len);
    i += li.len;
  }
  r.consumed = i;
  return r;
}

const ByteUnicodeMap& ByteUnicodeMap::get() {
  static const ByteUnicodeMap map;
  return map;
}

ByteUnicodeMap::ByteUnicodeMap() : cp_to_byte_(0x200, -1) {
  const auto printable = [](int b) {
    return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
  };
  int next = 0;
  for (int b = 0; b < 256; ++b) {
    const uint32_t cp = printable(b) ? static_cast<uint32_t>(b) : 0x100u + next++;
    append_utf8(cp, &byte_to_utf8_[b]);
    cp_to_byte_[cp] = static_cast<int16_t>(b);
  }
}

}  // namespace teamvl::engine
