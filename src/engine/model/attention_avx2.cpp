// AVX2+FMA attention inner loops (this file is compiled with -mavx2 -mfma).
#include <immintrin.h>

#include <cstdint>

namespace teamvl::engine {
namespace {

constexpr int kRows = 8;  // query rows per pass: each loaded K/V vector feeds 8 FMAs

template <int NQ>
void qk_rows(const float* const* q, const float* kt, int32_t bs, int32_t n, int32_t hd, float scale, float* scores,
             int64_t stride) {
  int32_t j0 = 0;
  for (; j0 + 8 <= n; j0 += 8) {
    __m256 acc[NQ];
    for (int r = 0; r < NQ; ++r) acc[r] = _mm256_setzero_ps();
    for (int32_t d = 0; d < hd; ++d) {
      const __m256 k = _mm256_loadu_ps(kt + static_cast<int64_t>(d) * bs + j0);
      for (int r = 0; r < NQ; ++r) acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(q[r][d]), k, acc[r]);
    }
    const __m256 s = _mm256_set1_ps(scale);
    for (int r = 0; r < NQ; ++r) _mm256_storeu_ps(scores + r * stride + j0, _mm256_mul_ps(acc[r], s));
  }
  for (; j0 < n; ++j0) {  // tail keys
    for (int r = 0; r < NQ; ++r) {
      float s = 0.0f;
      for (int32_t d = 0; d < hd; ++d) s += q[r][d] * kt[static_cast<int64_t>(d) * bs + j0];
      scores[r * stride + j0] = s * scale;
    }
  }
}

template <int NQ>
void pv_rows(const float* p, int64_t stride, const float* v, int32_t n, int32_t hd, float* const* out) {
  int32_t d0 = 0;
  for (; d0 + 8 <= hd; d0 += 8) {
    __m256 acc[NQ];
    for (int r = 0; r < NQ; ++r) acc[r] = _mm256_loadu_ps(out[r] + d0);
    for (int32_t j = 0; j < n; ++j) {
      const __m256 vv = _mm256_loadu_ps(v + static_cast<int64_t>(j) * hd + d0);
      for (int r = 0; r < NQ; ++r) acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(p[r * stride + j]), vv, acc[r]);
    }
    for (int r = 0; r < NQ; ++r) _mm256_storeu_ps(out[r] + d0, acc[r]);
  }
  for (; d0 < hd; ++d0) {  // tail elements
    for (int r = 0; r < NQ; ++r) {
      float s = out[r][d0];
      for (int32_t j = 0; j < n; ++j) s += p[r * stride + j] * v[static_cast<int64_t>(j) * hd + d0];
      out[r][d0] = s;
    }
  }
}

}  // namespace

void attn_qk_avx2(const float* const* q, int32_t nq, const float* kt, int32_t bs, int32_t n, int32_t hd, float scale,
                  float* scores, int64_t stride) {
  int32_t r = 0;
  for (; r + kRows <= nq; r += kRows) qk_rows<kRows>(q + r, kt, bs, n, hd, scale, scores + r * stride, stride);
  switch (nq - r) {
    case 7: qk_rows<7>(q + r, kt, bs, n, hd, scale, scores + r * stride, stride); break;
    case 6: qk_rows<6>(q + r, kt, bs, n, hd, scale, scores + r * stride, stride); break;
    case 5: qk_rows<5>(q + r, kt, bs, n, hd, scale, scores + r * stride, stride); break;
    case 4: qk_rows<4>(q + r, kt, bs, n, hd, scale, scores + r * stride, stride); break;
    case 3: qk_rows<3>(q + r, kt, bs, n, hd, scale, scores + r * stride, stride); break;
    case 2: qk_rows<2>(q + r, kt, bs, n, hd, scale, scores + r * stride, stride); break;
    case 1: qk_rows<1>(q + r, kt, bs, n, hd, scale, scores + r * stride, stride); break;
    default: break;
  }
}

void attn_pv_avx2(const float* p, int32_t nq, int64_t stride, const float* v, int32_t n, int32_t hd,
                  float* const* out) {
  int32_t r = 0;
  for (; r + kRows <= nq; r += kRows) pv_rows<kRows>(p + r * stride, stride, v, n, hd, out + r);
  switch (nq - r) {
    case 7: pv_rows<7>(p + r * stride, stride, v, n, hd, out + r); break;
    case 6: pv_rows<6>(p + r * stride, stride, v, n, hd, out + r); break;
    case 5: pv_rows<5>(p + r * stride, stride, v, n, hd, out + r); break;
    case 4: pv_rows<4>(p + r * stride, stride, v, n, hd, out + r); break;
    case 3: pv_rows<3>(p + r * stride, stride, v, n, hd, out + r); break;
    case 2: pv_rows<2>(p + r * stride, stride, v, n, hd, out + r); break;
    case 1: pv_rows<1>(p + r * stride, stride, v, n, hd, out + r); break;
    default: break;
  }
}

}  // namespace teamvl::engine
