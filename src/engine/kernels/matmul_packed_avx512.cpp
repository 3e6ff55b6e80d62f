// AVX-512 VNNI prefill kernels for quantized weights (many tokens at once).
// Each task repacks its rows, 16 at a time ("strips"), into groups of G = 32
// (16 for Q6_K) columns: unsigned quants interleaved 4 bytes per row so that
// one 64-byte load feeds vpdpbusd for 16 rows, followed by the 16 rows' f32
// scale a and offset c. Output lanes are rows, so the integer sum of a whole
// group stays in one lane and the scale is applied once per group:
//   w = a * (q - o)  (Q8_0: o = 128, Q4_0: 8, Q6_K: 32; -o * sum(x) comes
//                     with the activations, PreparedAct::offs)
//   w = a * q + c    (Q4_K / Q5_K: a = d*sc, c = -dmin*m)
// The packing costs about one pass over the weights per task; it pays off when
// a task covers tens of tokens, so these run only for long inputs.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"  // GCC 12 intrinsic headers, see matmul_avx512.cpp
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "engine/kernels/matmul_internal.h"
#include "engine/kernels/tile_driver.h"

namespace teamvl::engine::matmul_internal {
namespace {

constexpr int kStrip = 16;   // rows per strip (zmm lanes)
constexpr int kMaxNt = 8;    // tokens per micro-tile

enum class Mode { kSym32, kAsym32, kSym16 };

constexpr int group_size(Mode m) { return m == Mode::kSym16 ? 16 : 32; }
constexpr size_t group_bytes(Mode m) { return static_cast<size_t>(group_size(m)) * kStrip + 128; }

inline float half(fp16_t h) { return _cvtsh_ss(h); }

// ---- row decoders: block b of a row -> natural-order unsigned q, and a / c
// per group of the block (written at a[g * stride], c[g * stride]).

struct DecodeQ8_0 {
  static constexpr Mode kMode = Mode::kSym32;
  static constexpr int kBlock = kQK;
  static void decode(const uint8_t* row, int64_t b, uint8_t* q, float* a, float* c, int stride) {
    const BlockQ8_0& blk = reinterpret_cast<const BlockQ8_0*>(row)[b];
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.qs));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q), _mm256_xor_si256(v, _mm256_set1_epi8(static_cast<char>(0x80))));
    a[0] = half(blk.d);
    c[0] = 0.0f;
    (void)stride;
  }
};

struct DecodeQ4_0 {
  static constexpr Mode kMode = Mode::kSym32;
  static constexpr int kBlock = kQK;
  static void decode(const uint8_t* row, int64_t b, uint8_t* q, float* a, float* c, int stride) {
    const BlockQ4_0& blk = reinterpret_cast<const BlockQ4_0*>(row)[b];
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk.qs));
    const __m128i m4 = _mm_set1_epi8(0x0F);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q), _mm_and_si128(v, m4));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + 16), _mm_and_si128(_mm_srli_epi16(v, 4), m4));
    a[0] = half(blk.d);
    c[0] = 0.0f;
    (void)stride;
  }
};

template <bool kFive>
struct DecodeQkAsym {
  static constexpr Mode kMode = Mode::kAsym32;
  static constexpr int kBlock = kQKK;
  static void decode(const uint8_t* row, int64_t b, uint8_t* q, float* a, float* c, int stride) {
    const uint8_t* blk = row + b * (kFive ? sizeof(BlockQ5_K) : sizeof(BlockQ4_K));
    fp16_t h[2];
    std::memcpy(h, blk, 4);
    const float d = half(h[0]), dmin = half(h[1]);
    for (int j = 0; j < 8; ++j) {
      uint8_t sc, m;
      get_scale_min_k4(j, blk + 4, &sc, &m);
      a[j * stride] = d * sc;
      c[j * stride] = -dmin * m;
    }
    const uint8_t* qs = blk + (kFive ? 48 : 16);
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    const __m256i qh = kFive ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 16)) : __m256i{};
    for (int cc = 0; cc < 4; ++cc) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qs + 32 * cc));
      __m256i lo = _mm256_and_si256(v, m4), hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), m4);
      if constexpr (kFive) {
        const __m256i one = _mm256_set1_epi8(1);
        lo = _mm256_or_si256(lo, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * cc), one), 4));
        hi = _mm256_or_si256(hi, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * cc + 1), one), 4));
      }
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + 64 * cc), lo);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + 64 * cc + 32), hi);
    }
  }
};

