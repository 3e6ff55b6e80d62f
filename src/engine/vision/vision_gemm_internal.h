// Internal to vision/: the per-ISA pieces of the encoder (packed GEMM tile,
// activation rounding, softmax, GELU). vision_gemm_avx512.cpp defines the
// AVX-512 table (compiled with AVX-512 flags); callers reach it only after
// checking the CPU.
#pragma once

#include <cstdint>

#include "engine/vision/vision_gemm.h"

namespace teamvl::engine::vision_internal {

// y[0..n) = x rounded to fp16 / bf16 (ties to even), as f32.
using RoundRowFn = void (*)(const float* x, float* y, int64_t n);
// dst[0..n) = fp16 / bf16 bit patterns widened to f32.
using WidenFn = void (*)(const uint16_t* src, float* dst, int64_t n);

struct VisionIsa {
  GemmTileFn tile = nullptr;
  RoundRowFn round_f16 = nullptr;
  RoundRowFn round_bf16 = nullptr;
  WidenFn widen_f16 = nullptr;
  WidenFn widen_bf16 = nullptr;
  // Softmax down the columns of s (rows x 32, row-major): for each column c,
  // s[r][c] = exp(s[r][c] * scale - max_r(s[r][c] * scale)) in place and
  // inv_sum[c] = 1 / sum_r of those (float partial sums of 64 rows added in
  // double; ggml sums in double: the difference is below 1e-7). All 32
  // columns are processed; callers ignore the ones they do not use.
  void (*softmax_cols)(float* s, int64_t rows, float scale, float* inv_sum) = nullptr;
  // In place: ggml's table GELU (tanh form; input and result rounded to fp16,
  // x <= -10 -> 0, x >= 10 -> x), what llama.cpp's CPU backend computes.
  void (*gelu)(float* x, int64_t n) = nullptr;
};

// gelu_f16_table()[h] = the table GELU of the fp16 value with bits h, as f32.
const float* gelu_f16_table();

const VisionIsa& vision_isa_scalar();
// nullptr when this build or CPU lacks AVX-512.
const VisionIsa* vision_isa_avx512();
// The best table for `level` (scalar when the level has none).
const VisionIsa& vision_isa(SimdLevel level);

}  // namespace teamvl::engine::vision_internal
