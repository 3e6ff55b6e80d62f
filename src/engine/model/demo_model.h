// Writes random-weight Qwen3-VL text models in llama.cpp's exact GGUF layout:
// the demo model newcomers and tests use when no real model is around, and
// models with real shapes (e.g. Qwen3-VL-2B) for benchmarks. Deterministic
// for a given spec (same seed, same bytes).
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "base/status.h"

namespace teamvl::engine {

inline constexpr const char* kDemoModelName = "TeamVL demo (random weights)";

struct DemoModelSpec {
  std::string name = kDemoModelName;  // general.name
  // Weight types like llama-quantize's presets: F32, F16, BF16, Q8_0, Q4_0,
  // Q6_K, Q5_K_M, Q4_K_M (K_M: Q6_K for token_embd and some attn_v/ffn_down).
  std::string file_type = "F32";
  int32_t n_vocab = 0;       // 0: the demo vocabulary's own size (padded to 64)
  int32_t n_merges = 700;
  int32_t n_embd = 256;
  int32_t n_layer = 4;
  int32_t n_head = 4;
  int32_t n_head_kv = 2;
  int32_t head_dim = 64;
  int32_t n_ff = 512;
  int32_t n_deepstack = 3;
  std::array<int32_t, 4> rope_sections{12, 10, 10, 0};
  float rope_base = 5000000.0f;
  int32_t n_ctx = 32768;
  bool tied_output = true;
  uint64_t seed = 20251125;
};

// The shapes of Qwen3-VL-2B-Instruct's text model (vocab 151936, tied).
DemoModelSpec qwen3vl_2b_spec(const std::string& file_type);

// Writes the model to `path`. InvalidArgument for an unknown file type or
// inconsistent shapes; the writer's error if the file cannot be written.
Status write_demo_model(const DemoModelSpec& spec, const std::string& path);

}  // namespace teamvl::engine