struct DecodeQ6K {
  static constexpr Mode kMode = Mode::kSym16;
  static constexpr int kBlock = kQKK;
  static void decode(const uint8_t* row, int64_t b, uint8_t* q, float* a, float* c, int stride) {
    const BlockQ6_K& k = reinterpret_cast<const BlockQ6_K*>(row)[b];
    const float d = half(k.d);
    for (int j = 0; j < 16; ++j) {
      a[j * stride] = d * k.scales[j];
      c[j * stride] = 0.0f;
    }
    const __m256i m4 = _mm256_set1_epi8(0x0F), m30 = _mm256_set1_epi8(0x30);
    for (int cc = 0; cc < 2; ++cc) {
      const __m256i l0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(k.ql + 64 * cc));
      const __m256i l1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(k.ql + 64 * cc + 32));
      const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(k.qh + 32 * cc));
      uint8_t* o = q + 128 * cc;
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(o),
                          _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_and_si256(_mm256_slli_epi16(h, 4), m30)));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + 32),
                          _mm256_or_si256(_mm256_and_si256(l1, m4), _mm256_and_si256(_mm256_slli_epi16(h, 2), m30)));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + 64),
                          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4), _mm256_and_si256(h, m30)));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + 96),
                          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                                          _mm256_and_si256(_mm256_srli_epi16(h, 2), m30)));
    }
  }
};

// Packs rows [r0, r0 + n) (n <= 16; missing rows are zero) into one strip.
template <class D>
void pack_strip(const WeightView& w, int64_t r0, int n, uint8_t* strip) {
  constexpr Mode kM = D::kMode;
  constexpr int G = group_size(kM), B = D::kBlock, kGroups = B / G;
  constexpr size_t kGb = group_bytes(kM);
  alignas(64) uint8_t q[kStrip * B];
  alignas(64) float a[kGroups * kStrip], c[kGroups * kStrip];
  const __m512i row_idx = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                                             _mm512_set1_epi32(B));
  if (n < kStrip) {
    std::memset(q, 0, sizeof(q));
    std::memset(a, 0, sizeof(a));
    std::memset(c, 0, sizeof(c));
  }
  const uint8_t* rows[kStrip];
  for (int i = 0; i < n; ++i) rows[i] = weight_row(w, r0 + i);
  const int64_t n_blocks = w.cols / B;
  for (int64_t b = 0; b < n_blocks; ++b) {
    for (int i = 0; i < n; ++i) D::decode(rows[i], b, q + i * B, a + i, c + i, kStrip);
    for (int g = 0; g < kGroups; ++g) {
      uint8_t* dst = strip + (b * kGroups + g) * kGb;
      for (int j = 0; j < G / 4; ++j) {
        const __m512i v = _mm512_i32gather_epi32(_mm512_add_epi32(row_idx, _mm512_set1_epi32(g * G + 4 * j)), q, 1);
        _mm512_store_si512(dst + 64 * j, v);
      }
      _mm512_store_ps(dst + G * kStrip, _mm512_load_ps(a + g * kStrip));
      _mm512_store_ps(dst + G * kStrip + 64, _mm512_load_ps(c + g * kStrip));
    }
  }
}

