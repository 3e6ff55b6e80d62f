// AVX2 + F16C activation converters: the same arithmetic as the scalar ones in
// activations.cpp (same operations, same rounding), so results are identical.
#include <immintrin.h>

#include "engine/kernels/matmul_internal.h"

namespace teamvl::engine::matmul_internal {
namespace {

void round_f16(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm256_storeu_ps(y + i, _mm256_cvtph_ps(h));
  }
  for (; i < n; ++i) y[i] = _cvtsh_ss(_cvtss_sh(x[i], _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}

void to_bf16(const float* x, uint16_t* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i u = _mm256_castps_si256(_mm256_loadu_ps(x + i));
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
    const __m256i rounded =
        _mm256_srli_epi32(_mm256_add_epi32(u, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7fff))), 16);
    // NaN: |u| > 0x7f800000 (signed compare is fine: both sides are positive).
    const __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(u, _mm256_set1_epi32(0x7fffffff)),
                                           _mm256_set1_epi32(0x7f800000));
    const __m256i quiet = _mm256_or_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(64));
    const __m256i r = _mm256_blendv_epi8(rounded, quiet, nan);
    // Pack 8 x 32-bit (all < 65536) to 8 x 16-bit.
    const __m128i packed = _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i), packed);
  }
  for (; i < n; ++i) y[i] = fp32_to_bf16(x[i]);
}

float hmax(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

int hsum_i32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(s);
}

float abs_max(const __m256* v, int count) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 a = _mm256_andnot_ps(sign, v[0]);
  for (int i = 1; i < count; ++i) a = _mm256_max_ps(a, _mm256_andnot_ps(sign, v[i]));
  return hmax(a);
}

// 8 int32 (each within int8 range) -> 8 bytes at dst.
void store8(int8_t* dst, __m256i q) {
  const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(dst), _mm_packs_epi16(w, w));
}

void quant_q8_0(const float* x, int64_t n, int8_t* qs, float* d) {
  for (int64_t b = 0; b < n / kQK; ++b) {
    __m256 v[4];
    for (int i = 0; i < 4; ++i) v[i] = _mm256_loadu_ps(x + b * kQK + 8 * i);
    const float amax = abs_max(v, 4);
    d[b] = _cvtsh_ss(_cvtss_sh(amax / 127.0f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    const __m256 id = _mm256_set1_ps(amax != 0.0f ? 127.0f / amax : 0.0f);
    for (int i = 0; i < 4; ++i) store8(qs + b * kQK + 8 * i, _mm256_cvtps_epi32(_mm256_mul_ps(v[i], id)));
  }
}

void quant_q8_k(const float* x, int64_t n, int8_t* qs, float* d, int16_t* bsums) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  for (int64_t b = 0; b < n / kQKK; ++b) {
    const float* xb = x + b * kQKK;
    __m256 v[32];
    for (int i = 0; i < 32; ++i) v[i] = _mm256_loadu_ps(xb + 8 * i);
    const float amax = abs_max(v, 32);
    if (amax == 0.0f) {
      d[b] = 0.0f;
      for (int i = 0; i < 16; ++i) bsums[b * 16 + i] = 0;
      for (int i = 0; i < kQKK; ++i) qs[b * kQKK + i] = 0;
      continue;
    }
    float mx = 0.0f;
    for (int i = 0; i < 32; ++i) {
      const int m = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_andnot_ps(sign, v[i]), _mm256_set1_ps(amax), _CMP_EQ_OQ));
      if (m) {
        mx = xb[8 * i + __builtin_ctz(static_cast<unsigned>(m))];
        break;
      }
    }
    const float iscale = -127.0f / mx;
    const __m256 vs = _mm256_set1_ps(iscale);
    for (int i = 0; i < 16; ++i) {
      const __m256i q0 = _mm256_min_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(v[2 * i], vs)), _mm256_set1_epi32(127));
      const __m256i q1 = _mm256_min_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(v[2 * i + 1], vs)), _mm256_set1_epi32(127));
      store8(qs + b * kQKK + 16 * i, q0);
      store8(qs + b * kQKK + 16 * i + 8, q1);
      bsums[b * 16 + i] = static_cast<int16_t>(hsum_i32(_mm256_add_epi32(q0, q1)));
    }
    d[b] = 1.0f / iscale;
  }
}

}  // namespace

const ActConverters& avx2_converters() {
  static const ActConverters c{round_f16, to_bf16, quant_q8_0, quant_q8_k};
  return c;
}

}  // namespace teamvl::engine::matmul_internal
