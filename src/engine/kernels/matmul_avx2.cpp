// AVX2 + FMA + F16C matmul kernels, for CPUs without AVX-512 VNNI. Same tiling
// as the AVX-512 file (tile_driver.h); int8 dots use vpmaddubsw/vpmaddwd, so
// activations stay signed int8 (ActLayout{} = natural layout).
#include <immintrin.h>

#include <cstring>

#include "engine/kernels/matmul_internal.h"
#include "engine/kernels/tile_driver.h"

namespace teamvl::engine::matmul_internal {
namespace {

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

template <int NR, int NT>
inline void zero_tile(__m256 (&acc)[NR][NT]) {
  TEAMVL_UNROLL
  for (int r = 0; r < NR; ++r) {
    TEAMVL_UNROLL
    for (int t = 0; t < NT; ++t) acc[r][t] = _mm256_setzero_ps();
  }
}

template <int NR, int NT>
inline void store_tile(__m256 (&acc)[NR][NT], int64_t r0, int64_t t0, float* y, int64_t ldy) {
  TEAMVL_UNROLL
  for (int t = 0; t < NT; ++t) {
    TEAMVL_UNROLL
    for (int r = 0; r < NR; ++r) y[(t0 + t) * ldy + r0 + r] = hsum(acc[r][t]);
  }
}

// ---- F32 / F16 / BF16 weights: f32 FMA, 8 columns per step ------------------

enum class FloatKind { kF32, kF16, kBF16 };

template <FloatKind kKind>
struct FloatKernel {
  static constexpr int kR = 2, kT = 4;
  using Elem = std::conditional_t<kKind == FloatKind::kF32, float, uint16_t>;

  static __m256 widen_bf16(__m128i h) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  }
  static __m256 load_w(const Elem* p) {
    if constexpr (kKind == FloatKind::kF32) {
      return _mm256_loadu_ps(p);
    } else if constexpr (kKind == FloatKind::kF16) {
      return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    } else {
      return widen_bf16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    }
  }
  static __m256 load_x(const PreparedAct& a, int64_t t, int64_t k) {
    if constexpr (kKind == FloatKind::kBF16) {
      return widen_bf16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a.bf16 + t * a.cols + k)));
    } else {
      return _mm256_loadu_ps(a.f32 + t * a.cols + k);
    }
  }

  template <int NR, int NT>
  [[gnu::always_inline]] static void tile(const WeightView& w, const PreparedAct& a, int64_t r0,
                                          int64_t t0, float* y, int64_t ldy) {
    const Elem* wr[NR];
    TEAMVL_UNROLL
    for (int r = 0; r < NR; ++r) wr[r] = reinterpret_cast<const Elem*>(weight_row(w, r0 + r));
    __m256 acc[NR][NT];
    zero_tile(acc);
    const int64_t K = a.cols;
    int64_t k = 0;
    for (; k + 8 <= K; k += 8) {
      __m256 wv[NR];
      TEAMVL_UNROLL
      for (int r = 0; r < NR; ++r) wv[r] = load_w(wr[r] + k);
      TEAMVL_UNROLL
      for (int t = 0; t < NT; ++t) {
        const __m256 xv = load_x(a, t0 + t, k);
        TEAMVL_UNROLL
        for (int r = 0; r < NR; ++r) acc[r][t] = _mm256_fmadd_ps(wv[r], xv, acc[r][t]);
      }
    }
    store_tile(acc, r0, t0, y, ldy);
    if (k == K) return;
    // Fewer than 8 columns left: finish with scalar code on the same values.
    for (int t = 0; t < NT; ++t) {
      for (int r = 0; r < NR; ++r) {
        float s = 0;
        for (int64_t c = k; c < K; ++c) {
          float wv, xv;
          if constexpr (kKind == FloatKind::kF32) {
            wv = wr[r][c];
            xv = a.f32[(t0 + t) * a.cols + c];
          } else if constexpr (kKind == FloatKind::kF16) {
            wv = _cvtsh_ss(wr[r][c]);
            xv = a.f32[(t0 + t) * a.cols + c];
          } else {
            wv = bf16_to_fp32(wr[r][c]);
            xv = bf16_to_fp32(a.bf16[(t0 + t) * a.cols + c]);
          }
          s += wv * xv;
        }
        y[(t0 + t) * ldy + r0 + r] += s;
      }
    }
  }
};

