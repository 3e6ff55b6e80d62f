// AVX-512 pieces of the vision GEMM and attention: the 14 x 32 register tile
// (28 zmm accumulators, one broadcast per activation row and two weight loads
// per k), fp16/bf16 rounding and widening, a column softmax with a vectorized exp,
// and the table GELU. Compiled with AVX-512 flags; reached only through
// vision_isa_avx512() after the CPU check.
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include "engine/kernels/matmul_internal.h"
#include "engine/vision/vision_gemm_internal.h"

namespace teamvl::engine::vision_internal {
namespace {

inline __mmask16 lane_mask(int n) { return n >= 16 ? __mmask16(0xFFFF) : n <= 0 ? __mmask16(0) : __mmask16((1u << n) - 1); }

template <int MR>
void tile(const float* a, const float* b, int64_t kc, float* c, int64_t ldc, int nr, bool accumulate) {
  const __mmask16 m0 = lane_mask(nr), m1 = lane_mask(nr - 16);
  __m512 c0[MR], c1[MR];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
    if (accumulate) {
      c0[i] = _mm512_maskz_loadu_ps(m0, c + i * ldc);
      c1[i] = _mm512_maskz_loadu_ps(m1, c + i * ldc + 16);
    } else {
      c0[i] = _mm512_setzero_ps();
      c1[i] = _mm512_setzero_ps();
    }
  }
  for (int64_t k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_loadu_ps(b + k * kGemmCols);
    const __m512 b1 = _mm512_loadu_ps(b + k * kGemmCols + 16);
    const float* ak = a + k * kGemmRows;
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const __m512 av = _mm512_set1_ps(ak[i]);
      c0[i] = _mm512_fmadd_ps(av, b0, c0[i]);
      c1[i] = _mm512_fmadd_ps(av, b1, c1[i]);
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
    _mm512_mask_storeu_ps(c + i * ldc, m0, c0[i]);
    _mm512_mask_storeu_ps(c + i * ldc + 16, m1, c1[i]);
  }
}

using TileImpl = void (*)(const float*, const float*, int64_t, float*, int64_t, int, bool);

template <int... I>
constexpr std::array<TileImpl, sizeof...(I)> make_tiles(std::integer_sequence<int, I...>) {
  return {&tile<I + 1>...};
}

void tile_any(const float* a, const float* b, int64_t kc, float* c, int64_t ldc, int mr, int nr, bool accumulate) {
  static constexpr auto kTiles = make_tiles(std::make_integer_sequence<int, kGemmRows>());
  if (mr <= 0 || nr <= 0) return;
  kTiles[mr - 1](a, b, kc, c, ldc, nr, accumulate);
}

inline __m512 round_bf16_vec(__m512 v) {
  const __m512i u = _mm512_castps_si512(v);
  const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
  __m512i r = _mm512_add_epi32(u, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7FFF)));
  r = _mm512_and_si512(r, _mm512_set1_epi32(static_cast<int>(0xFFFF0000u)));
  const __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
  const __m512i qnan = _mm512_or_si512(_mm512_and_si512(u, _mm512_set1_epi32(static_cast<int>(0xFFFF0000u))),
                                       _mm512_set1_epi32(0x00400000));
  return _mm512_castsi512_ps(_mm512_mask_mov_epi32(r, nan, qnan));
}

void round_bf16(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, round_bf16_vec(_mm512_loadu_ps(x + i)));
  if (i < n) {
    const __mmask16 m = lane_mask(static_cast<int>(n - i));
    _mm512_mask_storeu_ps(y + i, m, round_bf16_vec(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

void widen_f16(const uint16_t* s, float* d, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    _mm512_storeu_ps(d + i, _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + i))));
  }
  for (; i < n; ++i) d[i] = _cvtsh_ss(s[i]);
}

void widen_bf16(const uint16_t* s, float* d, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512i w = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + i)));
    _mm512_storeu_ps(d + i, _mm512_castsi512_ps(_mm512_slli_epi32(w, 16)));
  }
  for (; i < n; ++i) {
    const uint32_t u = static_cast<uint32_t>(s[i]) << 16;
    float f;
    __builtin_memcpy(&f, &u, 4);
    d[i] = f;
  }
}

