// The vision encoder's matrix product: many tokens (thousands of patches)
// times one weight, so it is arithmetic-bound and worth a packed, tiled GEMM.
// Weights are repacked once at load into panels of 32 rows; activations are
// packed per call into panels of 14 rows; a register-tiled kernel computes
// 14 x 32 output tiles. Activations are rounded the way llama.cpp's CPU
// backend rounds them for the weight's type (F16 -> fp16, BF16 -> bf16, F32
// untouched), so results match it up to summation order.
// Used by vision/ only (linear layers and attention). All functions are
// reentrant; `pool` serializes its own jobs.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "base/status.h"
#include "engine/kernels/cpu_features.h"
#include "engine/kernels/matmul.h"
#include "engine/kernels/thread_pool.h"
#include "engine/tensor/ggml_type.h"

namespace teamvl::engine {

constexpr int kGemmCols = 32;  // weight rows (output columns) per B panel
constexpr int kGemmRows = 14;  // activation rows (tokens) per A panel

// Which rounding the activations get before the product.
enum class GemmRound { kNone, kF16, kBf16 };

// A weight {cols = K inputs, rows = N outputs} repacked into panels of 32
// rows: element (r, k) sits at ((r / 32) * K + k) * 32 + r % 32 (in `type`);
// the last panel is padded with zero rows. Immutable after packing.
struct PanelWeight {
  GgmlType type = GgmlType::kF32;  // F32, F16 or BF16
  int64_t cols = 0;                // K
  int64_t rows = 0;                // N
  std::shared_ptr<uint8_t[]> data; // 64-byte aligned

  bool empty() const { return !data; }
  int64_t n_panels() const { return (rows + kGemmCols - 1) / kGemmCols; }
  int64_t bytes() const;
};

// Whether the packed GEMM has a kernel for `level` (AVX-512 only for now;
// other levels use kernels/matmul.h).
bool vision_gemm_supported(SimdLevel level);

// Repacks an F32/F16/BF16 weight. InvalidArgument for other types.
Result<PanelWeight> pack_weight_panels(const WeightView& w);

// y[t * ldy + r] = bias[r] + sum_k round(x[t * ldx + k]) * w[r][k] for t < m,
// r < w.rows (bias may be nullptr). Columns of y at or past w.rows are not
// touched. `a_scratch` (caller-owned, grown as needed) holds the packed
// activations. Any level works; levels without a kernel run the scalar one.
void vision_gemm(const PanelWeight& w, const float* x, int64_t ldx, int64_t m, float* y, int64_t ldy,
                 const float* bias, std::vector<float>& a_scratch, ThreadPool& pool, SimdLevel level);

// ---- building blocks (attention uses them directly, single-threaded) ----

// The register-tiled kernel: c[i * ldc + j] = (accumulate ? c[i * ldc + j] : 0)
//   + sum_{k < kc} a[k * 14 + i] * b[k * 32 + j]   for i < mr (<= 14), j < nr (<= 32).
using GemmTileFn = void (*)(const float* a, const float* b, int64_t kc, float* c, int64_t ldc, int mr, int nr,
                            bool accumulate);
GemmTileFn gemm_tile_kernel(SimdLevel level);

// Packs rows [0, m) x cols [0, k) of x (row stride ldx) into A panels:
// dst[(p * k + kk) * 14 + i] = round(x[(14 p + i) * ldx + kk]); rows past m are 0.
// dst must hold ceil(m / 14) * 14 * k floats.
void gemm_pack_a(const float* x, int64_t ldx, int64_t m, int64_t k, GemmRound round, float* dst);

// The same from a transposed source: element (i, kk) is x[kk * ldx + i]
// (attention's V^T: rows are head dims, columns are keys). No rounding.
void gemm_pack_a_transposed(const float* x, int64_t ldx, int64_t m, int64_t k, float* dst);

// Packs f32 rows [0, n) x cols [0, k) of x (row stride ldx) as B panels (the
// layout of PanelWeight with type F32). dst holds ceil(n / 32) * 32 * k floats.
void gemm_pack_b(const float* x, int64_t ldx, int64_t n, int64_t k, float* dst);
// The same from a transposed source: element (r, kk) is x[kk * ldx + r].
void gemm_pack_b_transposed(const float* x, int64_t ldx, int64_t n, int64_t k, float* dst);

// c (m x n, row stride ldc) = A panels (m x K) * B panels (n x K)^T, single-threaded.
void gemm_packed_serial(const float* a_panels, int64_t m, const float* b_panels, int64_t n, int64_t K, float* c,
                        int64_t ldc, GemmTileFn tile);

}  // namespace teamvl::engine
