#include "engine/kernels/matmul.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "engine/tensor/quants.h"

namespace teamvl::engine {
namespace {

const GgmlType kAllTypes[] = {GgmlType::kF32,  GgmlType::kF16,  GgmlType::kBF16,
                              GgmlType::kQ8_0, GgmlType::kQ4_0, GgmlType::kQ4_K,
                              GgmlType::kQ5_K, GgmlType::kQ6_K};

// A random weight matrix stored in `type`, plus its dequantized values.
struct TestWeight {
  GgmlType type;
  int64_t cols, rows;
  std::vector<uint8_t> bytes;
  std::vector<float> deq;  // rows x cols
  WeightView view() const { return {type, cols, rows, bytes.data()}; }
};

TestWeight make_weight(GgmlType type, int64_t cols, int64_t rows, uint32_t seed) {
  TestWeight w{type, cols, rows, {}, {}};
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 0.05f);
  std::vector<float> src(static_cast<size_t>(cols * rows));
  for (auto& v : src) v = nd(rng);
  const size_t rb = row_bytes(type, cols);
  w.bytes.resize(rb * rows);
  w.deq.resize(src.size());
  for (int64_t r = 0; r < rows; ++r) {
    EXPECT_TRUE(quantize_row(type, &src[r * cols], &w.bytes[r * rb], cols).ok());
    EXPECT_TRUE(dequantize_row(type, &w.bytes[r * rb], &w.deq[r * cols], cols).ok());
  }
  return w;
}

std::vector<float> make_x(int64_t n, int64_t cols, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n * cols));
  for (auto& v : x) v = nd(rng);
  if (!x.empty()) x[0] = 0.0f;
  return x;
}

// The activation values the dot products really see after llama.cpp's conversion.
std::vector<float> converted_x(GgmlType wt, const std::vector<float>& x, int64_t cols) {
  GgmlType at = GgmlType::kF32;
  switch (wt) {
    case GgmlType::kF16: at = GgmlType::kF16; break;
    case GgmlType::kBF16: at = GgmlType::kBF16; break;
    case GgmlType::kQ8_0:
    case GgmlType::kQ4_0: at = GgmlType::kQ8_0; break;
    case GgmlType::kQ4_K:
    case GgmlType::kQ5_K:
    case GgmlType::kQ6_K: at = GgmlType::kQ8_K; break;
    default: break;
  }
  std::vector<float> out(x.size());
  std::vector<uint8_t> tmp(row_bytes(at, cols));
  for (size_t t = 0; t < x.size() / cols; ++t) {
    EXPECT_TRUE(quantize_row(at, &x[t * cols], tmp.data(), cols).ok());
    EXPECT_TRUE(dequantize_row(at, tmp.data(), &out[t * cols], cols).ok());
  }
  return out;
}

// Element (t, r) of the exact product of dequantized weights and converted
// activations, and the sum of |terms| (the scale of rounding errors).
struct Exact {
  std::vector<double> y, mag;
};

Exact exact_product(const TestWeight& w, const std::vector<float>& xc, int64_t n) {
  Exact e{std::vector<double>(n * w.rows), std::vector<double>(n * w.rows)};
  for (int64_t t = 0; t < n; ++t) {
    for (int64_t r = 0; r < w.rows; ++r) {
      double s = 0, m = 0;
      for (int64_t c = 0; c < w.cols; ++c) {
        const double p = double(w.deq[r * w.cols + c]) * xc[t * w.cols + c];
        s += p;
        m += std::fabs(p);
      }
      e.y[t * w.rows + r] = s;
      e.mag[t * w.rows + r] = m;
    }
  }
  return e;
}

// The reference must equal the plain product of dequantized values.
TEST(MatmulTest, ReferenceEqualsDequantizedProduct) {
  for (GgmlType type : kAllTypes) {
    SCOPED_TRACE(type_name(type));
    const int64_t cols = 512, rows = 7, n = 3;
    TestWeight w = make_weight(type, cols, rows, 11);
    std::vector<float> x = make_x(n, cols, 12);
    std::vector<float> y(n * rows);
    matmul_reference(w.view(), x.data(), n, y.data());
    Exact e = exact_product(w, converted_x(type, x, cols), n);
    for (size_t i = 0; i < y.size(); ++i) {
      ASSERT_NEAR(y[i], e.y[i], 1e-6 * e.mag[i] + 1e-7) << "element " << i;
    }
  }
}

