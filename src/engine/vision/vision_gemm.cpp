// Packed GEMM driver: weight packing, activation packing, the split of the
// output into (weight-row block x token range) tasks over the thread pool,
// and the scalar pieces every ISA falls back to.
#include "engine/vision/vision_gemm.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>
#include <vector>

#include "engine/kernels/matmul_internal.h"
#include "engine/kernels/ops.h"
#include "engine/tensor/quants.h"
#include "engine/vision/vision_gemm_internal.h"

namespace teamvl::engine {

using vision_internal::VisionIsa;

namespace {

constexpr int64_t kBlockK = 256;                   // K slice kept in cache per pass
constexpr int64_t kBlockRows = kGemmRows * 16;     // tokens per output tile kept in L2 (224)
constexpr int64_t kBlockCols = kGemmCols * 8;      // weight rows per task (256)

std::shared_ptr<uint8_t[]> aligned_bytes(size_t n) {
  auto* p = static_cast<uint8_t*>(::operator new[](n, std::align_val_t{64}));
  std::memset(p, 0, n);
  return std::shared_ptr<uint8_t[]>(p, [](uint8_t* q) { ::operator delete[](q, std::align_val_t{64}); });
}

// Grow-only, 64-byte aligned float buffer owned by one thread.
struct FloatScratch {
  std::shared_ptr<uint8_t[]> bytes;
  size_t cap = 0;
  float* get(size_t n) {
    if (n > cap) {
      bytes = aligned_bytes(n * sizeof(float));
      cap = n;
    }
    return reinterpret_cast<float*>(bytes.get());
  }
};

// ---- scalar pieces ----

void tile_scalar(const float* a, const float* b, int64_t kc, float* c, int64_t ldc, int mr, int nr,
                 bool accumulate) {
  float acc[kGemmRows][kGemmCols];
  for (int i = 0; i < mr; ++i) {
    for (int j = 0; j < nr; ++j) acc[i][j] = accumulate ? c[i * ldc + j] : 0.0f;
  }
  for (int64_t k = 0; k < kc; ++k) {
    const float* ak = a + k * kGemmRows;
    const float* bk = b + k * kGemmCols;
    for (int i = 0; i < mr; ++i) {
      for (int j = 0; j < nr; ++j) acc[i][j] += ak[i] * bk[j];
    }
  }
  for (int i = 0; i < mr; ++i) {
    for (int j = 0; j < nr; ++j) c[i * ldc + j] = acc[i][j];
  }
}

void round_bf16_scalar(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = bf16_to_fp32(fp32_to_bf16(x[i]));
}
void widen_f16_scalar(const uint16_t* s, float* d, int64_t n) {
  for (int64_t i = 0; i < n; ++i) d[i] = fp16_to_fp32(s[i]);
}
void widen_bf16_scalar(const uint16_t* s, float* d, int64_t n) {
  for (int64_t i = 0; i < n; ++i) d[i] = bf16_to_fp32(s[i]);
}

void softmax_cols_scalar(float* s, int64_t rows, float scale, float* inv_sum) {
  for (int c = 0; c < kGemmCols; ++c) {
    float mx = -INFINITY;
    for (int64_t r = 0; r < rows; ++r) mx = std::max(mx, s[r * kGemmCols + c] * scale);
    double sum = 0;
    for (int64_t r = 0; r < rows; ++r) {
      float& v = s[r * kGemmCols + c];
      v = std::exp(v * scale - mx);
      sum += v;
    }
    inv_sum[c] = static_cast<float>(1.0 / sum);
  }
}

void gelu_scalar(float* x, int64_t n) {
  const float* table = vision_internal::gelu_f16_table();
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    x[i] = v <= -10.0f ? 0.0f : v >= 10.0f ? v : table[fp32_to_fp16(v)];
  }
}

vision_internal::RoundRowFn round_fn(const VisionIsa& isa, GemmRound r) {
  return r == GemmRound::kF16 ? isa.round_f16 : r == GemmRound::kBf16 ? isa.round_bf16 : nullptr;
}

// A panels with rounding done by the ISA's row converter.
void pack_a_with(const VisionIsa& isa, const float* x, int64_t ldx, int64_t m, int64_t k, GemmRound round,
                 float* dst, int64_t p0, int64_t p1) {
  thread_local FloatScratch tmp_buf;
  const auto fn = round_fn(isa, round);
  float* tmp = fn ? tmp_buf.get(static_cast<size_t>(kGemmRows * k)) : nullptr;
  for (int64_t p = p0; p < p1; ++p) {
    float* out = dst + p * kGemmRows * k;
    const int64_t r0 = p * kGemmRows;
    const int rows = static_cast<int>(std::min<int64_t>(kGemmRows, m - r0));
    const float* src[kGemmRows];
    for (int i = 0; i < rows; ++i) {
      src[i] = x + (r0 + i) * ldx;
      if (fn) {
        fn(src[i], tmp + i * k, k);
        src[i] = tmp + i * k;
      }
    }
    for (int64_t kk = 0; kk < k; ++kk) {
      float* o = out + kk * kGemmRows;
      int i = 0;
      for (; i < rows; ++i) o[i] = src[i][kk];
      for (; i < kGemmRows; ++i) o[i] = 0.0f;
    }
  }
}

// fp16 rounding is the text kernels' activation converter (the same bits).
const VisionIsa kScalarIsa{tile_scalar,       matmul_internal::scalar_converters().round_f16, round_bf16_scalar,
                          widen_f16_scalar,  widen_bf16_scalar, softmax_cols_scalar, gelu_scalar};

GemmRound round_for(GgmlType t) {
  return t == GgmlType::kF16 ? GemmRound::kF16 : t == GgmlType::kBF16 ? GemmRound::kBf16 : GemmRound::kNone;
}

}  // namespace

