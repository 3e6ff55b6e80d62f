// AVX-512 activation converters: the same arithmetic as the scalar ones in
// activations.cpp (same operations, same rounding), so results are identical.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"  // GCC 12 intrinsic headers, see matmul_avx512.cpp
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "engine/kernels/matmul_internal.h"

namespace teamvl::engine::matmul_internal {
namespace {

void round_f16(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256i h = _mm512_cvtps_ph(_mm512_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm512_storeu_ps(y + i, _mm512_cvtph_ps(h));
  }
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m256i h = _mm512_cvtps_ph(_mm512_maskz_loadu_ps(m, x + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm512_mask_storeu_ps(y + i, m, _mm512_cvtph_ps(h));
  }
}

// Round to nearest even on the bit pattern; NaN becomes a quiet NaN.
__m256i bf16_of(__m512 v) {
  const __m512i u = _mm512_castps_si512(v);
  const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
  const __m512i rounded = _mm512_srli_epi32(_mm512_add_epi32(u, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff))), 16);
  const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, _mm512_set1_epi32(0x7fffffff)),
                                                _mm512_set1_epi32(0x7f800000));
  const __m512i quiet = _mm512_or_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(64));
  return _mm512_cvtepi32_epi16(_mm512_mask_blend_epi32(nan, rounded, quiet));
}

void to_bf16(const float* x, uint16_t* y, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + i), bf16_of(_mm512_loadu_ps(x + i)));
  }
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
    _mm256_mask_storeu_epi16(y + i, m, bf16_of(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

float abs_max(const __m512* v, int count) {
  const __m512 sign = _mm512_set1_ps(-0.0f);
  __m512 a = _mm512_andnot_ps(sign, v[0]);
  for (int i = 1; i < count; ++i) a = _mm512_max_ps(a, _mm512_andnot_ps(sign, v[i]));
  return _mm512_reduce_max_ps(a);
}

void quant_q8_0(const float* x, int64_t n, int8_t* qs, float* d) {
  for (int64_t b = 0; b < n / kQK; ++b) {
    const __m512 v[2] = {_mm512_loadu_ps(x + b * kQK), _mm512_loadu_ps(x + b * kQK + 16)};
    const float amax = abs_max(v, 2);
    d[b] = _cvtsh_ss(_cvtss_sh(amax / 127.0f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    const __m512 id = _mm512_set1_ps(amax != 0.0f ? 127.0f / amax : 0.0f);
    for (int h = 0; h < 2; ++h) {
      const __m512i q = _mm512_cvtps_epi32(_mm512_mul_ps(v[h], id));  // ties to even
      _mm_storeu_si128(reinterpret_cast<__m128i*>(qs + b * kQK + 16 * h), _mm512_cvtsepi32_epi8(q));
    }
  }
}

void quant_q8_k(const float* x, int64_t n, int8_t* qs, float* d, int16_t* bsums) {
  const __m512 sign = _mm512_set1_ps(-0.0f);
  for (int64_t b = 0; b < n / kQKK; ++b) {
    const float* xb = x + b * kQKK;
    __m512 v[16];
    for (int i = 0; i < 16; ++i) v[i] = _mm512_loadu_ps(xb + 16 * i);
    const float amax = abs_max(v, 16);
    if (amax == 0.0f) {
      d[b] = 0.0f;
      for (int i = 0; i < 16; ++i) bsums[b * 16 + i] = 0;
      _mm512_storeu_si512(qs + b * kQKK, _mm512_setzero_si512());
      for (int i = 1; i < 4; ++i) _mm512_storeu_si512(qs + b * kQKK + 64 * i, _mm512_setzero_si512());
      continue;
    }
    // The signed value of the first element with the largest magnitude.
    float mx = 0.0f;
    for (int i = 0; i < 16; ++i) {
      const __mmask16 m = _mm512_cmp_ps_mask(_mm512_andnot_ps(sign, v[i]), _mm512_set1_ps(amax), _CMP_EQ_OQ);
      if (m) {
        mx = xb[16 * i + __builtin_ctz(m)];
        break;
      }
    }
    const float iscale = -127.0f / mx;
    const __m512 vs = _mm512_set1_ps(iscale);
    for (int i = 0; i < 16; ++i) {
      const __m512i q = _mm512_min_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(v[i], vs)), _mm512_set1_epi32(127));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(qs + b * kQKK + 16 * i), _mm512_cvtsepi32_epi8(q));
      bsums[b * 16 + i] = static_cast<int16_t>(_mm512_reduce_add_epi32(q));
    }
    d[b] = 1.0f / iscale;
  }
}

}  // namespace

const ActConverters& avx512_converters() {
  static const ActConverters c{round_f16, to_bf16, quant_q8_0, quant_q8_k};
  return c;
}

}  // namespace teamvl::engine::matmul_internal
