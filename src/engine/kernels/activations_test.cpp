// The SIMD activation converters must give bit-identical results to the
// scalar ones (which use quants.cpp), including ties and edge blocks.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "engine/kernels/matmul_internal.h"

namespace teamvl::engine::matmul_internal {
namespace {

std::vector<float> tricky_input(int64_t n) {
  std::mt19937 rng(21);
  std::normal_distribution<float> nd(0.0f, 2.0f);
  std::vector<float> x(n);
  for (auto& v : x) v = nd(rng);
  // Block 0 (32 values): scale exactly 1 with exact .5 ties -> ties to even.
  for (int i = 0; i < 32; ++i) x[i] = (i % 2 ? 1 : -1) * (0.5f + static_cast<float>(i % 7));
  x[5] = 127.0f;
  // Second 256-block: all zero. Third: equal magnitudes with opposite signs
  // (the first one decides the sign of the Q8_K scale).
  for (int i = 256; i < 512; ++i) x[i] = 0.0f;
  for (int i = 512; i < 768; ++i) x[i] = std::sin(static_cast<float>(i));
  x[512 + 3] = -9.0f;
  x[512 + 7] = 9.0f;
  x[700] = 1e-30f;
  return x;
}

void expect_same_as_scalar(const ActConverters& cv) {
  const ActConverters& ref = scalar_converters();
  for (int64_t n : {int64_t{1}, int64_t{13}, int64_t{768 + 5}}) {
    std::vector<float> x = tricky_input(n < 768 ? 768 : n);
    std::vector<float> a(n), b(n);
    ref.round_f16(x.data(), a.data(), n);
    cv.round_f16(x.data(), b.data(), n);
    EXPECT_EQ(0, std::memcmp(a.data(), b.data(), n * 4)) << "round_f16 n=" << n;
    std::vector<uint16_t> ha(n), hb(n);
    ref.to_bf16(x.data(), ha.data(), n);
    cv.to_bf16(x.data(), hb.data(), n);
    EXPECT_EQ(ha, hb) << "to_bf16 n=" << n;
  }
  const int64_t n = 768;
  std::vector<float> x = tricky_input(n);
  std::vector<int8_t> qa(n), qb(n);
  std::vector<float> da(n / 32), db(n / 32);
  ref.quant_q8_0(x.data(), n, qa.data(), da.data());
  cv.quant_q8_0(x.data(), n, qb.data(), db.data());
  EXPECT_EQ(qa, qb) << "q8_0 quants";
  EXPECT_EQ(da, db) << "q8_0 scales";
  EXPECT_EQ(qa[0], 0);   // -0.5 -> 0 (ties to even)
  EXPECT_EQ(qa[1], 2);   // 1.5 -> 2
  std::vector<int16_t> sa(n / 16), sb(n / 16);
  std::vector<float> ka(n / 256), kb(n / 256);
  ref.quant_q8_k(x.data(), n, qa.data(), ka.data(), sa.data());
  cv.quant_q8_k(x.data(), n, qb.data(), kb.data(), sb.data());
  EXPECT_EQ(qa, qb) << "q8_K quants";
  EXPECT_EQ(ka, kb) << "q8_K scales";
  EXPECT_EQ(sa, sb) << "q8_K bsums";
  EXPECT_EQ(ka[1], 0.0f);
  // The first max-magnitude element (-9) decides: iscale = -127/-9 > 0, d = 9/127.
  EXPECT_FLOAT_EQ(ka[2], 9.0f / 127.0f);
}

TEST(ActivationConvertersTest, Avx2MatchesScalarBitForBit) {
  if (!simd_level_supported(SimdLevel::kAvx2)) GTEST_SKIP() << "no AVX2";
  expect_same_as_scalar(avx2_converters());
}

TEST(ActivationConvertersTest, Avx512MatchesScalarBitForBit) {
  if (!simd_level_supported(SimdLevel::kAvx512)) GTEST_SKIP() << "no AVX-512";
  expect_same_as_scalar(avx512_converters());
}

TEST(ActivationConvertersTest, Q4kInterleaveReordersGroups) {
  std::vector<float> x(512);
  for (int i = 0; i < 512; ++i) x[i] = static_cast<float>((i / 32) + 1);  // group id + 1
  ActScratch s1, s2;
  PreparedAct nat = prepare_activations(GgmlType::kQ4_K, x.data(), 2, 256, ActLayout{}, s1, nullptr);
  PreparedAct il = prepare_activations(GgmlType::kQ4_K, x.data(), 2, 256,
                                       ActLayout{false, true, SimdLevel::kScalar}, s2, nullptr);
  const int order[8] = {0, 2, 1, 3, 4, 6, 5, 7};
  for (int t = 0; t < 2; ++t) {
    for (int g = 0; g < 8; ++g) {
      EXPECT_EQ(il.qs_row(t)[32 * g], nat.qs_row(t)[32 * order[g]]) << t << " " << g;
    }
    // Group sums stay in natural order.
    for (int g = 0; g < 8; ++g) EXPECT_EQ(il.aux_row(t)[g], nat.aux_row(t)[g]);
  }
}

}  // namespace
}  // namespace teamvl::engine::matmul_internal
