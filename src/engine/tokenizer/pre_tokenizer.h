// The Qwen2 pre-tokenizer (`tokenizer.ggml.pre = qwen2`): splits text into the
// words that BPE then merges, with the regex of Qwen2's tokenizer.json
//   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}
//   | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
// run by PCRE2 (JIT). `\s` is spelled out as Unicode White_Space, which is what
// llama.cpp uses (PCRE2's own \s also matches U+180E). Letter/number classes come
// from PCRE2's Unicode tables (Unicode 14 in Debian 12's PCRE2 10.42); code
// points assigned after that may split differently from llama.cpp.
// Immutable after creation: split() may be called from many threads at once.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace teamvl::engine {

class PreTokenizer {
 public:
  // Compiles the regex. Internal error only if PCRE2 rejects it.
  static Result<std::unique_ptr<PreTokenizer>> create_qwen2();
  ~PreTokenizer();
  PreTokenizer(const PreTokenizer&) = delete;
  PreTokenizer& operator=(const PreTokenizer&) = delete;

  // Splits `text` into words. Malformed UTF-8 is first decoded the way
  // llama.cpp does (each bad byte becomes U+FFFD); the words returned are the
  // re-encoded text, so concatenated they equal `text` whenever it is valid.
  std::vector<std::string> split(std::string_view text) const;

  // Same, calling `fn(word)` for each word without building a vector.
  template <typename Fn>
  void for_each_word(std::string_view text, Fn&& fn) const;

 private:
  PreTokenizer() = default;
  // Appends [begin, end) byte offsets of the words of valid UTF-8 `text`.
  void split_valid(std::string_view text, std::vector<size_t>* bounds) const;

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Repairs malformed UTF-8 the way llama.cpp's BPE sees it. Returns false (and
// touches nothing) when `text` is valid. Otherwise: `canon` is the text decoded
// leniently and re-encoded; `regex_safe` the same with code points PCRE2
// cannot match (surrogates) as U+FFFD; `offsets` maps each byte offset of
// `regex_safe` that starts a character (and its end) to the offset in `canon`.
bool repair_utf8(std::string_view text, std::string* canon, std::string* regex_safe,
                 std::vector<size_t>* offsets);

template <typename Fn>
void PreTokenizer::for_each_word(std::string_view text, Fn&& fn) const {
  std::vector<size_t> bounds;
  std::string canon, regex_safe;
  std::vector<size_t> offsets;
  if (!repair_utf8(text, &canon, &regex_safe, &offsets)) {
    split_valid(text, &bounds);
    for (size_t i = 0; i + 1 < bounds.size(); i += 2) {
      fn(text.substr(bounds[i], bounds[i + 1] - bounds[i]));
    }
    return;
  }
  split_valid(regex_safe, &bounds);
  const std::string_view c(canon);
  for (size_t i = 0; i + 1 < bounds.size(); i += 2) {
    const size_t b = offsets[bounds[i]], e = offsets[bounds[i + 1]];
    fn(c.substr(b, e - b));
  }
}

}  // namespace teamvl::engine