// ---- Q8_0 / Q4_0 weights x Q8_0 activations -----------------------------------

// Sum of 32 signed byte products, as 8 int32 lanes (sign trick for maddubs).
inline __m256i dot_i8(__m256i w, __m256i x) {
  const __m256i p16 = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w));
  return _mm256_madd_epi16(p16, _mm256_set1_epi16(1));
}

template <GgmlType kType>
struct Q8Family {
  using Block = std::conditional_t<kType == GgmlType::kQ8_0, BlockQ8_0, BlockQ4_0>;
  static constexpr int kR = 2, kT = 4;
  static __m256i load(const Block& b) {
    if constexpr (kType == GgmlType::kQ8_0) {
      return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs));
    } else {
      const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs));
      const __m128i m4 = _mm_set1_epi8(0x0F);
      const __m256i v = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(q, 4), m4), _mm_and_si128(q, m4));
      return _mm256_sub_epi8(v, _mm256_set1_epi8(8));
    }
  }
  template <int NR, int NT>
  [[gnu::always_inline]] static void tile(const WeightView& w, const PreparedAct& a, int64_t r0,
                                          int64_t t0, float* y, int64_t ldy) {
    const Block* wb[NR];
    TEAMVL_UNROLL
    for (int r = 0; r < NR; ++r) wb[r] = reinterpret_cast<const Block*>(weight_row(w, r0 + r));
    __m256 acc[NR][NT];
    zero_tile(acc);
    const int64_t nb = a.cols / kQK;
    for (int64_t b = 0; b < nb; ++b) {
      __m256i wv[NR];
      float wd[NR];
      TEAMVL_UNROLL
      for (int r = 0; r < NR; ++r) {
        wv[r] = load(wb[r][b]);
        wd[r] = _cvtsh_ss(wb[r][b].d);
      }
      TEAMVL_UNROLL
      for (int t = 0; t < NT; ++t) {
        const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.qs_row(t0 + t) + b * kQK));
        const float xd = a.d_row(t0 + t)[b];
        TEAMVL_UNROLL
        for (int r = 0; r < NR; ++r) {
          acc[r][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot_i8(wv[r], xv)), _mm256_set1_ps(wd[r] * xd),
                                      acc[r][t]);
        }
      }
    }
    store_tile(acc, r0, t0, y, ldy);
  }
};

// ---- K-quants x Q8_K activations (natural order) ------------------------------

// Q4_K (kFive = false) / Q5_K: per 256 block, 8 groups of 32 with integer
// scales applied by vpmaddwd; mins against the activations' group sums.
template <bool kFive>
struct QkAsymKernel {
  static constexpr int kR = 2, kT = 4;
  static constexpr size_t kBytes = kFive ? sizeof(BlockQ5_K) : sizeof(BlockQ4_K);
  static constexpr int kQsOffset = kFive ? 48 : 16;

