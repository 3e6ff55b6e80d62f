// Internal to kernels/: the converted-activation buffers handed to the SIMD
// matmul kernels, and the per-ISA kernel tables. Not for other modules.
#pragma once

#include <cstdint>

#include "engine/kernels/matmul.h"
#include "engine/tensor/quants.h"

namespace teamvl::engine::matmul_internal {

// How an ISA wants quantized activations laid out.
struct ActLayout {
  // Q8_0/Q4_0 weights: store x as uint8 (q + 128) instead of int8 q, for
  // vpdpbusd (unsigned x signed) against signed weights.
  bool q8_0_biased = false;
  // Q4_K/Q5_K weights: store each 256-block's 32-element groups in the order
  // 0,2,1,3,4,6,5,7 so one 64-byte load matches the low (or high) nibbles of
  // 64 weight bytes.
  bool q4k_interleave = false;
  // Which row converters (below) compute the values; all give identical bits.
  SimdLevel convert_level = SimdLevel::kScalar;
  // Packed (prefill) kernels: also fill PreparedAct::offs.
  bool packed_offsets = false;
};

// Row converters with llama.cpp's rounding, one set per ISA, bit-identical.
struct ActConverters {
  // y = x rounded to the nearest fp16 (ties to even), as f32.
  void (*round_f16)(const float* x, float* y, int64_t n);
  // y = x rounded to bf16 (ties to even).
  void (*to_bf16)(const float* x, uint16_t* y, int64_t n);
  // Q8_0 blocks of 32 (n a multiple of 32): qs, and d[b] = the fp16 block scale as f32.
  void (*quant_q8_0)(const float* x, int64_t n, int8_t* qs, float* d);
  // Q8_K blocks of 256 (n a multiple of 256): qs, d per block, 16 bsums per block.
  void (*quant_q8_k)(const float* x, int64_t n, int8_t* qs, float* d, int16_t* bsums);
};
const ActConverters& scalar_converters();
const ActConverters& avx2_converters();
const ActConverters& avx512_converters();

// Activations converted for one weight type; rows are tokens. Buffers are owned
// by the caller's scratch and valid for one matmul call.
struct PreparedAct {
  GgmlType weight_type = GgmlType::kF32;
  int64_t n_tokens = 0;
  int64_t cols = 0;
  ActLayout layout;
  // F32 weights: the input itself. F16 weights: values rounded to fp16, kept as f32.
  const float* f32 = nullptr;  // [n_tokens][cols]
  const uint16_t* bf16 = nullptr;  // BF16 weights: [n_tokens][cols]
  // Q8_0 family (Q8_0/Q4_0 weights) and Q8_K family (K-quant weights):
  const int8_t* qs = nullptr;  // [n_tokens][cols] int8 q (or uint8 q+128, see layout)
  const float* d = nullptr;    // [n_tokens][cols/block] scale per block (32 or 256)
  // K-quants: per-group sums of q as floats. Q4_K/Q5_K: [n_tokens][cols/32] (sum of
  // each 32 group, natural order); Q6_K: [n_tokens][cols/16] (32 * sum of each 16).
  const float* aux = nullptr;
  int64_t aux_per_token = 0;
  int64_t d_per_token = 0;  // cols / 32 or cols / 256
  // With ActLayout::packed_offsets, for weights stored as unsigned q with an
  // offset o (Q8_0: q+128, Q4_0: o = 8, Q6_K: o = 32): -o * (sum of x q) per
  // group (32 elements; 16 for Q6_K). [n_tokens][offs_per_token]
  const int32_t* offs = nullptr;
  int64_t offs_per_token = 0;

  // Accessors are always inlined: the ISA files include this header with their
  // own target flags, and an out-of-line copy must never be shared across them.
  [[gnu::always_inline]] const int8_t* qs_row(int64_t t) const { return qs + t * cols; }
  [[gnu::always_inline]] const float* d_row(int64_t t) const { return d + t * d_per_token; }
  [[gnu::always_inline]] const float* aux_row(int64_t t) const { return aux + t * aux_per_token; }
  [[gnu::always_inline]] const int32_t* offs_row(int64_t t) const { return offs + t * offs_per_token; }
};

// Computes y[t * ldy + r] for rows [r0, r1) and tokens [t0, t1).
using MatmulKernel = void (*)(const WeightView& w, const PreparedAct& a, int64_t r0, int64_t r1,
                              int64_t t0, int64_t t1, float* y, int64_t ldy);

// Kernel tables: nullptr when the ISA has no kernel for the type.
MatmulKernel scalar_kernel(GgmlType t);
MatmulKernel avx2_kernel(GgmlType t);
MatmulKernel avx512_kernel(GgmlType t);
ActLayout avx2_layout();
ActLayout avx512_layout();
// Prefill kernels that repack weight rows per task (quantized types only);
// they expect a task to cover all tokens, and pay off from kPackedMinTokens on.
MatmulKernel avx512_packed_kernel(GgmlType t);
ActLayout avx512_packed_layout();
constexpr int64_t kPackedMinTokens = 12;

// Grow-only scratch owned by the calling thread.
struct ActScratch {
  uint8_t* bytes(size_t n);  // 64-byte aligned, contents undefined
  ~ActScratch();
  uint8_t* p = nullptr;
  size_t cap = 0;
};

// Converts x (n_tokens x cols) for weight type `t` into `scratch`, tokens spread
// over `pool` (nullptr: this thread only).
PreparedAct prepare_activations(GgmlType t, const float* x, int64_t n_tokens, int64_t cols,
                                ActLayout layout, ActScratch& scratch, ThreadPool* pool);

// Start of weight row r.
[[gnu::always_inline]] inline const uint8_t* weight_row(const WeightView& w, int64_t r) {
  return static_cast<const uint8_t*>(w.data) + static_cast<size_t>(r) * row_bytes(w.type, w.cols);
}

}  // namespace teamvl::engine::matmul_internal
