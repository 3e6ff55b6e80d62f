// Causal attention over a sequence's paged F32 KV cache, for a tile of query
// vectors that share one KV head (the query heads of a GQA group, for one or
// several consecutive tokens of the sequence): every K/V element loaded from
// the cache feeds all of them. Layout inside a KV block (per layer, per KV
// head): K transposed, [head_dim][block_size] (one SIMD load covers 16 keys'
// element d), and V [block_size][head_dim]. Stateless; safe to call from many
// threads on different outputs.
#pragma once

#include <cstdint>

#include "engine/kv_cache/kv_cache.h"

namespace teamvl::engine {

struct AttentionArgs {
  const KvCache* kv = nullptr;
  const int32_t* blocks = nullptr;  // the sequence's block table
  int32_t layer = 0;
  int32_t kv_head = 0;
  int32_t head_dim = 0;
  float scale = 1.0f;               // 1/sqrt(head_dim)
};

// For r < n_rows: out[r] = softmax(scale * q[r] . K[j], j < len[r]) . V.
// q[r] and out[r] point at head_dim floats; scores is scratch for
// n_rows * max(len) floats.
void attend(const AttentionArgs& a, const float* const* q, float* const* out, const int32_t* len, int32_t n_rows,
            float* scores);

// Where K and V of slot `slot` of KV head `g` live inside a block's layer.
inline int64_t k_offset(int32_t g, int32_t d, int32_t slot, int32_t head_dim, int32_t block_size) {
  return (static_cast<int64_t>(g) * head_dim + d) * block_size + slot;
}
inline int64_t v_offset(int32_t g, int32_t slot, int32_t head_dim, int32_t block_size) {
  return (static_cast<int64_t>(g) * block_size + slot) * head_dim;
}

// The two inner loops, chosen by SIMD level (scalar reference / AVX2 / AVX-512).
struct AttentionKernels {
  // scores[r*stride + j] = scale * sum_d q[r][d] * kt[d*bs + j] for r < nq, j < n <= bs.
  void (*qk)(const float* const* q, int32_t nq, const float* kt, int32_t bs, int32_t n, int32_t hd, float scale,
             float* scores, int64_t stride);
  // out[r][d] += sum_j p[r*stride + j] * v[j*hd + d] for r < nq, j < n.
  void (*pv)(const float* p, int32_t nq, int64_t stride, const float* v, int32_t n, int32_t hd, float* const* out);
};
const AttentionKernels& attention_kernels();
const AttentionKernels& attention_kernels_scalar();
// nullptr when the CPU lacks the level.
const AttentionKernels* attention_kernels_avx2();
const AttentionKernels* attention_kernels_avx512();

}  // namespace teamvl::engine
