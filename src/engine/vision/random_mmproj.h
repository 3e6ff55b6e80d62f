// Writes random-weight Qwen3-VL vision projector files ("mmproj") in
// llama.cpp's exact GGUF layout: small ones for tests (so vision tests run
// without the fixtures) and ones with Qwen3-VL-2B's vision shapes for the
// benchmark. Deterministic for a given spec (same seed, same bytes).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/tensor/ggml_type.h"

namespace teamvl::engine {

struct RandomMmprojSpec {
  std::string name = "TeamVL random mmproj (random weights)";  // general.name
  GgmlType type = GgmlType::kF32;  // 2-D weights (F32, F16, BF16 or Q8_0); norms, biases and the position grid stay F32
  int32_t n_embd = 64;
  int32_t n_layer = 3;
  int32_t n_head = 4;
  int32_t n_ff = 128;
  int32_t patch_size = 16;
  int32_t merge_size = 2;
  int32_t n_pos_side = 8;          // learned position grid side
  int32_t projection_dim = 96;     // text model width
  std::vector<int32_t> deepstack_layers = {1};
  bool fused_qkv = true;           // attn_qkv (else attn_q/attn_k/attn_v)
  std::string projector = "qwen3vl_merger";
  uint64_t seed = 7;
};

// The vision shapes of Qwen3-VL-2B-Instruct: 1024 wide, 24 blocks, 16 heads,
// FFN 4096, patch 16, merge 2, 48x48 position grid, output 2048, DeepStack at
// blocks 5, 11, 17.
RandomMmprojSpec qwen3vl_2b_vision_spec(GgmlType type);

// Writes the file. InvalidArgument for inconsistent shapes or an unsupported
// type; the writer's error if the file cannot be written.
Status write_random_mmproj(const RandomMmprojSpec& spec, const std::string& path);

}  // namespace teamvl::engine
