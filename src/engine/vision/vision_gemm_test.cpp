// The packed GEMM against kernels' matmul_reference (same activation
// rounding per weight type), on every kernel level this CPU has, with odd
// shapes, strided outputs and biases; plus the packing layouts.
#include "engine/vision/vision_gemm.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "engine/tensor/quants.h"
#include "engine/vision/vision_gemm_internal.h"
#include "engine/vision/vision_test_util.h"

namespace teamvl::engine {
namespace {

std::vector<SimdLevel> levels() {
  std::vector<SimdLevel> v{SimdLevel::kScalar};
  if (vision_gemm_supported(SimdLevel::kAvx512)) v.push_back(SimdLevel::kAvx512);
  return v;
}

std::vector<uint8_t> random_weight(GgmlType type, int64_t cols, int64_t rows, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 0.5f);
  const size_t rb = row_bytes(type, cols);
  std::vector<uint8_t> w(rb * rows);
  std::vector<float> row(cols);
  for (int64_t r = 0; r < rows; ++r) {
    for (auto& v : row) v = nd(rng);
    EXPECT_TRUE(quantize_row(type, row.data(), w.data() + r * rb, cols).ok());
  }
  return w;
}

struct GemmCase {
  GgmlType type;
  int64_t m, k, n;
};

TEST(VisionGemmTest, MatchesReferenceForEveryTypeShapeAndLevel) {
  const GemmCase cases[] = {
      {GgmlType::kF32, 1, 1, 1},       {GgmlType::kF32, 14, 32, 32},   {GgmlType::kF32, 37, 300, 70},
      {GgmlType::kF16, 500, 64, 33},   {GgmlType::kF16, 15, 768, 64},  {GgmlType::kBF16, 29, 100, 97},
      {GgmlType::kBF16, 460, 520, 300}, {GgmlType::kF32, 3, 7, 257},
  };
  for (const GemmCase& c : cases) {
    SCOPED_TRACE(type_name(c.type) + " m=" + std::to_string(c.m) + " k=" + std::to_string(c.k) +
                 " n=" + std::to_string(c.n));
    const std::vector<uint8_t> wb = random_weight(c.type, c.k, c.n, 3);
    const WeightView w{c.type, c.k, c.n, wb.data()};
    auto packed = pack_weight_panels(w);
    ASSERT_TRUE(packed.ok()) << packed.status().to_string();
    std::mt19937 rng(9);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    std::vector<float> x(c.m * c.k), bias(c.n);
    for (auto& v : x) v = nd(rng);
    for (auto& v : bias) v = nd(rng);
    std::vector<float> ref(c.m * c.n);
    matmul_reference(w, x.data(), c.m, ref.data());
    for (int64_t i = 0; i < c.m; ++i) {
      for (int64_t j = 0; j < c.n; ++j) ref[i * c.n + j] += bias[j];
    }
    ThreadPool pool(2);
    for (SimdLevel level : levels()) {
      SCOPED_TRACE(simd_level_name(level));
      const int64_t ldy = c.n + 5;  // strided output: the extra columns must stay untouched
      std::vector<float> y(c.m * ldy, -7.0f), scratch;
      vision_gemm(*packed, x.data(), c.k, c.m, y.data(), ldy, bias.data(), scratch, pool, level);
      double max_err = 0;
      for (int64_t i = 0; i < c.m; ++i) {
        for (int64_t j = 0; j < c.n; ++j) {
          const double r = ref[i * c.n + j];
          max_err = std::max(max_err, std::fabs(y[i * ldy + j] - r) / (1.0 + std::fabs(r)));
        }
        for (int64_t j = c.n; j < ldy; ++j) ASSERT_EQ(y[i * ldy + j], -7.0f) << "wrote past the last column";
      }
      EXPECT_LT(max_err, 2e-5);
    }
  }
}

TEST(VisionGemmTest, PanelLayoutAndUnsupportedTypes) {
  const int64_t k = 3, n = 40;
  std::vector<float> w(k * n);
  for (int64_t i = 0; i < k * n; ++i) w[i] = static_cast<float>(i);
  auto p = pack_weight_panels(WeightView{GgmlType::kF32, k, n, w.data()});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->n_panels(), 2);
  const auto* d = reinterpret_cast<const float*>(p->data.get());
  for (int64_t r = 0; r < 64; ++r) {
    for (int64_t kk = 0; kk < k; ++kk) {
      const float got = d[((r / 32) * k + kk) * 32 + r % 32];
      EXPECT_EQ(got, r < n ? w[r * k + kk] : 0.0f) << r << "," << kk;
    }
  }
  const std::vector<uint8_t> q = random_weight(GgmlType::kQ8_0, 64, 4, 1);
  auto bad = pack_weight_panels(WeightView{GgmlType::kQ8_0, 64, 4, q.data()});
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

TEST(VisionGemmTest, PackAAndTransposedPacks) {
  const int64_t m = 17, k = 5;
  std::vector<float> x(m * k);
  for (size_t i = 0; i < x.size(); ++i) x[i] = 0.5f + static_cast<float>(i);
  std::vector<float> a(2 * kGemmRows * k, -1.0f), at(2 * kGemmRows * m, -1.0f);
  gemm_pack_a(x.data(), k, m, k, GemmRound::kNone, a.data());
  for (int64_t i = 0; i < 2 * kGemmRows; ++i) {
    for (int64_t kk = 0; kk < k; ++kk) {
      EXPECT_EQ(a[((i / kGemmRows) * k + kk) * kGemmRows + i % kGemmRows], i < m ? x[i * k + kk] : 0.0f);
    }
  }
  // Transposed source: rows of the packed matrix are columns of x.
  gemm_pack_a_transposed(x.data(), k, k, m, at.data());
  for (int64_t i = 0; i < k; ++i) {
    for (int64_t kk = 0; kk < m; ++kk) EXPECT_EQ(at[kk * kGemmRows + i], x[kk * k + i]);
  }
  // fp16 rounding on the way in.
  std::vector<float> big = {1.0f + 1.0f / 4096.0f};
  std::vector<float> ar(kGemmRows);
  gemm_pack_a(big.data(), 1, 1, 1, GemmRound::kF16, ar.data());
  EXPECT_EQ(ar[0], 1.0f);  // 2^-12 is a quarter of fp16 spacing at 1.0: rounds down
}

TEST(VisionGemmTest, IsaPiecesAgreeWithScalar) {
  const auto* avx = vision_internal::vision_isa_avx512();
  if (!avx || !simd_level_supported(SimdLevel::kAvx512)) GTEST_SKIP() << "no AVX-512 on this CPU";
  const auto& sc = vision_internal::vision_isa_scalar();
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> ud(-12.0f, 12.0f);
  std::vector<float> x(1001);
  for (auto& v : x) v = ud(rng);
  x[0] = -10.0f;
  x[1] = 10.0f;
  x[2] = 65504.0f * 2;  // beyond fp16 range
  std::vector<float> a = x, b = x;
  sc.gelu(a.data(), static_cast<int64_t>(a.size()));
  avx->gelu(b.data(), static_cast<int64_t>(b.size()));
  EXPECT_EQ(a, b);
  for (auto fn : {&vision_internal::VisionIsa::round_f16, &vision_internal::VisionIsa::round_bf16}) {
    std::vector<float> r1(x.size()), r2(x.size());
    (sc.*fn)(x.data(), r1.data(), static_cast<int64_t>(x.size()));
    (avx->*fn)(x.data(), r2.data(), static_cast<int64_t>(x.size()));
    EXPECT_EQ(r1, r2);
  }
  // Column softmax: same values up to exp's last bits.
  std::vector<float> s1(37 * kGemmCols), s2;
  for (auto& v : s1) v = ud(rng);
  s2 = s1;
  float inv1[kGemmCols], inv2[kGemmCols];
  sc.softmax_cols(s1.data(), 37, 0.3f, inv1);
  avx->softmax_cols(s2.data(), 37, 0.3f, inv2);
  for (size_t i = 0; i < s1.size(); ++i) EXPECT_NEAR(s1[i], s2[i], 5e-7 * (1 + s1[i])) << i;
  for (int c = 0; c < kGemmCols; ++c) EXPECT_NEAR(inv1[c], inv2[c], 1e-6 * inv1[c]);
}

}  // namespace
}  // namespace teamvl::engine
