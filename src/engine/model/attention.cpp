#include "engine/model/attention.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/kernels/cpu_features.h"

namespace teamvl::engine {

// Defined in attention_avx2.cpp / attention_avx512.cpp (compiled for those ISAs).
void attn_qk_avx2(const float* const* q, int32_t nq, const float* kt, int32_t bs, int32_t n, int32_t hd, float scale,
                  float* scores, int64_t stride);
void attn_pv_avx2(const float* p, int32_t nq, int64_t stride, const float* v, int32_t n, int32_t hd,
                  float* const* out);
void attn_qk_avx512(const float* const* q, int32_t nq, const float* kt, int32_t bs, int32_t n, int32_t hd,
                    float scale, float* scores, int64_t stride);
void attn_pv_avx512(const float* p, int32_t nq, int64_t stride, const float* v, int32_t n, int32_t hd,
                    float* const* out);

namespace {

void qk_scalar(const float* const* q, int32_t nq, const float* kt, int32_t bs, int32_t n, int32_t hd, float scale,
               float* scores, int64_t stride) {
  for (int32_t r = 0; r < nq; ++r) {
    for (int32_t j = 0; j < n; ++j) {
      float s = 0.0f;
      for (int32_t d = 0; d < hd; ++d) s += q[r][d] * kt[static_cast<int64_t>(d) * bs + j];
      scores[r * stride + j] = s * scale;
    }
  }
}

void pv_scalar(const float* p, int32_t nq, int64_t stride, const float* v, int32_t n, int32_t hd, float* const* out) {
  for (int32_t r = 0; r < nq; ++r) {
    for (int32_t j = 0; j < n; ++j) {
      const float w = p[r * stride + j];
      for (int32_t d = 0; d < hd; ++d) out[r][d] += w * v[static_cast<int64_t>(j) * hd + d];
    }
  }
}

const AttentionKernels kScalar{qk_scalar, pv_scalar};
const AttentionKernels kAvx2{attn_qk_avx2, attn_pv_avx2};
const AttentionKernels kAvx512{attn_qk_avx512, attn_pv_avx512};

}  // namespace

const AttentionKernels& attention_kernels_scalar() { return kScalar; }
const AttentionKernels* attention_kernels_avx2() {
  return simd_level_supported(SimdLevel::kAvx2) ? &kAvx2 : nullptr;
}
const AttentionKernels* attention_kernels_avx512() {
  return simd_level_supported(SimdLevel::kAvx512) ? &kAvx512 : nullptr;
}

const AttentionKernels& attention_kernels() {
  static const AttentionKernels& k = []() -> const AttentionKernels& {
    switch (simd_level()) {
      case SimdLevel::kAvx512: return kAvx512;
      case SimdLevel::kAvx2: return kAvx2;
      case SimdLevel::kScalar: break;
    }
    return kScalar;
  }();
  return k;
}

void attend(const AttentionArgs& a, const float* const* q, float* const* out, const int32_t* len, int32_t n_rows,
            float* scores) {
  const AttentionKernels& k = attention_kernels();
  const int32_t bs = a.kv->config().block_size;
  const int32_t hd = a.head_dim;
  int32_t n_keys = 0;
  for (int32_t r = 0; r < n_rows; ++r) n_keys = std::max(n_keys, len[r]);
  // scores[r][j] = (q_r . K_j) * scale: each K block is read once for all rows.
  for (int32_t j0 = 0; j0 < n_keys; j0 += bs) {
    const float* kt = a.kv->k_data(a.blocks[j0 / bs], a.layer) + k_offset(a.kv_head, 0, 0, hd, bs);
    k.qk(q, n_rows, kt, bs, std::min(bs, n_keys - j0), hd, a.scale, scores + j0, n_keys);
  }
  // Causal softmax per row over its own keys: exp(x - max), summed in double as
  // ggml does; keys past the row's length get weight 0.
  for (int32_t r = 0; r < n_rows; ++r) {
    float* s = scores + static_cast<int64_t>(r) * n_keys;
    float max = -INFINITY;
    for (int32_t j = 0; j < len[r]; ++j) max = std::max(max, s[j]);
    double sum = 0.0;
    for (int32_t j = 0; j < len[r]; ++j) {
      s[j] = std::exp(s[j] - max);
      sum += s[j];
    }
    const float inv = static_cast<float>(1.0 / sum);
    for (int32_t j = 0; j < len[r]; ++j) s[j] *= inv;
    for (int32_t j = len[r]; j < n_keys; ++j) s[j] = 0.0f;
    std::memset(out[r], 0, sizeof(float) * hd);
  }
  // out_r = sum_j p_rj V_j: each V block is read once for all rows.
  for (int32_t j0 = 0; j0 < n_keys; j0 += bs) {
    const float* v = a.kv->v_data(a.blocks[j0 / bs], a.layer) + v_offset(a.kv_head, 0, hd, bs);
    k.pv(scores + j0, n_rows, n_keys, v, std::min(bs, n_keys - j0), hd, out);
  }
}

}  // namespace teamvl::engine