  template <int NR, int NT>
  [[gnu::always_inline]] static void tile(const WeightView& w, const PreparedAct& a, int64_t r0,
                                          int64_t t0, float* y, int64_t ldy) {
    const uint8_t* wr[NR];
    TEAMVL_UNROLL
    for (int r = 0; r < NR; ++r) wr[r] = weight_row(w, r0 + r);
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    __m256 acc[NR][NT];
    zero_tile(acc);
    const int64_t nb = a.cols / kQKK;
    for (int64_t b = 0; b < nb; ++b) {
      __m256i isum[NR][NT];
      __m256 mins[NR];
      float d[NR];
      uint8_t sc[NR][8];
      TEAMVL_UNROLL
      for (int r = 0; r < NR; ++r) {
        const uint8_t* blk = wr[r] + b * kBytes;
        fp16_t h[2];
        std::memcpy(h, blk, 4);
        d[r] = _cvtsh_ss(h[0]);
        const float dmin = _cvtsh_ss(h[1]);
        uint8_t m[8];
        for (int j = 0; j < 8; ++j) get_scale_min_k4(j, blk + 4, &sc[r][j], &m[j]);
        int64_t m64;
        std::memcpy(&m64, m, 8);
        mins[r] = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_cvtsi64_si128(m64))),
                                _mm256_set1_ps(dmin));
        TEAMVL_UNROLL
        for (int t = 0; t < NT; ++t) isum[r][t] = _mm256_setzero_si256();
      }
      for (int c = 0; c < 4; ++c) {
        __m256i q[NR][2];
        TEAMVL_UNROLL
        for (int r = 0; r < NR; ++r) {
          const uint8_t* blk = wr[r] + b * kBytes;
          const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + kQsOffset + 32 * c));
          q[r][0] = _mm256_and_si256(v, m4);
          q[r][1] = _mm256_and_si256(_mm256_srli_epi16(v, 4), m4);
          if constexpr (kFive) {
            const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 16));
            const __m256i one = _mm256_set1_epi8(1);
            for (int hi = 0; hi < 2; ++hi) {
              const __m256i bit = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * c + hi), one);
              q[r][hi] = _mm256_or_si256(q[r][hi], _mm256_slli_epi16(bit, 4));
            }
          }
        }
        TEAMVL_UNROLL
        for (int t = 0; t < NT; ++t) {
          const int8_t* xq = a.qs_row(t0 + t) + b * kQKK + 64 * c;
          for (int hi = 0; hi < 2; ++hi) {
            const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq + 32 * hi));
            TEAMVL_UNROLL
            for (int r = 0; r < NR; ++r) {
              const __m256i p16 = _mm256_maddubs_epi16(q[r][hi], xv);
              const __m256i p32 = _mm256_madd_epi16(p16, _mm256_set1_epi16(sc[r][2 * c + hi]));
              isum[r][t] = _mm256_add_epi32(isum[r][t], p32);
            }
          }
        }
      }
      TEAMVL_UNROLL
      for (int t = 0; t < NT; ++t) {
        const __m256 sums = _mm256_loadu_ps(a.aux_row(t0 + t) + b * 8);
        const __m256 dx = _mm256_set1_ps(a.d_row(t0 + t)[b]);
        TEAMVL_UNROLL
        for (int r = 0; r < NR; ++r) {
          const __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(isum[r][t]), _mm256_set1_ps(d[r]));
          acc[r][t] = _mm256_fmadd_ps(_mm256_fnmadd_ps(mins[r], sums, v), dx, acc[r][t]);
        }
      }
    }
    store_tile(acc, r0, t0, y, ldy);
  }
};

