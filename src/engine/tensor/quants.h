// Block layouts of the quantized ggml types exactly as GGUF stores them, plus
// scalar dequantize/quantize of whole rows and fp16/bf16 conversions.
// Everything here is a pure function of its arguments: thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/status.h"
#include "engine/tensor/ggml_type.h"

namespace teamvl::engine {

constexpr int kQK = 32;    // elements per Q8_0 / Q4_0 block
constexpr int kQKK = 256;  // elements per K-quant super-block

using fp16_t = uint16_t;  // IEEE half, bit pattern
using bf16_t = uint16_t;  // bfloat16, bit pattern

#pragma pack(push, 1)
// x = d * q
struct BlockQ8_0 {
  fp16_t d;
  int8_t qs[kQK];
};
// x = d * (q - 8); qs[j] holds element j (low nibble) and j+16 (high nibble).
struct BlockQ4_0 {
  fp16_t d;
  uint8_t qs[kQK / 2];
};
// 8 sub-blocks of 32: x = d*sc[j]*q - dmin*m[j]; sc/m are 6-bit, packed in scales[12].
// qs: for chunk c of 64 elements, qs[32c+l] holds element 64c+l (low) and 64c+32+l (high).
struct BlockQ4_K {
  fp16_t d;
  fp16_t dmin;
  uint8_t scales[12];
  uint8_t qs[kQKK / 2];
};
// As Q4_K with a fifth bit: bit 2c of qh[l] for element 64c+l, bit 2c+1 for 64c+32+l.
struct BlockQ5_K {
  fp16_t d;
  fp16_t dmin;
  uint8_t scales[12];
  uint8_t qh[kQKK / 8];
  uint8_t qs[kQKK / 2];
};
// 16 sub-blocks of 16: x = d * scales[j] * (q - 32), q 6-bit split in ql (4) + qh (2).
struct BlockQ6_K {
  uint8_t ql[kQKK / 2];
  uint8_t qh[kQKK / 4];
  int8_t scales[kQKK / 16];
  fp16_t d;
};
// Activation format for K-quant dot products: x = d * q; bsums[j] = sum of q[16j..16j+15].
struct BlockQ8_K {
  float d;
  int8_t qs[kQKK];
  int16_t bsums[kQKK / 16];
};
#pragma pack(pop)

static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockQ6_K) == 210);
static_assert(sizeof(BlockQ8_K) == 292);

// IEEE half <-> float, round to nearest even; inf/nan preserved, subnormals exact.
float fp16_to_fp32(fp16_t h);
fp16_t fp32_to_fp16(float f);
// bfloat16 <-> float; to-bf16 rounds to nearest even, nan stays a quiet nan.
inline float bf16_to_fp32(bf16_t h) {
  uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  __builtin_memcpy(&f, &u, 4);
  return f;
}
bf16_t fp32_to_bf16(float f);

// Round half to even, as SIMD rounding and ggml's nearest_int do.
int nearest_int(float x);

// 6-bit scale and min of sub-block j (0..7) of a Q4_K/Q5_K `scales` array.
inline void get_scale_min_k4(int j, const uint8_t* q, uint8_t* sc, uint8_t* m) {
  if (j < 4) {
    *sc = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *sc = static_cast<uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    *m = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

// dst[0..n) = values of a row of n elements of type t (n a multiple of
// block_size(t)). InvalidArgument for unsupported types or a bad n.
Status dequantize_row(GgmlType t, const void* src, float* dst, int64_t n);
// Encodes n floats as type t into dst (row_bytes(t, n) bytes). Q8_0 and Q8_K
// use llama.cpp's activation rounding (scale 127/amax, round half to even);
// the others are simple round-to-nearest quantizers that honour the formats.
Status quantize_row(GgmlType t, const float* src, void* dst, int64_t n);

}  // namespace teamvl::engine