struct Shape {
  int64_t cols, rows, n_tokens;
};

void expect_level_matches_reference(SimdLevel level, int threads) {
  ThreadPool pool(threads);
  const Shape shapes[] = {{256, 1, 1}, {512, 37, 1},  {256, 16, 2},  {768, 45, 3},
                          {512, 64, 5}, {256, 33, 7}, {1024, 19, 9}, {256, 130, 70},
                          // long inputs: the repacked prefill kernels (partial strips, token tails)
                          {512, 17, 33}, {768, 50, 41}, {256, 64, 32}};
  for (GgmlType type : kAllTypes) {
    for (const Shape& s : shapes) {
      int64_t cols = s.cols;
      if (type == GgmlType::kF32 || type == GgmlType::kF16 || type == GgmlType::kBF16) {
        cols += 40;  // float types: columns need not be a multiple of 16/32
      } else if (type == GgmlType::kQ8_0 || type == GgmlType::kQ4_0) {
        cols += 96;  // odd number of 32-blocks
      }
      SCOPED_TRACE(type_name(type) + " cols " + std::to_string(cols) + " rows " +
                   std::to_string(s.rows) + " tokens " + std::to_string(s.n_tokens));
      TestWeight w = make_weight(type, cols, s.rows, static_cast<uint32_t>(cols + s.rows));
      std::vector<float> x = make_x(s.n_tokens, cols, static_cast<uint32_t>(s.n_tokens));
      std::vector<float> ref(s.n_tokens * s.rows), got(s.n_tokens * s.rows, -1.0f);
      matmul_reference(w.view(), x.data(), s.n_tokens, ref.data());
      matmul(w.view(), x.data(), s.n_tokens, got.data(), pool, level);
      Exact e = exact_product(w, converted_x(type, x, cols), s.n_tokens);
      for (size_t i = 0; i < ref.size(); ++i) {
        ASSERT_NEAR(got[i], ref[i], 2e-6 * e.mag[i] + 1e-6) << "element " << i;
      }
    }
  }
}

TEST(MatmulTest, ScalarLevelMatchesReference) { expect_level_matches_reference(SimdLevel::kScalar, 2); }

TEST(MatmulTest, Avx2MatchesReference) {
  if (!simd_level_supported(SimdLevel::kAvx2)) GTEST_SKIP() << "CPU lacks AVX2/FMA/F16C";
  expect_level_matches_reference(SimdLevel::kAvx2, 1);
  expect_level_matches_reference(SimdLevel::kAvx2, 3);
}

TEST(MatmulTest, Avx512MatchesReference) {
  if (!simd_level_supported(SimdLevel::kAvx512)) GTEST_SKIP() << "CPU lacks AVX-512 VNNI";
  expect_level_matches_reference(SimdLevel::kAvx512, 1);
  expect_level_matches_reference(SimdLevel::kAvx512, 3);
}

// Results must not depend on how rows/tokens were split over threads.
TEST(MatmulTest, ThreadCountDoesNotChangeResults) {
  TestWeight w = make_weight(GgmlType::kQ4_K, 512, 200, 5);
  std::vector<float> x = make_x(70, 512, 6);
  std::vector<float> y1(70 * 200), y4(70 * 200);
  ThreadPool p1(1), p4(4);
  matmul(w.view(), x.data(), 70, y1.data(), p1);
  matmul(w.view(), x.data(), 70, y4.data(), p4);
  EXPECT_EQ(y1, y4);
}

TEST(MatmulTest, StridedOutputWritesOnlyItsColumns) {
  TestWeight w = make_weight(GgmlType::kQ8_0, 256, 20, 8);
  std::vector<float> x = make_x(3, 256, 9);
  std::vector<float> ref(3 * 20), wide(3 * 50, 7.0f);
  ThreadPool pool(2);
  matmul_reference(w.view(), x.data(), 3, ref.data());
  matmul_strided(w.view(), x.data(), 3, wide.data() + 10, 50, pool, simd_level());
  for (int t = 0; t < 3; ++t) {
    for (int c = 0; c < 50; ++c) {
      const float v = wide[t * 50 + c];
      if (c < 10 || c >= 30) {
        EXPECT_EQ(v, 7.0f);
      } else {
        EXPECT_NEAR(v, ref[t * 20 + c - 10], 1e-4);
      }
    }
  }
}

