// One forward pass's input: tokens from any number of sequences.
#pragma once

#include <array>
#include <cstdint>

#include "engine/kv_cache/kv_cache.h"

namespace teamvl::engine {

// A token to run through the model. Its K/V are written at slot `index` of KV
// sequence `seq` (reserved beforehand); it attends to slots 0..index of that
// sequence, so earlier slots must already be written or be earlier in the batch.
struct BatchToken {
  KvSeqId seq = 0;
  int32_t index = 0;               // slot in the sequence (0-based)
  int32_t token = -1;              // token id, or -1 when `embd` is given
  const float* embd = nullptr;     // input row of n_embd_inp floats (image tokens), not owned
  std::array<int32_t, 4> pos{};    // M-RoPE position (t, h, w, e); text: (p, p, p, 0)
  bool logits = false;             // compute this token's output logits
};

}  // namespace teamvl::engine
