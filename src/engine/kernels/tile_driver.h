// Internal to the *_avx2.cpp / *_avx512.cpp kernel files: walks a block of
// rows x tokens in tiles of Kernel::kR x Kernel::kT, choosing the tile
// instantiation that fits at the edges. Everything here is a template over a
// kernel type local to one translation unit, so each ISA file gets its own
// copy compiled with its own flags (no ODR sharing across ISAs).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

#include "engine/kernels/matmul_internal.h"

namespace teamvl::engine::matmul_internal {

using TileFn = void (*)(const WeightView&, const PreparedAct&, int64_t r0, int64_t t0, float* y,
                        int64_t ldy);
using StripFn = void (*)(const WeightView&, const PreparedAct&, int64_t r0, int64_t r1, int64_t t0, float* y,
                         int64_t ldy);

template <class K>
struct TileDriver {
  template <int... I>
  static constexpr std::array<TileFn, sizeof...(I)> table(std::integer_sequence<int, I...>) {
    return {&K::template tile<I / K::kT + 1, I % K::kT + 1>...};
  }
  // Full kR-row tiles over [r0, r1) for NT tokens in one function, so the
  // tile body is inlined into the loop and its constants are loaded once
  // (decode: one tile is only a few hundred instructions).
  template <int NT>
  static void strip(const WeightView& w, const PreparedAct& a, int64_t r0, int64_t r1, int64_t t0, float* y,
                    int64_t ldy) {
    for (int64_t r = r0; r < r1; r += K::kR) K::template tile<K::kR, NT>(w, a, r, t0, y, ldy);
  }
  template <int... I>
  static constexpr std::array<StripFn, sizeof...(I)> strips(std::integer_sequence<int, I...>) {
    return {&strip<I + 1>...};
  }
  static void run(const WeightView& w, const PreparedAct& a, int64_t r0, int64_t r1, int64_t t0,
                  int64_t t1, float* y, int64_t ldy) {
    static constexpr auto kTable = table(std::make_integer_sequence<int, K::kR * K::kT>());
    if (t1 - t0 <= K::kT) {
      // One token chunk (decode): a strip of full tiles, then the leftover rows.
      static constexpr auto kStrips = strips(std::make_integer_sequence<int, K::kT>());
      const int nt = static_cast<int>(t1 - t0);
      const int64_t full = r0 + (r1 - r0) / K::kR * K::kR;
      if (full > r0) kStrips[nt - 1](w, a, r0, full, t0, y, ldy);
      if (full < r1) kTable[(r1 - full - 1) * K::kT + (nt - 1)](w, a, full, t0, y, ldy);
      return;
    }
    for (int64_t r = r0; r < r1; r += K::kR) {
      const int nr = static_cast<int>(std::min<int64_t>(K::kR, r1 - r));
      for (int64_t t = t0; t < t1; t += K::kT) {
        const int nt = static_cast<int>(std::min<int64_t>(K::kT, t1 - t));
        kTable[(nr - 1) * K::kT + (nt - 1)](w, a, r, t, y, ldy);
      }
    }
  }
};

}  // namespace teamvl::engine::matmul_internal

// Tile loops must be unrolled so accumulators stay in registers (GCC -O2
// does not fully unroll them on its own).
#define TEAMVL_UNROLL _Pragma("GCC unroll 16")
