// A BPE vocabulary as stored under `tokenizer.ggml.*`, and the rules llama.cpp
// applies when it loads one (token attributes, control-looking tokens re-typed,
// the end-of-generation set). Plain data; immutable once resolved.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"

namespace teamvl::engine {

// GGUF `tokenizer.ggml.token_type` values.
enum class GgufTokenType : int32_t {
  kUndefined = 0, kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6,
};

// Token attribute bits (llama.cpp's llama_token_attr). A token may carry
// several, e.g. a NORMAL token re-typed as CONTROL.
namespace token_attr {
inline constexpr uint32_t kUndefined = 0;
inline constexpr uint32_t kUnknown = 1u << 0;
inline constexpr uint32_t kUnused = 1u << 1;
inline constexpr uint32_t kNormal = 1u << 2;
inline constexpr uint32_t kControl = 1u << 3;
inline constexpr uint32_t kUserDefined = 1u << 4;
inline constexpr uint32_t kByte = 1u << 5;
}  // namespace token_attr

// What a GGUF says about its tokenizer. Token ids are optional: absent means
// the key is not in the file (llama.cpp's defaults then apply).
struct VocabSpec {
  std::string model = "gpt2";          // tokenizer.ggml.model
  std::string pre = "qwen2";           // tokenizer.ggml.pre
  std::vector<std::string> tokens;     // tokenizer.ggml.tokens, id = index
  std::vector<int32_t> token_types;    // tokenizer.ggml.token_type; empty = all normal
  std::vector<std::string> merges;     // tokenizer.ggml.merges, "left right", rank = index
  std::optional<int32_t> bos_id, eos_id, eot_id, eom_id, unk_id, sep_id, pad_id, mask_id;
  std::optional<int32_t> fim_pre_id, fim_suf_id, fim_mid_id, fim_pad_id, fim_rep_id, fim_sep_id;
  bool add_bos = false;                // tokenizer.ggml.add_bos_token
  bool add_eos = false;                // tokenizer.ggml.add_eos_token
};

// The vocabulary after llama.cpp's load-time rules.
struct Vocab {
  std::vector<std::string> texts;      // empty tokens renamed "[EMPTY_<id>]"
  std::vector<uint32_t> attrs;         // token_attr bits per id
  std::unordered_map<std::string, int32_t> text_to_id;  // last id wins on duplicates
  int32_t bos_id = -1, eos_id = -1, eot_id = -1, eom_id = -1, unk_id = -1, pad_id = -1;
  int32_t fim_pre_id = -1, fim_suf_id = -1, fim_mid_id = -1, fim_pad_id = -1, fim_rep_id = -1,
          fim_sep_id = -1;
  std::vector<int32_t> eog_ids;        // sorted, unique
  // Ids matched as whole tokens before BPE (CONTROL, USER_DEFINED or UNKNOWN),
  // longest text first (ties: lower id first).
  std::vector<int32_t> special_order;
  bool add_bos = false, add_eos = false;

  int32_t size() const { return static_cast<int32_t>(texts.size()); }
  bool valid(int32_t id) const { return id >= 0 && id < size(); }
  std::optional<int32_t> find(const std::string& text) const {
    auto it = text_to_id.find(text);
    if (it == text_to_id.end()) return std::nullopt;
    return it->second;
  }
};

// Applies the load-time rules to `spec`: token types to attributes, special
// ids (default and out-of-range handling), control-looking tokens by text
// (<|im_end|>, <|endoftext|>, </s>, FIM tokens, ...) re-typed CONTROL, the EOG
// set. InvalidArgument for an unusable spec (no tokens, wrong model/pre).
Result<Vocab> resolve_vocab(const VocabSpec& spec);

}  // namespace teamvl::engine
