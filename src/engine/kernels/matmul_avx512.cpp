// AVX-512 matmul kernels (F/BW/VL/DQ/VNNI; vdpbf16ps only when the CPU has
// AVX512_BF16). Each kernel computes a tile of NR weight rows x NT tokens with
// the weights of the tile loaded once per block and reused for every token,
// and every activation block loaded once and reused for every row. Integer
// types use vpdpbusd (u8 x s8 -> s32) and apply block scales in f32.
// GCC 12's AVX-512 headers build some intrinsics on a self-initialized
// "undefined" vector, which -Wuninitialized flags at every use (a known false
// positive); nothing in this file reads uninitialized data.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "engine/kernels/cpu_features.h"
#include "engine/kernels/matmul_internal.h"
#include "engine/kernels/tile_driver.h"

namespace teamvl::engine::matmul_internal {
namespace {

template <int NR, int NT>
inline void store_tile(__m512 (&acc)[NR][NT], int64_t r0, int64_t t0, float* y, int64_t ldy) {
  TEAMVL_UNROLL
  for (int t = 0; t < NT; ++t) {
    TEAMVL_UNROLL
    for (int r = 0; r < NR; ++r) y[(t0 + t) * ldy + r0 + r] = _mm512_reduce_add_ps(acc[r][t]);
  }
}

template <int NR, int NT>
inline void zero_tile(__m512 (&acc)[NR][NT]) {
  TEAMVL_UNROLL
  for (int r = 0; r < NR; ++r) {
    TEAMVL_UNROLL
    for (int t = 0; t < NT; ++t) acc[r][t] = _mm512_setzero_ps();
  }
}

// Decode reads each weight once, so it runs at memory speed only if loads are
// in flight while the previous blocks are computed: prefetch the bytes of one
// block (the same block of the rows one tile ahead, which come next in memory).
template <size_t kBytes>
[[gnu::always_inline]] inline void prefetch_block(const void* p) {
  const char* c = static_cast<const char*>(p);
  TEAMVL_UNROLL
  for (size_t o = 0; o < kBytes; o += 64) _mm_prefetch(c + o, _MM_HINT_T0);
}

// Start of row r of a quantized weight whose blocks hold kElems elements in
// kBytes bytes (inline: row_bytes() is a call, and tiles are small).
template <size_t kBytes, int kElems>
[[gnu::always_inline]] inline const uint8_t* block_row(const WeightView& w, int64_t r) {
  return static_cast<const uint8_t*>(w.data) + static_cast<size_t>(r) * (static_cast<size_t>(w.cols) / kElems * kBytes);
}

inline __mmask16 tail_mask16(int64_t n) { return static_cast<__mmask16>((1u << n) - 1); }
inline __mmask32 tail_mask32(int64_t n) {
  return static_cast<__mmask32>(n >= 32 ? 0xffffffffu : (1u << n) - 1);
}

// ---- F32 and F16 weights: f32 FMA ---------------------------------------------

template <bool kHalf>
struct FloatKernel {
  static constexpr int kR = 4, kT = 4;
  static __m512 load_w(const void* row, int64_t k) {
    if constexpr (kHalf) {
      return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(
          static_cast<const uint16_t*>(row) + k)));
    } else {
      return _mm512_loadu_ps(static_cast<const float*>(row) + k);
    }
  }
  static __m512 load_w_tail(const void* row, int64_t k, __mmask16 m) {
    if constexpr (kHalf) {
      return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, static_cast<const uint16_t*>(row) + k));
    } else {
      return _mm512_maskz_loadu_ps(m, static_cast<const float*>(row) + k);
    }
  }
  template <int NR, int NT>
  [[gnu::always_inline]] static void tile(const WeightView& w, const PreparedAct& a, int64_t r0,
                                          int64_t t0, float* y, int64_t ldy) {
    const void* wr[NR];
    const float* xt[NT];
    TEAMVL_UNROLL
    for (int r = 0; r < NR; ++r) wr[r] = block_row<kHalf ? 2 : 4, 1>(w, r0 + r);
    TEAMVL_UNROLL
    for (int t = 0; t < NT; ++t) xt[t] = a.f32 + (t0 + t) * a.cols;
    __m512 acc[NR][NT];
    zero_tile(acc);
    const int64_t K = a.cols;
    int64_t k = 0;
    for (; k + 16 <= K; k += 16) {
      __m512 wv[NR];
      TEAMVL_UNROLL
      for (int r = 0; r < NR; ++r) wv[r] = load_w(wr[r], k);
      TEAMVL_UNROLL
      for (int t = 0; t < NT; ++t) {
        const __m512 xv = _mm512_loadu_ps(xt[t] + k);
        TEAMVL_UNROLL
        for (int r = 0; r < NR; ++r) acc[r][t] = _mm512_fmadd_ps(wv[r], xv, acc[r][t]);
      }
    }
    if (k < K) {
      const __mmask16 m = tail_mask16(K - k);
      __m512 wv[NR];
      TEAMVL_UNROLL
      for (int r = 0; r < NR; ++r) wv[r] = load_w_tail(wr[r], k, m);
      TEAMVL_UNROLL
      for (int t = 0; t < NT; ++t) {
        const __m512 xv = _mm512_maskz_loadu_ps(m, xt[t] + k);
        TEAMVL_UNROLL
        for (int r = 0; r < NR; ++r) acc[r][t] = _mm512_fmadd_ps(wv[r], xv, acc[r][t]);
      }
    }
    store_tile(acc, r0, t0, y, ldy);
  }
};