namespace vision_internal {
const float* gelu_f16_table() {
  static const std::vector<float> table = [] {
    std::vector<float> t(65536);
    for (uint32_t h = 0; h < 65536; ++h) {
      const float x = fp16_to_fp32(static_cast<fp16_t>(h));
      gelu_tanh_f16_table(&x, &t[h], 1);  // NaN/inf inputs map through unchanged rules
    }
    return t;
  }();
  return table.data();
}
const VisionIsa& vision_isa_scalar() { return kScalarIsa; }
const VisionIsa& vision_isa(SimdLevel level) {
  if (level == SimdLevel::kAvx512 && simd_level_supported(level)) {
    if (const VisionIsa* isa = vision_isa_avx512()) return *isa;
  }
  return kScalarIsa;
}
}  // namespace vision_internal

int64_t PanelWeight::bytes() const {
  return n_panels() * kGemmCols * cols * static_cast<int64_t>(type == GgmlType::kF32 ? 4 : 2);
}

bool vision_gemm_supported(SimdLevel level) {
  return level == SimdLevel::kAvx512 && simd_level_supported(level) && vision_internal::vision_isa_avx512() != nullptr;
}

Result<PanelWeight> pack_weight_panels(const WeightView& w) {
  if (w.type != GgmlType::kF32 && w.type != GgmlType::kF16 && w.type != GgmlType::kBF16) {
    return Status::InvalidArgument("pack_weight_panels: expected an F32, F16 or BF16 weight, found " +
                                   type_name(w.type));
  }
  if (w.cols <= 0 || w.rows <= 0 || !w.data) return Status::InvalidArgument("pack_weight_panels: empty weight");
  PanelWeight p;
  p.type = w.type;
  p.cols = w.cols;
  p.rows = w.rows;
  p.data = aligned_bytes(static_cast<size_t>(p.bytes()));
  auto repack = [&](auto* dst, const auto* src) {
    for (int64_t panel = 0; panel < p.n_panels(); ++panel) {
      const int lanes = static_cast<int>(std::min<int64_t>(kGemmCols, w.rows - panel * kGemmCols));
      for (int lane = 0; lane < lanes; ++lane) {
        const auto* row = src + (panel * kGemmCols + lane) * w.cols;
        auto* out = dst + panel * w.cols * kGemmCols + lane;
        for (int64_t k = 0; k < w.cols; ++k) out[k * kGemmCols] = row[k];
      }
    }
  };
  if (w.type == GgmlType::kF32) {
    repack(reinterpret_cast<float*>(p.data.get()), static_cast<const float*>(w.data));
  } else {
    repack(reinterpret_cast<uint16_t*>(p.data.get()), static_cast<const uint16_t*>(w.data));
  }
  return p;
}