// exp(x) for x <= 0 (softmax inputs after the max is subtracted) and beyond:
// 2^n * p(r) with r = x - n ln2 in [-ln2/2, ln2/2] and a degree-7 Taylor
// polynomial (relative error below 1e-7); underflows to 0 cleanly via scalef.
inline __m512 exp_vec(__m512 x) {
  x = _mm512_max_ps(x, _mm512_set1_ps(-104.0f));
  x = _mm512_min_ps(x, _mm512_set1_ps(88.7f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.428606765330187045e-06f), r);
  __m512 p = _mm512_set1_ps(1.0f / 5040.0f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(p, n);
}

void softmax_cols(float* s, int64_t rows, float scale, float* inv_sum) {
  const __m512 sc = _mm512_set1_ps(scale);
  __m512 mx0 = _mm512_set1_ps(-INFINITY), mx1 = mx0;
  for (int64_t r = 0; r < rows; ++r) {
    mx0 = _mm512_max_ps(mx0, _mm512_mul_ps(_mm512_loadu_ps(s + r * kGemmCols), sc));
    mx1 = _mm512_max_ps(mx1, _mm512_mul_ps(_mm512_loadu_ps(s + r * kGemmCols + 16), sc));
  }
  // Sums: float over blocks of 64 rows (each term <= 1), then double.
  __m512d sum[4] = {_mm512_setzero_pd(), _mm512_setzero_pd(), _mm512_setzero_pd(), _mm512_setzero_pd()};
  auto widen_add = [](__m512d* acc, __m512 e) {
    acc[0] = _mm512_add_pd(acc[0], _mm512_cvtps_pd(_mm512_castps512_ps256(e)));
    acc[1] = _mm512_add_pd(acc[1], _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(e), 1))));
  };
  for (int64_t r0 = 0; r0 < rows; r0 += 64) {
    __m512 f0 = _mm512_setzero_ps(), f1 = _mm512_setzero_ps();
    const int64_t r1 = std::min<int64_t>(rows, r0 + 64);
    for (int64_t r = r0; r < r1; ++r) {
      float* row = s + r * kGemmCols;
      const __m512 e0 = exp_vec(_mm512_fmsub_ps(_mm512_loadu_ps(row), sc, mx0));
      const __m512 e1 = exp_vec(_mm512_fmsub_ps(_mm512_loadu_ps(row + 16), sc, mx1));
      _mm512_storeu_ps(row, e0);
      _mm512_storeu_ps(row + 16, e1);
      f0 = _mm512_add_ps(f0, e0);
      f1 = _mm512_add_ps(f1, e1);
    }
    widen_add(sum, f0);
    widen_add(sum + 2, f1);
  }
  const __m512d one = _mm512_set1_pd(1.0);
  for (int q = 0; q < 4; ++q) {
    _mm256_storeu_ps(inv_sum + 8 * q, _mm512_cvtpd_ps(_mm512_div_pd(one, sum[q])));
  }
}

// Table GELU: fp16 bits of x index a 64K-entry f32 table; |x| >= 10 handled
// by blends as ggml does.
void gelu(float* x, int64_t n) {
  const float* table = gelu_f16_table();
  const __m512 lo = _mm512_set1_ps(-10.0f), hi = _mm512_set1_ps(10.0f);
  int64_t i = 0;
  for (; i < n; i += 16) {
    const __mmask16 m = lane_mask(static_cast<int>(n - i));
    const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
    const __m512i idx = _mm512_cvtepu16_epi32(_mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    __m512 g = _mm512_i32gather_ps(idx, table, 4);
    g = _mm512_mask_mov_ps(g, _mm512_cmp_ps_mask(v, lo, _CMP_LE_OQ), _mm512_setzero_ps());
    g = _mm512_mask_mov_ps(g, _mm512_cmp_ps_mask(v, hi, _CMP_GE_OQ), v);
    _mm512_mask_storeu_ps(x + i, m, g);
  }
}

// fp16 rounding is the text kernels' activation converter (the same bits).
const VisionIsa kAvx512{tile_any, matmul_internal::avx512_converters().round_f16, round_bf16, widen_f16, widen_bf16,
                        softmax_cols, gelu};

}  // namespace

const VisionIsa* vision_isa_avx512() { return &kAvx512; }

}  // namespace teamvl::engine::vision_internal