// ---- BF16 weights -----------------------------------------------------------

// With AVX512_BF16: vdpbf16ps (two exact bf16 products per lane, f32 sums).
struct Bf16DotKernel {
  static constexpr int kR = 4, kT = 4;
  template <int NR, int NT>
  [[gnu::always_inline]] static void tile(const WeightView& w, const PreparedAct& a, int64_t r0,
                                          int64_t t0, float* y, int64_t ldy) {
    const uint16_t* wr[NR];
    const uint16_t* xt[NT];
    TEAMVL_UNROLL
    for (int r = 0; r < NR; ++r) wr[r] = reinterpret_cast<const uint16_t*>(block_row<2, 1>(w, r0 + r));
    TEAMVL_UNROLL
    for (int t = 0; t < NT; ++t) xt[t] = a.bf16 + (t0 + t) * a.cols;
    __m512 acc[NR][NT];
    zero_tile(acc);
    const int64_t K = a.cols;
    for (int64_t k = 0; k < K; k += 32) {
      const __mmask32 m = tail_mask32(K - k);
      __m512i wv[NR];
      TEAMVL_UNROLL
      for (int r = 0; r < NR; ++r) wv[r] = _mm512_maskz_loadu_epi16(m, wr[r] + k);
      TEAMVL_UNROLL
      for (int t = 0; t < NT; ++t) {
        const __m512i xv = _mm512_maskz_loadu_epi16(m, xt[t] + k);
        TEAMVL_UNROLL
        for (int r = 0; r < NR; ++r) {
          acc[r][t] = _mm512_dpbf16_ps(acc[r][t], (__m512bh)wv[r], (__m512bh)xv);
        }
      }
    }
    store_tile(acc, r0, t0, y, ldy);
  }
};

// Without AVX512_BF16: widen bf16 to f32 (a shift) and use FMA.
struct Bf16FmaKernel {
  static constexpr int kR = 4, kT = 4;
  static __m512 widen(__m256i h) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  }
  template <int NR, int NT>
  [[gnu::always_inline]] static void tile(const WeightView& w, const PreparedAct& a, int64_t r0,
                                          int64_t t0, float* y, int64_t ldy) {
    const uint16_t* wr[NR];
    const uint16_t* xt[NT];
    TEAMVL_UNROLL
    for (int r = 0; r < NR; ++r) wr[r] = reinterpret_cast<const uint16_t*>(block_row<2, 1>(w, r0 + r));
    TEAMVL_UNROLL
    for (int t = 0; t < NT; ++t) xt[t] = a.bf16 + (t0 + t) * a.cols;
    __m512 acc[NR][NT];
    zero_tile(acc);
    const int64_t K = a.cols;
    for (int64_t k = 0; k < K; k += 16) {
      const __mmask16 m = tail_mask16(std::min<int64_t>(16, K - k));
      __m512 wv[NR];
      TEAMVL_UNROLL
      for (int r = 0; r < NR; ++r) wv[r] = widen(_mm256_maskz_loadu_epi16(m, wr[r] + k));
      TEAMVL_UNROLL
      for (int t = 0; t < NT; ++t) {
        const __m512 xv = widen(_mm256_maskz_loadu_epi16(m, xt[t] + k));
        TEAMVL_UNROLL
        for (int r = 0; r < NR; ++r) acc[r][t] = _mm512_fmadd_ps(wv[r], xv, acc[r][t]);
      }
    }
    store_tile(acc, r0, t0, y, ldy);
  }
};