// 16 rows of one strip x NT tokens, over all groups.
template <Mode kM, int NT>
void strip_kernel(const uint8_t* strip, int64_t n_groups, const PreparedAct& act, int64_t t0,
                  float* y, int64_t ldy, int64_t r0, int n_rows) {
  constexpr int G = group_size(kM);
  constexpr size_t kGb = group_bytes(kM);
  constexpr int kPerScale = kM == Mode::kSym32 ? 1 : kQKK / G;  // groups per activation scale
  const int8_t* x[NT];
  const float* dx[NT];
  const int32_t* off[NT];
  const float* sums[NT];
  TEAMVL_UNROLL
  for (int t = 0; t < NT; ++t) {
    x[t] = act.qs_row(t0 + t);
    dx[t] = act.d_row(t0 + t);
    off[t] = kM == Mode::kAsym32 ? nullptr : act.offs_row(t0 + t);
    sums[t] = kM == Mode::kAsym32 ? act.aux_row(t0 + t) : nullptr;
  }
  __m512 acc[NT], tmp[NT];
  TEAMVL_UNROLL
  for (int t = 0; t < NT; ++t) acc[t] = tmp[t] = _mm512_setzero_ps();
  for (int64_t g = 0; g < n_groups; ++g) {
    const uint8_t* p = strip + g * kGb;
    __m512i is[NT];
    TEAMVL_UNROLL
    for (int t = 0; t < NT; ++t) {
      is[t] = kM == Mode::kAsym32 ? _mm512_setzero_si512() : _mm512_set1_epi32(off[t][g]);
    }
    TEAMVL_UNROLL
    for (int j = 0; j < G / 4; ++j) {
      const __m512i wv = _mm512_load_si512(p + 64 * j);
      TEAMVL_UNROLL
      for (int t = 0; t < NT; ++t) {
        int32_t xv;
        std::memcpy(&xv, x[t] + g * G + 4 * j, 4);
        is[t] = _mm512_dpbusd_epi32(is[t], wv, _mm512_set1_epi32(xv));
      }
    }
    const __m512 av = _mm512_load_ps(reinterpret_cast<const float*>(p + G * kStrip));
    if constexpr (kM == Mode::kSym32) {
      TEAMVL_UNROLL
      for (int t = 0; t < NT; ++t) {
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(is[t]), _mm512_mul_ps(av, _mm512_set1_ps(dx[t][g])), acc[t]);
      }
    } else {
      const __m512 cv = _mm512_load_ps(reinterpret_cast<const float*>(p + G * kStrip + 64));
      TEAMVL_UNROLL
      for (int t = 0; t < NT; ++t) {
        tmp[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(is[t]), av, tmp[t]);
        if constexpr (kM == Mode::kAsym32) tmp[t] = _mm512_fmadd_ps(cv, _mm512_set1_ps(sums[t][g]), tmp[t]);
      }
      if ((g + 1) % kPerScale == 0) {
        TEAMVL_UNROLL
        for (int t = 0; t < NT; ++t) {
          acc[t] = _mm512_fmadd_ps(tmp[t], _mm512_set1_ps(dx[t][g / kPerScale]), acc[t]);
          tmp[t] = _mm512_setzero_ps();
        }
      }
    }
  }
  const __mmask16 m = static_cast<__mmask16>((1u << n_rows) - 1);
  TEAMVL_UNROLL
  for (int t = 0; t < NT; ++t) _mm512_mask_storeu_ps(y + (t0 + t) * ldy + r0, m, acc[t]);
}

template <Mode kM, int... I>
constexpr auto strip_table(std::integer_sequence<int, I...>) {
  return std::array{&strip_kernel<kM, I + 1>...};
}

template <class D>
void packed_run(const WeightView& w, const PreparedAct& a, int64_t r0, int64_t r1, int64_t t0,
                int64_t t1, float* y, int64_t ldy) {
  constexpr Mode kM = D::kMode;
  static constexpr auto kTable = strip_table<kM>(std::make_integer_sequence<int, kMaxNt>());
  const int64_t n_groups = w.cols / group_size(kM);
  const size_t strip_bytes = static_cast<size_t>(n_groups) * group_bytes(kM);
  const int64_t n_strips = (r1 - r0 + kStrip - 1) / kStrip;
  thread_local ActScratch panel_buf;
  uint8_t* panel = panel_buf.bytes(static_cast<size_t>(n_strips) * strip_bytes);
  for (int64_t s = 0; s < n_strips; ++s) {
    const int n = static_cast<int>(std::min<int64_t>(kStrip, r1 - r0 - s * kStrip));
    pack_strip<D>(w, r0 + s * kStrip, n, panel + s * strip_bytes);
  }
  for (int64_t t = t0; t < t1; t += kMaxNt) {
    const int nt = static_cast<int>(std::min<int64_t>(kMaxNt, t1 - t));
    for (int64_t s = 0; s < n_strips; ++s) {
      const int n = static_cast<int>(std::min<int64_t>(kStrip, r1 - r0 - s * kStrip));
      kTable[nt - 1](panel + s * strip_bytes, n_groups, a, t, y, ldy, r0 + s * kStrip, n);
    }
  }
}

}  // namespace

ActLayout avx512_packed_layout() { return ActLayout{false, false, SimdLevel::kAvx512, true}; }

MatmulKernel avx512_packed_kernel(GgmlType t) {
  switch (t) {
    case GgmlType::kQ8_0: return packed_run<DecodeQ8_0>;
    case GgmlType::kQ4_0: return packed_run<DecodeQ4_0>;
    case GgmlType::kQ4_K: return packed_run<DecodeQkAsym<false>>;
    case GgmlType::kQ5_K: return packed_run<DecodeQkAsym<true>>;
    case GgmlType::kQ6_K: return packed_run<DecodeQ6K>;
    default: return nullptr;
  }
}

}  // namespace teamvl::engine::matmul_internal
