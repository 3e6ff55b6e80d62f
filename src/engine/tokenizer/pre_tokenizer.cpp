#include "engine/tokenizer/pre_tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "engine/tokenizer/utf8.h"

namespace teamvl::engine {
namespace {

// Unicode White_Space (PropList.txt), the set llama.cpp's tables use for \s.
#define TEAMVL_WS "\\t\\n\\x0B\\f\\r\\x20\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}" \
                  "\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}"

// Qwen2's regex with (?i:...) spelled out (as llama.cpp does) and \s / \S
// replaced by explicit White_Space classes.
constexpr const char kQwen2Pattern[] =
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"
    "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
    "|\\p{N}"
    "| ?[^" TEAMVL_WS "\\p{L}\\p{N}]+[\\r\\n]*"
    "|[" TEAMVL_WS "]*[\\r\\n]+"
    "|[" TEAMVL_WS "]+(?![^" TEAMVL_WS "])"
    "|[" TEAMVL_WS "]+";

#undef TEAMVL_WS

bool is_surrogate_or_out_of_range(uint32_t cp) {
  return (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF;
}

// Length of the UTF-8 character starting with lead byte `b` (valid input).
size_t utf8_len(uint8_t b) {
  if (b < 0x80) return 1;
  if (b < 0xE0) return 2;
  if (b < 0xF0) return 3;
  return 4;
}

}  // namespace

struct PreTokenizer::Impl {
  pcre2_code* code = nullptr;
  ~Impl() { pcre2_code_free(code); }
};

PreTokenizer::~PreTokenizer() = default;

Result<std::unique_ptr<PreTokenizer>> PreTokenizer::create_qwen2() {
  int err = 0;
  PCRE2_SIZE err_off = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(kQwen2Pattern), PCRE2_ZERO_TERMINATED,
                                   PCRE2_UTF | PCRE2_UCP, &err, &err_off, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(err, msg, sizeof(msg));
    return Status::Internal("pre-tokenizer regex does not compile at offset " +
                            std::to_string(err_off) + ": " + reinterpret_cast<const char*>(msg));
  }
  // JIT is an optimization: without it pcre2_match() interprets the pattern.
  (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  std::unique_ptr<PreTokenizer> pt(new PreTokenizer());
  pt->impl_ = std::make_unique<Impl>();
  pt->impl_->code = code;
  return pt;
}

std::vector<std::string> PreTokenizer::split(std::string_view text) const {
  std::vector<std::string> words;
  for_each_word(text, [&](std::string_view w) { words.emplace_back(w); });
  return words;
}

void PreTokenizer::split_valid(std::string_view text, std::vector<size_t>* bounds) const {
  if (text.empty()) return;
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(impl_->code, nullptr);
  pcre2_match_context* mctx = nullptr;
  pcre2_jit_stack* jit_stack = nullptr;
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  const size_t n = text.size();
  size_t pos = 0;
  const auto add = [&](size_t b, size_t e) {
    bounds->push_back(b);
    bounds->push_back(e);
  };
  while (pos < n) {
    int rc = pcre2_match(impl_->code, subject, n, pos, PCRE2_NO_UTF_CHECK, md, mctx);
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT && jit_stack == nullptr) {
      // Very long runs can outgrow the default 32 KiB JIT stack: retry once
      // with a larger one.
      mctx = pcre2_match_context_create(nullptr);
      jit_stack = pcre2_jit_stack_create(64 * 1024, 64 * 1024 * 1024, nullptr);
      pcre2_jit_stack_assign(mctx, nullptr, jit_stack);
      continue;
    }
    if (rc < 0) {  // no (further) match, or an engine limit: the rest is one word
      add(pos, n);
      break;
    }
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    size_t b = ov[0], e = ov[1];
    if (b > pos) add(pos, b);  // text the regex skipped becomes its own word
    if (e == b) {              // cannot happen with this pattern; never loop forever
      e = b + utf8_len(static_cast<uint8_t>(text[b]));
    }
    add(b, e);
    pos = e;
  }
  pcre2_match_data_free(md);
  if (mctx != nullptr) pcre2_match_context_free(mctx);
  if (jit_stack != nullptr) pcre2_jit_stack_free(jit_stack);
}

bool repair_utf8(std::string_view text, std::string* canon, std::string* regex_safe,
                 std::vector<size_t>* offsets) {
  if (is_valid_utf8(text)) return false;
  canon->clear();
  regex_safe->clear();
  offsets->clear();
  canon->reserve(text.size() + 16);
  regex_safe->reserve(text.size() + 16);
  size_t pos = 0;
  while (pos < text.size()) {
    const uint32_t cp = decode_utf8_lenient(text, &pos);
    const size_t start = regex_safe->size();
    append_utf8(is_surrogate_or_out_of_range(cp) ? kReplacementChar : cp, regex_safe);
    offsets->resize(regex_safe->size(), 0);  // interior bytes are never word bounds
    (*offsets)[start] = canon->size();
    append_utf8(cp, canon);
  }
  offsets->push_back(canon->size());
  return true;
}

}  // namespace teamvl::engine