// ---- Q8_0 / Q4_0 weights x Q8_0 activations (stored as q + 128) ----------------

// Lanes 0-7 take element 0 of v, lanes 8-15 element 1.
inline __m512 spread2(__m128 v) {
  const __m512i idx = _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
  return _mm512_permutexvar_ps(idx, _mm512_castps128_ps512(v));
}

// Two f16 scales -> lanes 0-7 / 8-15.
inline __m512 spread2_f16(fp16_t d0, fp16_t d1) {
  const uint32_t both = static_cast<uint32_t>(d0) | (static_cast<uint32_t>(d1) << 16);
  return spread2(_mm_cvtph_ps(_mm_cvtsi32_si128(static_cast<int>(both))));
}

// 64 signed weights of blocks b, b+1 (Q8_0: as stored; Q4_0: nibbles - 8).
template <GgmlType kType>
struct Q8Family {
  using Block = std::conditional_t<kType == GgmlType::kQ8_0, BlockQ8_0, BlockQ4_0>;
  static __m512i load2(const Block* blk) {
    if constexpr (kType == GgmlType::kQ8_0) {
      const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk[0].qs));
      const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk[1].qs));
      return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
    } else {
      const __m128i q0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk[0].qs));
      const __m128i q1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk[1].qs));
      const __m256i v = _mm256_inserti128_si256(_mm256_castsi128_si256(q0), q1, 1);
      const __m256i m4 = _mm256_set1_epi8(0x0F);
      const __m256i lo = _mm256_and_si256(v, m4);
      const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), m4);
      // [lo0 lo1 hi0 hi1] -> [lo0 hi0 lo1 hi1]: elements 0..31 of block 0, then block 1.
      __m512i z = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
      z = _mm512_shuffle_i64x2(z, z, _MM_SHUFFLE(3, 1, 2, 0));
      return _mm512_sub_epi8(z, _mm512_set1_epi8(8));
    }
  }
  // One block in the low 256 bits, zeros above.
  static __m512i load1(const Block* blk) {
    if constexpr (kType == GgmlType::kQ8_0) {
      return _mm512_zextsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk[0].qs)));
    } else {
      const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk[0].qs));
      const __m128i m4 = _mm_set1_epi8(0x0F);
      const __m256i v = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_and_si128(q, m4)),
                                                _mm_and_si128(_mm_srli_epi16(q, 4), m4), 1);
      return _mm512_zextsi256_si512(_mm256_sub_epi8(v, _mm256_set1_epi8(8)));
    }
  }

  static constexpr int kR = 2, kT = 4;
  template <int NR, int NT>
  [[gnu::always_inline]] static void tile(const WeightView& w, const PreparedAct& a, int64_t r0,
                                          int64_t t0, float* y, int64_t ldy) {
    const Block* wb[NR];
    const uint8_t* xq[NT];
    const float* xd[NT];
    TEAMVL_UNROLL
    for (int r = 0; r < NR; ++r) wb[r] = reinterpret_cast<const Block*>(block_row<sizeof(Block), kQK>(w, r0 + r));
    TEAMVL_UNROLL
    for (int t = 0; t < NT; ++t) {
      xq[t] = reinterpret_cast<const uint8_t*>(a.qs_row(t0 + t));
      xd[t] = a.d_row(t0 + t);
    }
    __m512 acc[NR][NT];
    zero_tile(acc);
    const __m512i bias = _mm512_set1_epi8(static_cast<char>(0x80));
    const int64_t nb = a.cols / kQK;
    const int64_t ahead = NR * nb;  // blocks: the same blocks, next tile
    int64_t b = 0;
    for (; b + 2 <= nb; b += 2) {
      TEAMVL_UNROLL
      for (int r = 0; r < NR; ++r) prefetch_block<2 * sizeof(Block)>(wb[r] + ahead + b);
      __m512i wv[NR], corr[NR];
      __m512 wd[NR];
      TEAMVL_UNROLL
      for (int r = 0; r < NR; ++r) {
        wv[r] = load2(wb[r] + b);
        // vpdpbusd sees x + 128; start from -128 * sum(w) to cancel the bias.
        corr[r] = _mm512_sub_epi32(_mm512_setzero_si512(),
                                   _mm512_dpbusd_epi32(_mm512_setzero_si512(), bias, wv[r]));
        wd[r] = spread2_f16(wb[r][b].d, wb[r][b + 1].d);
      }
      TEAMVL_UNROLL
      for (int t = 0; t < NT; ++t) {
        const __m512i xv = _mm512_loadu_si512(xq[t] + b * kQK);
        const __m512 xs = spread2(_mm_castpd_ps(_mm_load_sd(reinterpret_cast<const double*>(xd[t] + b))));
        TEAMVL_UNROLL
        for (int r = 0; r < NR; ++r) {
          const __m512i s = _mm512_dpbusd_epi32(corr[r], xv, wv[r]);
          acc[r][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(wd[r], xs), acc[r][t]);
        }
      }
    }
    if (b < nb) {
      __m512i wv[NR], corr[NR];
      float wd[NR];
      TEAMVL_UNROLL
      for (int r = 0; r < NR; ++r) {
        wv[r] = load1(wb[r] + b);
        corr[r] = _mm512_sub_epi32(_mm512_setzero_si512(),
                                   _mm512_dpbusd_epi32(_mm512_setzero_si512(), bias, wv[r]));
        wd[r] = _cvtsh_ss(wb[r][b].d);
      }
      TEAMVL_UNROLL
      for (int t = 0; t < NT; ++t) {
        const __m512i xv = _mm512_zextsi256_si512(
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq[t] + b * kQK)));
        TEAMVL_UNROLL
        for (int r = 0; r < NR; ++r) {
          const __m512i s = _mm512_dpbusd_epi32(corr[r], xv, wv[r]);
          acc[r][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_set1_ps(wd[r] * xd[t][b]), acc[r][t]);
        }
      }
    }
    store_tile(acc, r0, t0, y, ldy);
  }
};