struct Q6KKernel {
  static constexpr int kR = 2, kT = 4;
  template <int NR, int NT>
  [[gnu::always_inline]] static void tile(const WeightView& w, const PreparedAct& a, int64_t r0,
                                          int64_t t0, float* y, int64_t ldy) {
    const BlockQ6_K* wb[NR];
    TEAMVL_UNROLL
    for (int r = 0; r < NR; ++r) wb[r] = reinterpret_cast<const BlockQ6_K*>(weight_row(w, r0 + r));
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    const __m256i m30 = _mm256_set1_epi8(0x30);
    __m256 acc[NR][NT];
    zero_tile(acc);
    const int64_t nb = a.cols / kQKK;
    for (int64_t b = 0; b < nb; ++b) {
      __m256i isum[NR][NT];
      __m256 scf[NR][2];
      float d[NR];
      TEAMVL_UNROLL
      for (int r = 0; r < NR; ++r) {
        d[r] = _cvtsh_ss(wb[r][b].d);
        const __m128i s8 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(wb[r][b].scales));
        scf[r][0] = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(s8)), _mm256_set1_ps(d[r]));
        scf[r][1] = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(s8, 8))),
                                  _mm256_set1_ps(d[r]));
        TEAMVL_UNROLL
        for (int t = 0; t < NT; ++t) isum[r][t] = _mm256_setzero_si256();
      }
      for (int c = 0; c < 2; ++c) {
        // Four groups of 32 elements: 128c + 32g, each two 16-scale sub-blocks.
        __m256i q[NR][4];
        TEAMVL_UNROLL
        for (int r = 0; r < NR; ++r) {
          const BlockQ6_K& k = wb[r][b];
          const __m256i l0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(k.ql + 64 * c));
          const __m256i l1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(k.ql + 64 * c + 32));
          const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(k.qh + 32 * c));
          q[r][0] = _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_and_si256(_mm256_slli_epi16(h, 4), m30));
          q[r][1] = _mm256_or_si256(_mm256_and_si256(l1, m4), _mm256_and_si256(_mm256_slli_epi16(h, 2), m30));
          q[r][2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4), _mm256_and_si256(h, m30));
          q[r][3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                                    _mm256_and_si256(_mm256_srli_epi16(h, 2), m30));
        }
        for (int g = 0; g < 4; ++g) {
          __m256i scv[NR];
          TEAMVL_UNROLL
          for (int r = 0; r < NR; ++r) {
            const int j = 8 * c + 2 * g;
            scv[r] = _mm256_set_m128i(_mm_set1_epi16(wb[r][b].scales[j + 1]), _mm_set1_epi16(wb[r][b].scales[j]));
          }
          TEAMVL_UNROLL
          for (int t = 0; t < NT; ++t) {
            const __m256i xv = _mm256_loadu_si256(
                reinterpret_cast<const __m256i*>(a.qs_row(t0 + t) + b * kQKK + 128 * c + 32 * g));
            TEAMVL_UNROLL
            for (int r = 0; r < NR; ++r) {
              const __m256i p32 = _mm256_madd_epi16(_mm256_maddubs_epi16(q[r][g], xv), scv[r]);
              isum[r][t] = _mm256_add_epi32(isum[r][t], p32);
            }
          }
        }
      }
      TEAMVL_UNROLL
      for (int t = 0; t < NT; ++t) {
        const float* sums = a.aux_row(t0 + t) + b * 16;  // 32 * sum of each 16 group
        const __m256 s0 = _mm256_loadu_ps(sums), s1 = _mm256_loadu_ps(sums + 8);
        const __m256 dx = _mm256_set1_ps(a.d_row(t0 + t)[b]);
        TEAMVL_UNROLL
        for (int r = 0; r < NR; ++r) {
          __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(isum[r][t]), _mm256_set1_ps(d[r]));
          v = _mm256_fnmadd_ps(scf[r][0], s0, v);
          v = _mm256_fnmadd_ps(scf[r][1], s1, v);
          acc[r][t] = _mm256_fmadd_ps(v, dx, acc[r][t]);
        }
      }
    }
    store_tile(acc, r0, t0, y, ldy);
  }
};

}  // namespace

ActLayout avx2_layout() { return ActLayout{false, false, SimdLevel::kAvx2}; }

MatmulKernel avx2_kernel(GgmlType t) {
  switch (t) {
    case GgmlType::kF32: return TileDriver<FloatKernel<FloatKind::kF32>>::run;
    case GgmlType::kF16: return TileDriver<FloatKernel<FloatKind::kF16>>::run;
    case GgmlType::kBF16: return TileDriver<FloatKernel<FloatKind::kBF16>>::run;
    case GgmlType::kQ8_0: return TileDriver<Q8Family<GgmlType::kQ8_0>>::run;
    case GgmlType::kQ4_0: return TileDriver<Q8Family<GgmlType::kQ4_0>>::run;
    case GgmlType::kQ4_K: return TileDriver<QkAsymKernel<false>>::run;
    case GgmlType::kQ5_K: return TileDriver<QkAsymKernel<true>>::run;
    case GgmlType::kQ6_K: return TileDriver<Q6KKernel>::run;
    default: return nullptr;
  }
}

}  // namespace teamvl::engine::matmul_internal
