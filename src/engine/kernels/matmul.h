// Matrix products of GGUF weights (kept in their stored type) with f32
// activations: the operation that dominates every forward pass.
// Thread safety: all functions are reentrant; `pool` serializes its own jobs.
#pragma once

#include <cstdint>
#include <span>

#include "base/status.h"
#include "engine/kernels/cpu_features.h"
#include "engine/kernels/thread_pool.h"
#include "engine/tensor/ggml_type.h"

namespace teamvl::engine {

// A GGUF tensor with ne = {cols, rows}: `rows` output features, each a row of
// `cols` elements of `type`, rows stored one after another. Not owned.
struct WeightView {
  GgmlType type = GgmlType::kF32;
  int64_t cols = 0;
  int64_t rows = 0;
  const void* data = nullptr;
};

// Checks a weight before it is used: supported type, cols a multiple of the
// block size, non-negative shape, data present. Model loaders call this once;
// matmul assumes it passed.
Status validate_weight(const WeightView& w);

// y[t][r] = sum_c w[r][c] * x[t][c] for t < n_tokens, r < rows.
// x: n_tokens x cols f32 row-major; y: n_tokens x rows f32 row-major.
// Activations are converted as llama.cpp's CPU backend does (so logits match
// it): F16/BF16 weights -> activations rounded to F16/BF16; Q8_0/Q4_0 ->
// activations quantized to Q8_0 blocks of 32; K-quants -> Q8_K blocks of 256;
// F32 -> plain f32. Uses the SIMD level simd_level() picks. A weight that fails
// validate_weight() yields NaN outputs (never a crash).
void matmul(const WeightView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool);
// Same with an explicit kernel level (tests and benchmarks); a level the CPU
// lacks falls back to the best one it has.
void matmul(const WeightView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool,
            SimdLevel level);
// As matmul with y rows `ldy` floats apart (ldy >= w.rows): writes into a
// column slice of a wider output, e.g. fused Q|K|V results.
void matmul_strided(const WeightView& w, const float* x, int64_t n_tokens, float* y, int64_t ldy,
                    ThreadPool& pool, SimdLevel level);

// One product of a batch that shares its input: y (n_tokens x ldy, ldy = 0
// meaning w.rows) = x * w^T.
struct MatmulJob {
  WeightView w;
  float* y = nullptr;
  int64_t ldy = 0;
};
// Runs several products with the same input x (Q/K/V, or FFN gate/up) as one
// pool job: x is converted once per weight type and the threads share all the
// rows. Every weight must have the same cols; results equal separate matmul()s.
void matmul_shared(std::span<const MatmulJob> jobs, const float* x, int64_t n_tokens,
                   ThreadPool& pool);
void matmul_shared(std::span<const MatmulJob> jobs, const float* x, int64_t n_tokens,
                   ThreadPool& pool, SimdLevel level);

// Scalar, single-threaded, double accumulation, the same activation conversion:
// what every SIMD path is tested against.
void matmul_reference(const WeightView& w, const float* x, int64_t n_tokens, float* y);

}  // namespace teamvl::engine