GemmTileFn gemm_tile_kernel(SimdLevel level) { return vision_internal::vision_isa(level).tile; }

void gemm_pack_a(const float* x, int64_t ldx, int64_t m, int64_t k, GemmRound round, float* dst) {
  pack_a_with(vision_internal::vision_isa(simd_level()), x, ldx, m, k, round, dst, 0,
              (m + kGemmRows - 1) / kGemmRows);
}

void gemm_pack_a_transposed(const float* x, int64_t ldx, int64_t m, int64_t k, float* dst) {
  const int64_t panels = (m + kGemmRows - 1) / kGemmRows;
  for (int64_t p = 0; p < panels; ++p) {
    float* out = dst + p * kGemmRows * k;
    const int rows = static_cast<int>(std::min<int64_t>(kGemmRows, m - p * kGemmRows));
    for (int64_t kk = 0; kk < k; ++kk) {
      float* o = out + kk * kGemmRows;
      std::memcpy(o, x + kk * ldx + p * kGemmRows, sizeof(float) * rows);
      std::fill(o + rows, o + kGemmRows, 0.0f);
    }
  }
}

void gemm_pack_b(const float* x, int64_t ldx, int64_t n, int64_t k, float* dst) {
  const int64_t panels = (n + kGemmCols - 1) / kGemmCols;
  for (int64_t p = 0; p < panels; ++p) {
    float* out = dst + p * kGemmCols * k;
    const int rows = static_cast<int>(std::min<int64_t>(kGemmCols, n - p * kGemmCols));
    for (int j = 0; j < kGemmCols; ++j) {  // source rows read contiguously
      const float* s = x + (p * kGemmCols + j) * ldx;
      if (j < rows) {
        for (int64_t kk = 0; kk < k; ++kk) out[kk * kGemmCols + j] = s[kk];
      } else {
        for (int64_t kk = 0; kk < k; ++kk) out[kk * kGemmCols + j] = 0.0f;
      }
    }
  }
}

void gemm_pack_b_transposed(const float* x, int64_t ldx, int64_t n, int64_t k, float* dst) {
  const int64_t panels = (n + kGemmCols - 1) / kGemmCols;
  for (int64_t p = 0; p < panels; ++p) {
    float* out = dst + p * kGemmCols * k;
    const int rows = static_cast<int>(std::min<int64_t>(kGemmCols, n - p * kGemmCols));
    for (int64_t kk = 0; kk < k; ++kk) {
      float* o = out + kk * kGemmCols;
      std::memcpy(o, x + kk * ldx + p * kGemmCols, sizeof(float) * rows);
      std::fill(o + rows, o + kGemmCols, 0.0f);
    }
  }
}

void gemm_packed_serial(const float* a_panels, int64_t m, const float* b_panels, int64_t n, int64_t K, float* c,
                        int64_t ldc, GemmTileFn tile) {
  for (int64_t k0 = 0; k0 < K; k0 += kBlockK) {
    const int64_t kc = std::min(kBlockK, K - k0);
    for (int64_t j0 = 0; j0 < n; j0 += kGemmCols) {
      const float* b = b_panels + (j0 / kGemmCols * K + k0) * kGemmCols;
      const int nr = static_cast<int>(std::min<int64_t>(kGemmCols, n - j0));
      for (int64_t i0 = 0; i0 < m; i0 += kGemmRows) {
        const float* a = a_panels + (i0 / kGemmRows * K + k0) * kGemmRows;
        const int mr = static_cast<int>(std::min<int64_t>(kGemmRows, m - i0));
        tile(a, b, kc, c + i0 * ldc + j0, ldc, mr, nr, k0 > 0);
      }
    }
  }
}

