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

template <class K>
struct TileDriver {
  template <int... I>
  static constexpr std::array<TileFn, sizeof...(I)> table(std::integer_sequence<int, I...>) {
    return {&K::template tile<I / K::kT + 1, I % K::kT + 1>...};
  }
  static void run(const WeightView& w, const PreparedAct& a, int64_t r0, int64_t r1, int64_t t0,
                  int64_t t1, float* y, int64_t ldy) {
    static constexpr auto kTable = table(std::make_integer_sequence<int, K::kR * K::kT>());
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
