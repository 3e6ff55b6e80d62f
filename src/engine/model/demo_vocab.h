// A small, real-looking byte-level BPE vocabulary for demo and test models:
// the 256 byte tokens in GPT-2 order, merges learned from a built-in corpus
// (English, code, Chinese, emoji), the 26 Qwen3-VL added tokens, [PAD] fillers
// up to the requested size, and the Qwen3-VL chat template. Deterministic.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace teamvl::engine {

struct DemoVocab {
  std::vector<std::string> tokens;   // tokenizer.ggml.tokens
  std::vector<int32_t> token_types;  // tokenizer.ggml.token_type (1 normal, 3 control, 4 user, 5 unused)
  std::vector<std::string> merges;   // tokenizer.ggml.merges ("left right")
  int32_t endoftext_id = 0;          // bos / padding
  int32_t im_end_id = 0;             // eos
  std::string chat_template;         // tokenizer.chat_template
};

// n_merges: how many merges to learn (fewer if the corpus runs out of pairs).
// n_vocab: total size, padded with [PAD<id>] tokens; 0 = no padding beyond a
// multiple of 64. InvalidArgument if n_vocab is smaller than the real tokens.
Result<DemoVocab> build_demo_vocab(int32_t n_merges, int32_t n_vocab);

// The Qwen3-VL-Instruct chat template (Jinja), as Qwen's GGUF files carry it.
const std::string& qwen3vl_chat_template();

}  // namespace teamvl::engine