void vision_gemm(const PanelWeight& w, const float* x, int64_t ldx, int64_t m, float* y, int64_t ldy,
                 const float* bias, std::vector<float>& a_scratch, ThreadPool& pool, SimdLevel level) {
  if (m <= 0 || w.empty()) return;
  const VisionIsa& isa = vision_internal::vision_isa(level);
  const int64_t K = w.cols, N = w.rows;
  const int64_t a_panels = (m + kGemmRows - 1) / kGemmRows;
  const auto a_size = static_cast<size_t>(a_panels * kGemmRows * K);
  if (a_scratch.size() < a_size) a_scratch.resize(a_size);
  float* a = a_scratch.data();
  const GemmRound round = round_for(w.type);
  pool.parallel_for(a_panels, [&](int64_t p0, int64_t p1) { pack_a_with(isa, x, ldx, m, K, round, a, p0, p1); });

  // A task owns a block of 256 weight rows (output columns) and a range of
  // tokens. It widens its weight block to f32 once (256 x K), then for each
  // 224-token block accumulates the 224 x 256 output tile over K slices in a
  // compact buffer (row stride 272 floats: output rows 4 KiB apart would all
  // fall into the same L1 sets) and copies it out with the bias. When there
  // are few column blocks the tokens are split too, so every thread has work.
  const int64_t col_blocks = (N + kBlockCols - 1) / kBlockCols;
  const int64_t row_blocks = (m + kBlockRows - 1) / kBlockRows;
  const int64_t splits = std::clamp<int64_t>((2 * pool.size() + col_blocks - 1) / col_blocks, 1, row_blocks);
  const int64_t rows_per_split = (row_blocks + splits - 1) / splits * kBlockRows;
  constexpr int64_t kLdc = kBlockCols + 16;
  pool.parallel_for(col_blocks * splits, [&](int64_t begin, int64_t end) {
    thread_local FloatScratch b_buf, c_buf;
    float* bconv = w.type == GgmlType::kF32 ? nullptr : b_buf.get(static_cast<size_t>(kBlockCols * K));
    float* cblk = c_buf.get(static_cast<size_t>(kBlockRows * kLdc));
    for (int64_t task = begin; task < end; ++task) {
      const int64_t j_begin = (task / splits) * kBlockCols, j_end = std::min(N, j_begin + kBlockCols);
      const int64_t i_begin = (task % splits) * rows_per_split, i_end = std::min(m, i_begin + rows_per_split);
      if (i_begin >= i_end) continue;
      // Weight panels of this block: panel q (32 rows) holds K x 32 floats.
      const float* bpanels;
      if (w.type == GgmlType::kF32) {
        bpanels = reinterpret_cast<const float*>(w.data.get()) + j_begin * K;
      } else {
        const auto* src = reinterpret_cast<const uint16_t*>(w.data.get()) + j_begin * K;
        const int64_t n_panels = (j_end - j_begin + kGemmCols - 1) / kGemmCols;
        (w.type == GgmlType::kF16 ? isa.widen_f16 : isa.widen_bf16)(src, bconv, n_panels * kGemmCols * K);
        bpanels = bconv;
      }
      for (int64_t ib = i_begin; ib < i_end; ib += kBlockRows) {
        const int64_t ie = std::min(i_end, ib + kBlockRows);
        for (int64_t k0 = 0; k0 < K; k0 += kBlockK) {
          const int64_t kc = std::min(kBlockK, K - k0);
          for (int64_t j0 = j_begin; j0 < j_end; j0 += kGemmCols) {
            const float* b = bpanels + ((j0 - j_begin) * K + k0 * kGemmCols);
            for (int64_t i0 = ib; i0 < ie; i0 += kGemmRows) {
              const int mr = static_cast<int>(std::min<int64_t>(kGemmRows, ie - i0));
              isa.tile(a + (i0 / kGemmRows * K + k0) * kGemmRows, b, kc, cblk + (i0 - ib) * kLdc + (j0 - j_begin),
                       kLdc, mr, kGemmCols, k0 > 0);
            }
          }
        }
        for (int64_t i = ib; i < ie; ++i) {
          const float* ci = cblk + (i - ib) * kLdc;
          float* yi = y + i * ldy + j_begin;
          const int64_t n = j_end - j_begin;
          if (bias) {
            for (int64_t j = 0; j < n; ++j) yi[j] = ci[j] + bias[j_begin + j];
          } else {
            std::memcpy(yi, ci, sizeof(float) * n);
          }
        }
      }
    }
  });
}

}  // namespace teamvl::engine
