// Converts f32 activations into the form each weight type's dot products use,
// with exactly llama.cpp's rounding (see quants.h), laid out for one ISA.
#include <cstdlib>
#include <cstring>
#include <vector>

#include "engine/kernels/matmul_internal.h"

namespace teamvl::engine::matmul_internal {
namespace {

size_t align64(size_t n) { return (n + 63) / 64 * 64; }

void scalar_round_f16(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = fp16_to_fp32(fp32_to_fp16(x[i]));
}

void scalar_to_bf16(const float* x, uint16_t* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = fp32_to_bf16(x[i]);
}

void scalar_quant_q8_0(const float* x, int64_t n, int8_t* qs, float* d) {
  for (int64_t b = 0; b < n / kQK; ++b) {
    BlockQ8_0 blk;
    (void)quantize_row(GgmlType::kQ8_0, x + b * kQK, &blk, kQK);
    std::memcpy(qs + b * kQK, blk.qs, kQK);
    d[b] = fp16_to_fp32(blk.d);
  }
}

void scalar_quant_q8_k(const float* x, int64_t n, int8_t* qs, float* d, int16_t* bsums) {
  for (int64_t b = 0; b < n / kQKK; ++b) {
    BlockQ8_K blk;
    (void)quantize_row(GgmlType::kQ8_K, x + b * kQKK, &blk, kQKK);
    std::memcpy(qs + b * kQKK, blk.qs, kQKK);
    std::memcpy(bsums + b * 16, blk.bsums, sizeof(blk.bsums));
    d[b] = blk.d;
  }
}

const ActConverters& converters(SimdLevel level) {
  switch (level) {
    case SimdLevel::kAvx512: return avx512_converters();
    case SimdLevel::kAvx2: return avx2_converters();
    default: return scalar_converters();
  }
}

// One token's Q8_0 data: qs (int8, or uint8 q + 128 when biased) and d per block.
void prep_q8_0_token(const ActConverters& cv, const float* x, int64_t cols, bool biased, int8_t* qs,
                     float* d, int32_t offset, int32_t* offs) {
  cv.quant_q8_0(x, cols, qs, d);
  if (offs) {
    for (int64_t b = 0; b < cols / kQK; ++b) {
      int32_t s = 0;
      for (int j = 0; j < kQK; ++j) s += qs[b * kQK + j];
      offs[b] = -offset * s;
    }
  }
  if (biased) {
    for (int64_t j = 0; j < cols; ++j) qs[j] = static_cast<int8_t>(static_cast<uint8_t>(qs[j]) ^ 0x80);
  }
}

// One token's Q8_K data: qs (natural or nibble-interleaved order), d, and sums.
void prep_q8_k_token(const ActConverters& cv, const float* x, int64_t cols, GgmlType wt,
                     bool interleave, int8_t* qs, float* d, float* aux, int32_t* offs) {
  static constexpr int kOrder[8] = {0, 2, 1, 3, 4, 6, 5, 7};
  const bool six = wt == GgmlType::kQ6_K;
  for (int64_t b = 0; b < cols / kQKK; ++b) {
    alignas(64) int8_t q[kQKK];
    int16_t bsums[16];
    cv.quant_q8_k(x + b * kQKK, kQKK, q, d + b, bsums);
    int8_t* dst = qs + b * kQKK;
    if (interleave && !six) {
      for (int g = 0; g < 8; ++g) std::memcpy(dst + 32 * g, q + 32 * kOrder[g], 32);
    } else {
      std::memcpy(dst, q, kQKK);
    }
    if (six) {
      for (int j = 0; j < 16; ++j) aux[b * 16 + j] = 32.0f * bsums[j];
      if (offs) {
        for (int j = 0; j < 16; ++j) offs[b * 16 + j] = -32 * bsums[j];
      }
    } else {
      for (int j = 0; j < 8; ++j) aux[b * 8 + j] = static_cast<float>(bsums[2 * j] + bsums[2 * j + 1]);
    }
  }
}

void for_tokens(ThreadPool* pool, int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  if (pool && n > 1) {
    pool->parallel_for(n, fn);
  } else {
    fn(0, n);
  }
}

}  // namespace

const ActConverters& scalar_converters() {
  static const ActConverters c{scalar_round_f16, scalar_to_bf16, scalar_quant_q8_0, scalar_quant_q8_k};
  return c;
}

uint8_t* ActScratch::bytes(size_t n) {
  if (n > cap) {
    std::free(p);
    cap = align64(n + n / 4);
    p = static_cast<uint8_t*>(std::aligned_alloc(64, cap));
  }
  return p;
}

ActScratch::~ActScratch() { std::free(p); }

PreparedAct prepare_activations(GgmlType t, const float* x, int64_t n_tokens, int64_t cols,
                                ActLayout layout, ActScratch& scratch, ThreadPool* pool) {
  PreparedAct a;
  a.weight_type = t;
  a.n_tokens = n_tokens;
  a.cols = cols;
  a.layout = layout;
  const size_t n = static_cast<size_t>(n_tokens * cols);
  const ActConverters& cv = converters(layout.convert_level);
  switch (t) {
    case GgmlType::kF32:
      a.f32 = x;
      break;
    case GgmlType::kF16: {
      float* out = reinterpret_cast<float*>(scratch.bytes(n * 4));
      for_tokens(pool, n_tokens, [&](int64_t t0, int64_t t1) {
        cv.round_f16(x + t0 * cols, out + t0 * cols, (t1 - t0) * cols);
      });
      a.f32 = out;
      break;
    }
    case GgmlType::kBF16: {
      uint16_t* out = reinterpret_cast<uint16_t*>(scratch.bytes(n * 2));
      for_tokens(pool, n_tokens, [&](int64_t t0, int64_t t1) {
        cv.to_bf16(x + t0 * cols, out + t0 * cols, (t1 - t0) * cols);
      });
      a.bf16 = out;
      break;
    }
    case GgmlType::kQ8_0:
    case GgmlType::kQ4_0: {
      const size_t nb = static_cast<size_t>(cols / kQK);
      const size_t d_bytes = align64(static_cast<size_t>(n_tokens) * nb * 4);
      const size_t offs_bytes = layout.packed_offsets ? static_cast<size_t>(n_tokens) * nb * 4 : 0;
      uint8_t* base = scratch.bytes(align64(n) + d_bytes + offs_bytes);
      int8_t* qs = reinterpret_cast<int8_t*>(base);
      float* d = reinterpret_cast<float*>(base + align64(n));
      int32_t* offs = layout.packed_offsets ? reinterpret_cast<int32_t*>(base + align64(n) + d_bytes) : nullptr;
      const int32_t offset = t == GgmlType::kQ8_0 ? 128 : 8;
      for_tokens(pool, n_tokens, [&](int64_t t0, int64_t t1) {
        for (int64_t tk = t0; tk < t1; ++tk) {
          prep_q8_0_token(cv, x + tk * cols, cols, layout.q8_0_biased, qs + tk * cols, d + tk * nb, offset,
                          offs ? offs + tk * nb : nullptr);
        }
      });
      a.offs = offs;
      a.offs_per_token = offs ? static_cast<int64_t>(nb) : 0;
      a.qs = qs;
      a.d = d;
      a.d_per_token = static_cast<int64_t>(nb);
      break;
    }
    case GgmlType::kQ4_K:
    case GgmlType::kQ5_K:
    case GgmlType::kQ6_K: {
      const size_t nb = static_cast<size_t>(cols / kQKK);
      const size_t aux_per = nb * (t == GgmlType::kQ6_K ? 16 : 8);
      const size_t d_bytes = align64(static_cast<size_t>(n_tokens) * nb * 4);
      const size_t aux_bytes = align64(static_cast<size_t>(n_tokens) * aux_per * 4);
      const bool with_offs = layout.packed_offsets && t == GgmlType::kQ6_K;
      uint8_t* base = scratch.bytes(align64(n) + d_bytes + aux_bytes +
                                    (with_offs ? static_cast<size_t>(n_tokens) * aux_per * 4 : 0));
      int32_t* offs = with_offs ? reinterpret_cast<int32_t*>(base + align64(n) + d_bytes + aux_bytes) : nullptr;
      int8_t* qs = reinterpret_cast<int8_t*>(base);
      float* d = reinterpret_cast<float*>(base + align64(n));
      float* aux = reinterpret_cast<float*>(base + align64(n) + d_bytes);
      for_tokens(pool, n_tokens, [&](int64_t t0, int64_t t1) {
        for (int64_t tk = t0; tk < t1; ++tk) {
          prep_q8_k_token(cv, x + tk * cols, cols, t, layout.q4k_interleave, qs + tk * cols,
                          d + tk * nb, aux + tk * aux_per, offs ? offs + tk * aux_per : nullptr);
        }
      });
      a.qs = qs;
      a.d = d;
      a.aux = aux;
      a.offs = offs;
      a.offs_per_token = offs ? static_cast<int64_t>(aux_per) : 0;
      a.d_per_token = static_cast<int64_t>(nb);
      a.aux_per_token = static_cast<int64_t>(aux_per);
      break;
    }
    default:
      break;
  }
  return a;
}

}  // namespace teamvl::engine::matmul_internal
