// Rotary position embedding as llama.cpp computes it for Qwen3 (NeoX pairing)
// and Qwen3-VL (IMROPE: interleaved multi-axis sections). Pure functions.
#pragma once

#include <array>
#include <cstdint>

namespace teamvl::engine {

struct RopeConfig {
  int32_t head_dim = 0;  // rotated dims (= head dim): pairs (k, k + head_dim/2)
  float base = 10000.0f;
  bool mrope = false;                  // false: every pair uses pos[0]
  std::array<int32_t, 4> sections{};   // pairs per component t, h, w, e (IMROPE)
};

// Fills cos_sin (head_dim floats: cos, sin per pair) for one token's position.
// Angles are accumulated in float exactly like ggml's rope cache.
void rope_cache(const RopeConfig& cfg, const std::array<int32_t, 4>& pos, float* cos_sin);

// Rotates n_heads heads of head_dim floats in place (x: [n_heads][head_dim]).
void rope_apply(const RopeConfig& cfg, const float* cos_sin, float* x, int32_t n_heads);

}  // namespace teamvl::engine