TEST(MatmulTest, InvalidWeightsGiveNanNotCrash) {
  float x[64] = {}, y[4] = {};
  uint8_t data[1024] = {};
  ThreadPool pool(2);
  const WeightView bad[] = {
      {GgmlType::kQ2_K, 256, 2, data},  // unsupported type
      {GgmlType::kQ8_0, 33, 2, data},   // not a multiple of the block
      {GgmlType::kF32, 16, 2, nullptr},  // no data
  };
  for (const WeightView& w : bad) {
    EXPECT_FALSE(validate_weight(w).ok());
    matmul(w, x, 1, y, pool);
    EXPECT_TRUE(std::isnan(y[0]) && std::isnan(y[1]));
  }
  EXPECT_TRUE(validate_weight({GgmlType::kQ6_K, 256, 2, data}).ok());
}


TEST(MatmulTest, SharedInputBatchEqualsSeparateProducts) {
  // Mixed types like a Q4_K_M layer: two Q4_K, one Q6_K, one F32, one Q8_0, one BF16
  // (more distinct types than one conversion round holds).
  const GgmlType types[] = {GgmlType::kQ4_K, GgmlType::kQ6_K, GgmlType::kQ4_K,
                            GgmlType::kF32,  GgmlType::kQ8_0, GgmlType::kBF16};
  const int64_t cols = 512, n = 5;
  std::vector<TestWeight> ws;
  for (size_t i = 0; i < std::size(types); ++i) ws.push_back(make_weight(types[i], cols, 40 + 7 * i, i));
  std::vector<float> x = make_x(n, cols, 77);
  ThreadPool pool(3);
  std::vector<std::vector<float>> sep(ws.size()), bat(ws.size());
  std::vector<MatmulJob> jobs;
  for (size_t i = 0; i < ws.size(); ++i) {
    sep[i].resize(n * ws[i].rows);
    bat[i].assign(n * ws[i].rows, -1.0f);
    matmul(ws[i].view(), x.data(), n, sep[i].data(), pool);
    jobs.push_back({ws[i].view(), bat[i].data(), 0});
  }
  matmul_shared(jobs, x.data(), n, pool);
  for (size_t i = 0; i < ws.size(); ++i) EXPECT_EQ(sep[i], bat[i]) << type_name(types[i]);

  // A job whose cols differ from the first one's is rejected with NaNs; others still run.
  TestWeight odd = make_weight(GgmlType::kF32, 256, 4, 1);
  std::vector<float> y_odd(n * 4, 0.0f), y_ok(n * ws[0].rows, -1.0f);
  const MatmulJob mixed[] = {{ws[0].view(), y_ok.data(), 0}, {odd.view(), y_odd.data(), 0}};
  matmul_shared(mixed, x.data(), n, pool);
  EXPECT_EQ(y_ok, sep[0]);
  EXPECT_TRUE(std::isnan(y_odd[0]));
}


TEST(MatmulTest, BadShapesAndStridesNeverWriteOutsideTheBuffer) {
  ThreadPool pool(2);
  float x[32] = {};
  std::vector<float> y(8, 5.0f);
  uint8_t data[64] = {};
  // Negative rows: nothing to write, must not crash.
  matmul({GgmlType::kF32, 4, -3, data}, x, 1, y.data(), pool);
  matmul_reference({GgmlType::kF32, 4, -3, data}, x, 1, y.data());
  EXPECT_EQ(y[0], 5.0f);
  // ldy smaller than rows: NaN only inside the described n_tokens x ldy buffer.
  matmul_strided({GgmlType::kF32, 4, 6, data}, x, 2, y.data(), 3, pool, simd_level());
  for (int i = 0; i < 6; ++i) EXPECT_TRUE(std::isnan(y[i])) << i;
  EXPECT_EQ(y[6], 5.0f);
  // No output buffer at all.
  matmul({GgmlType::kF32, 4, 2, data}, x, 1, nullptr, pool);
}

}  // namespace
}  // namespace teamvl::engine