// ---- K-quants x Q8_K activations ----------------------------------------------

inline __m512i idx8x2(int a, int b) {
  return _mm512_set_epi32(b, b, b, b, b, b, b, b, a, a, a, a, a, a, a, a);
}
inline __m512i idx4x4(int s) {
  return _mm512_set_epi32(s + 3, s + 3, s + 3, s + 3, s + 2, s + 2, s + 2, s + 2, s + 1, s + 1,
                          s + 1, s + 1, s, s, s, s);
}

// Headers of two Q4_K/Q5_K blocks, one per 128-bit lane (dwords [d|dmin, u0,
// u1, u2]) -> per lane the 6-bit values as bytes [sc 0-7, m 0-7]:
//   sc 0-3 = u0 & 0x3f..., sc 4-7 = (u2 & 0x0f...) | ((u0 >> 6) & 0x03...) << 4
//   m 0-3  = u1 & 0x3f..., m 4-7  = ((u2 >> 4) & 0x0f...) | ((u1 >> 6) & 0x03...) << 4
inline __m256i k4_scale_bytes(__m256i h) {
  const __m256i a = _mm256_srlv_epi32(_mm256_shuffle_epi32(h, _MM_SHUFFLE(3, 2, 3, 1)),
                                      _mm256_set_epi32(4, 0, 0, 0, 4, 0, 0, 0));
  const __m256i lo = _mm256_and_si256(a, _mm256_set_epi32(0x0f0f0f0f, 0x3f3f3f3f, 0x0f0f0f0f, 0x3f3f3f3f,
                                                          0x0f0f0f0f, 0x3f3f3f3f, 0x0f0f0f0f, 0x3f3f3f3f));
  const __m256i b = _mm256_srli_epi32(_mm256_shuffle_epi32(h, _MM_SHUFFLE(2, 2, 1, 1)), 6);
  const __m256i hi = _mm256_slli_epi32(
      _mm256_and_si256(b, _mm256_set_epi32(0x03030303, 0, 0x03030303, 0, 0x03030303, 0, 0x03030303, 0)), 4);
  return _mm256_or_si256(lo, hi);
}

// Word indices for vpermw: words 0-15 take word a + off, words 16-31 word b + off.
inline __m512i widx16x2(int a, int b, int off) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi16(static_cast<int16_t>(a + off))),
                            _mm256_set1_epi16(static_cast<int16_t>(b + off)), 1);
}

