// AVX-512 attention inner loops (this file is compiled with AVX-512 flags).
// g++ 12 warns about the deliberately undefined registers inside its own
// AVX-512 intrinsics: not our code, silence it for this file.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

namespace teamvl::engine {
namespace {

constexpr int kRows = 8;  // query rows per pass: each loaded K/V vector feeds 8 FMAs

__mmask16 lanes(int32_t count) { return count >= 16 ? __mmask16(0xFFFF) : static_cast<__mmask16>((1u << count) - 1); }

template <int NQ>
void qk_rows(const float* const* q, const float* kt, int32_t bs, int32_t n, int32_t hd, float scale, float* scores,
             int64_t stride) {
  for (int32_t j0 = 0; j0 < n; j0 += 16) {
    const __mmask16 m = lanes(n - j0);
    __m512 acc[NQ];
    for (int r = 0; r < NQ; ++r) acc[r] = _mm512_setzero_ps();
    for (int32_t d = 0; d < hd; ++d) {
      const __m512 k = _mm512_maskz_loadu_ps(m, kt + static_cast<int64_t>(d) * bs + j0);
      for (int r = 0; r < NQ; ++r) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(q[r][d]), k, acc[r]);
    }
    const __m512 s = _mm512_set1_ps(scale);
    for (int r = 0; r < NQ; ++r) _mm512_mask_storeu_ps(scores + r * stride + j0, m, _mm512_mul_ps(acc[r], s));
  }
}

template <int NQ>
void pv_rows(const float* p, int64_t stride, const float* v, int32_t n, int32_t hd, float* const* out) {
  for (int32_t d0 = 0; d0 < hd; d0 += 16) {
    const __mmask16 m = lanes(hd - d0);
    __m512 acc[NQ];
    for (int r = 0; r < NQ; ++r) acc[r] = _mm512_maskz_loadu_ps(m, out[r] + d0);
    for (int32_t j = 0; j < n; ++j) {
      const __m512 vv = _mm512_maskz_loadu_ps(m, v + static_cast<int64_t>(j) * hd + d0);
      for (int r = 0; r < NQ; ++r) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(p[r * stride + j]), vv, acc[r]);
    }
    for (int r = 0; r < NQ; ++r) _mm512_mask_storeu_ps(out[r] + d0, m, acc[r]);
  }
}

}  // namespace

void attn_qk_avx512(const float* const* q, int32_t nq, const float* kt, int32_t bs, int32_t n, int32_t hd,
                    float scale, float* scores, int64_t stride) {
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

void attn_pv_avx512(const float* p, int32_t nq, int64_t stride, const float* v, int32_t n, int32_t hd,
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

#pragma GCC diagnostic pop
