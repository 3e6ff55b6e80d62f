// Hyper-parameters of a Qwen3-VL (or plain Qwen3) text model, read from GGUF
// metadata. Plain data; copy freely.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "base/status.h"

namespace teamvl::engine {

class GgufFile;

struct TextHparams {
  std::string arch;           // "qwen3vl" or "qwen3"
  std::string name;           // general.name (may be empty)
  int32_t n_vocab = 0;        // rows of token_embd
  int32_t n_embd = 0;         // hidden size
  int32_t n_layer = 0;
  int32_t n_head = 0;
  int32_t n_head_kv = 0;
  int32_t head_dim = 0;       // key_length == value_length
  int32_t n_ff = 0;           // SwiGLU inner size
  float rms_eps = 1e-6f;
  float rope_base = 10000.0f;
  bool mrope = false;                   // interleaved M-RoPE (qwen3vl) vs plain NeoX RoPE (qwen3)
  std::array<int32_t, 4> rope_sections{};  // t, h, w, e (pairs per component); sum = head_dim/2
  int32_t n_deepstack = 0;    // layers after which DeepStack slices are added
  int32_t n_ctx_train = 0;    // context_length
  bool tied_output = true;    // no output.weight: logits use token_embd

  // Width of one input embedding row: the main embedding plus one slice per DeepStack layer.
  int32_t n_embd_inp() const { return n_embd * (1 + n_deepstack); }
  int32_t q_dim() const { return n_head * head_dim; }
  int32_t kv_dim() const { return n_head_kv * head_dim; }
  // One-line summary for logs and `teamvl model info`.
  std::string to_string() const;
};

// Reads and checks the hyper-parameters. InvalidArgument says what was expected
// and what was found (wrong architecture, missing or inconsistent keys).
// n_vocab and tied_output are filled from the tensor table.
Result<TextHparams> read_text_hparams(const GgufFile& file);

}  // namespace teamvl::engine