// Q4_K (kFive = false) and Q5_K (kFive = true). Activations are interleaved so
// that quarter q of the 64-byte weight loads matches x bytes [64q, 64q + 64),
// whose two halves belong to groups (0,2), (1,3), (4,6), (5,7) for q = 0..3.
// Per block, in integers: vpmaddubsw (q * x pairs, int16) then vpdpwssd with
// the 6-bit group scales gives sum_j sc[j] * (q . x)_j exactly; one multiply by
// d * dx makes it a float. The mins part, dmin * dx * sum_j m[j] * (sum of x
// over group j), is done in floats. The header decoding is shared by the two
// rows of a tile (one 256-bit pass for both).
template <bool kFive>
struct QkAsymKernel {
  static constexpr int kR = 2, kT = 4;
  static constexpr size_t kBytes = kFive ? sizeof(BlockQ5_K) : sizeof(BlockQ4_K);
  static constexpr int kQsOffset = kFive ? 48 : 16;

  template <int NR, int NT>
  [[gnu::always_inline]] static void tile(const WeightView& w, const PreparedAct& a, int64_t r0,
                                          int64_t t0, float* y, int64_t ldy) {
    static_assert(NR <= 2, "the header decoding handles two rows");
    const uint8_t* wr[NR];
    const int8_t* xq[NT];
    const float* xd[NT];
    const float* xs[NT];
    TEAMVL_UNROLL
    for (int r = 0; r < NR; ++r) wr[r] = block_row<kBytes, kQKK>(w, r0 + r);
    TEAMVL_UNROLL
    for (int t = 0; t < NT; ++t) {
      xq[t] = a.qs_row(t0 + t);
      xd[t] = a.d_row(t0 + t);
      xs[t] = a.aux_row(t0 + t);
    }
    const __m512i m4 = _mm512_set1_epi8(0x0F);
    // Scale words for quarter q of row r (row r's 16 words start at 16 r).
    __m512i widx[NR][4];
    TEAMVL_UNROLL
    for (int r = 0; r < NR; ++r) {
      widx[r][0] = widx16x2(0, 2, 16 * r);
      widx[r][1] = widx16x2(1, 3, 16 * r);
      widx[r][2] = widx16x2(4, 6, 16 * r);
      widx[r][3] = widx16x2(5, 7, 16 * r);
    }
    // Bits of qh that give the fifth bit of quarter q: low half / high half bytes.
    const __m512i hbit[4] = {
        _mm512_inserti64x4(_mm512_set1_epi8(0x01), _mm256_set1_epi8(0x04), 1),
        _mm512_inserti64x4(_mm512_set1_epi8(0x02), _mm256_set1_epi8(0x08), 1),
        _mm512_inserti64x4(_mm512_set1_epi8(0x10), _mm256_set1_epi8(0x40), 1),
        _mm512_inserti64x4(_mm512_set1_epi8(0x20), _mm256_set1_epi8(static_cast<char>(0x80)), 1)};
    // dmin of row 0 in lanes 0-7, of row 1 in lanes 8-15 (from [d0, dmin0, d1, dmin1]).
    const __m512i dmin_idx = _mm512_set_epi32(3, 3, 3, 3, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1);
    constexpr __mmask16 kRowLanes[2] = {0x00FF, 0xFF00};
    __m512 acc[NR][NT];
    zero_tile(acc);
    const int64_t nb = a.cols / kQKK;
    const size_t ahead = NR * static_cast<size_t>(nb) * kBytes;  // the same block, next tile
    for (int64_t b = 0; b < nb; ++b) {
      TEAMVL_UNROLL
      for (int r = 0; r < NR; ++r) prefetch_block<kBytes>(wr[r] + ahead + b * kBytes);
      // Both rows' headers: scale words, d, and dmin * m as floats.
      const __m128i h0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(wr[0] + b * kBytes));
      const __m256i h = NR == 2 ? _mm256_inserti128_si256(_mm256_castsi128_si256(h0),
                                                          _mm_loadu_si128(reinterpret_cast<const __m128i*>(
                                                              wr[NR - 1] + b * kBytes)),
                                                          1)
                                : _mm256_zextsi128_si256(h0);
      const __m256i sb = k4_scale_bytes(h);
      const __m512i words = _mm512_cvtepu8_epi16(sb);
      const __m128 dd = _mm_cvtph_ps(_mm256_castsi256_si128(
          _mm256_permutevar8x32_epi32(h, _mm256_set_epi32(0, 0, 0, 0, 0, 0, 4, 0))));  // d0 dmin0 d1 dmin1
      __m512 dv[NR];
      dv[0] = _mm512_broadcastss_ps(dd);
      if constexpr (NR == 2) dv[NR - 1] = _mm512_broadcastss_ps(_mm_movehl_ps(dd, dd));
      const __m512 mdm = _mm512_mul_ps(
          _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm256_castsi256_si128(_mm256_permute4x64_epi64(sb, 0xDD)))),
          _mm512_permutexvar_ps(dmin_idx, _mm512_castps128_ps512(dd)));
      __m512i qa[NR], qb[NR], qh[NR];
      TEAMVL_UNROLL
      for (int r = 0; r < NR; ++r) {
        const uint8_t* blk = wr[r] + b * kBytes;
        qa[r] = _mm512_loadu_si512(blk + kQsOffset);
        qb[r] = _mm512_loadu_si512(blk + kQsOffset + 64);
        if constexpr (kFive) {
          qh[r] = _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 16)));
        }
      }
      __m512i isum[NR][NT];
      TEAMVL_UNROLL
      for (int q = 0; q < 4; ++q) {
        __m512i wq[NR], sc[NR];
        TEAMVL_UNROLL
        for (int r = 0; r < NR; ++r) {
          const __m512i src = q < 2 ? qa[r] : qb[r];
          wq[r] = (q & 1) ? _mm512_and_si512(_mm512_srli_epi16(src, 4), m4) : _mm512_and_si512(src, m4);
          if constexpr (kFive) {
            const __mmask64 k = _mm512_test_epi8_mask(qh[r], hbit[q]);
            wq[r] = _mm512_mask_add_epi8(wq[r], k, wq[r], _mm512_set1_epi8(16));
          }
          sc[r] = _mm512_permutexvar_epi16(widx[r][q], words);
        }
        TEAMVL_UNROLL
        for (int t = 0; t < NT; ++t) {
          const __m512i xv = _mm512_loadu_si512(xq[t] + b * kQKK + 64 * q);
          TEAMVL_UNROLL
          for (int r = 0; r < NR; ++r) {
            const __m512i p = _mm512_maddubs_epi16(wq[r], xv);  // |p| <= 2 * 31 * 127
            isum[r][t] = q == 0 ? _mm512_madd_epi16(p, sc[r]) : _mm512_dpwssd_epi32(isum[r][t], p, sc[r]);
          }
        }
      }
      TEAMVL_UNROLL
      for (int t = 0; t < NT; ++t) {
        const __m512 dx = _mm512_set1_ps(xd[t][b]);
        // Sums of the 8 groups of 32 activations (both halves), times dx.
        const __m512 gsx = _mm512_mul_ps(_mm512_broadcast_f32x8(_mm256_loadu_ps(xs[t] + b * 8)), dx);
        TEAMVL_UNROLL
        for (int r = 0; r < NR; ++r) {
          acc[r][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[r][t]), _mm512_mul_ps(dv[r], dx), acc[r][t]);
          acc[r][t] = _mm512_mask3_fnmadd_ps(mdm, gsx, acc[r][t], kRowLanes[r]);
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
    const int8_t* xq[NT];
    const float* xd[NT];
    const float* xs[NT];
    TEAMVL_UNROLL
    for (int r = 0; r < NR; ++r) {
      wb[r] = reinterpret_cast<const BlockQ6_K*>(block_row<sizeof(BlockQ6_K), kQKK>(w, r0 + r));
    }
    TEAMVL_UNROLL
    for (int t = 0; t < NT; ++t) {
      xq[t] = a.qs_row(t0 + t);
      xd[t] = a.d_row(t0 + t);
      xs[t] = a.aux_row(t0 + t);
    }
    const __m512i m4 = _mm512_set1_epi8(0x0F);
    const __m512i m30 = _mm512_set1_epi8(0x30);
    // Per 16-bit word: shifts that bring the 2 high bits of quarter 0 / 1 of a
    // 128-element chunk to bits 4-5 (low 32 bytes / high 32 bytes differ).
    const __m512i shl0 = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(2), 1);
    const __m512i shr1 = _mm512_inserti64x4(_mm512_set1_epi16(0), _mm256_set1_epi16(2), 1);
    const __m512i idx[4] = {idx4x4(0), idx4x4(4), idx4x4(8), idx4x4(12)};
    __m512 acc[NR][NT];
    zero_tile(acc);
    const int64_t nb = a.cols / kQKK;
    const int64_t ahead = NR * nb;  // blocks: the same block, next tile
    for (int64_t b = 0; b < nb; ++b) {
      TEAMVL_UNROLL
      for (int r = 0; r < NR; ++r) prefetch_block<sizeof(BlockQ6_K)>(wb[r] + ahead + b);
      __m512 sc[NR];
      TEAMVL_UNROLL
      for (int r = 0; r < NR; ++r) {
        const BlockQ6_K& k = wb[r][b];
        const __m512 s = _mm512_cvtepi32_ps(
            _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(k.scales))));
        sc[r] = _mm512_mul_ps(s, _mm512_set1_ps(_cvtsh_ss(k.d)));
      }
      __m512 tmp[NR][NT];
      zero_tile(tmp);
      TEAMVL_UNROLL
      for (int c = 0; c < 2; ++c) {
        __m512i q0[NR], q1[NR];
        TEAMVL_UNROLL
        for (int r = 0; r < NR; ++r) {
          const BlockQ6_K& k = wb[r][b];
          const __m512i l = _mm512_loadu_si512(k.ql + 64 * c);
          const __m512i h = _mm512_broadcast_i64x4(
              _mm256_loadu_si256(reinterpret_cast<const __m256i*>(k.qh + 32 * c)));
          q0[r] = _mm512_or_si512(_mm512_and_si512(l, m4),
                                  _mm512_and_si512(_mm512_sllv_epi16(h, shl0), m30));
          q1[r] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l, 4), m4),
                                  _mm512_and_si512(_mm512_srlv_epi16(h, shr1), m30));
        }
        TEAMVL_UNROLL
        for (int half = 0; half < 2; ++half) {
          const int q = 2 * c + half;
          __m512 sl[NR];
          TEAMVL_UNROLL
          for (int r = 0; r < NR; ++r) sl[r] = _mm512_permutexvar_ps(idx[q], sc[r]);
          TEAMVL_UNROLL
          for (int t = 0; t < NT; ++t) {
            const __m512i xv = _mm512_loadu_si512(xq[t] + b * kQKK + 64 * q);
            TEAMVL_UNROLL
            for (int r = 0; r < NR; ++r) {
              const __m512i s = _mm512_dpbusd_epi32(_mm512_setzero_si512(), half ? q1[r] : q0[r], xv);
              tmp[r][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), sl[r], tmp[r][t]);
            }
          }
        }
      }
      TEAMVL_UNROLL
      for (int t = 0; t < NT; ++t) {
        const __m512 sums = _mm512_loadu_ps(xs[t] + b * 16);  // 32 * sum of each 16 group
        const __m512 dx = _mm512_set1_ps(xd[t][b]);
        TEAMVL_UNROLL
        for (int r = 0; r < NR; ++r) {
          acc[r][t] = _mm512_fmadd_ps(_mm512_fnmadd_ps(sc[r], sums, tmp[r][t]), dx, acc[r][t]);
        }
      }
    }
    store_tile(acc, r0, t0, y, ldy);
  }
};

}  // namespace

ActLayout avx512_layout() { return ActLayout{true, true, SimdLevel::kAvx512}; }

MatmulKernel avx512_kernel(GgmlType t) {
  switch (t) {
    case GgmlType::kF32: return TileDriver<FloatKernel<false>>::run;
    case GgmlType::kF16: return TileDriver<FloatKernel<true>>::run;
    case GgmlType::kBF16:
      return cpu_features().avx512bf16 ? TileDriver<Bf16DotKernel>::run : TileDriver<Bf16FmaKernel>::run;
    case GgmlType::kQ8_0: return TileDriver<Q8Family<GgmlType::kQ8_0>>::run;
    case GgmlType::kQ4_0: return TileDriver<Q8Family<GgmlType::kQ4_0>>::run;
    case GgmlType::kQ4_K: return TileDriver<QkAsymKernel<false>>::run;
    case GgmlType::kQ5_K: return TileDriver<QkAsymKernel<true>>::run;
    case GgmlType::kQ6_K: return TileDriver<Q6KKernel>::run;
    default: return nullptr;
  }
}

}  // namespace teamvl::engine::matmul_internal
