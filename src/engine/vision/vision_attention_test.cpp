// Blocked attention against the plain reference, for shapes around the block
// edges (1 token, 32-query blocks, 14-row panels) and head sizes of the tiny
// and the 2B models, on every level this CPU has.
#include "engine/vision/vision_attention.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "engine/vision/vision_gemm.h"
#include "engine/vision/vision_test_util.h"

namespace teamvl::engine {
namespace {

struct AttnCase {
  int64_t n;
  int32_t heads, hd;
};

TEST(VisionAttentionTest, BlockedMatchesReference) {
  const AttnCase cases[] = {{1, 1, 16}, {5, 2, 16}, {33, 4, 16}, {64, 3, 64}, {129, 2, 80}, {300, 4, 64}};
  std::vector<SimdLevel> levels{SimdLevel::kScalar};
  if (vision_gemm_supported(SimdLevel::kAvx512)) levels.push_back(SimdLevel::kAvx512);
  ThreadPool pool(2);
  for (const AttnCase& c : cases) {
    SCOPED_TRACE("n=" + std::to_string(c.n) + " heads=" + std::to_string(c.heads) + " hd=" + std::to_string(c.hd));
    const int64_t D = int64_t{c.heads} * c.hd;
    std::mt19937 rng(11);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    std::vector<float> qkv(c.n * 3 * D);
    for (auto& v : qkv) v = nd(rng);
    const VisionAttentionShape shape{c.n, c.heads, c.hd, 1.0f / std::sqrt(static_cast<float>(c.hd))};
    std::vector<float> ref(c.n * D);
    vision_attention_reference(shape, qkv.data(), ref.data());
    for (SimdLevel level : levels) {
      SCOPED_TRACE(simd_level_name(level));
      std::vector<float> out(c.n * D, 0.0f);
      VisionAttentionScratch scratch;
      vision_attention(shape, qkv.data(), out.data(), scratch, pool, level);
      EXPECT_LT(testing::rel_error(out.data(), ref.data(), out.size()), 1e-6);
      // A second call reuses the scratch and gives the same bits.
      std::vector<float> again(c.n * D, 0.0f);
      vision_attention(shape, qkv.data(), again.data(), scratch, pool, level);
      EXPECT_EQ(out, again);
    }
  }
}

TEST(VisionAttentionTest, UniformKeysAverageTheValues) {
  // Identical keys: every query attends equally, so each output is the mean of V.
  const int64_t n = 45;
  const int32_t heads = 2, hd = 16;
  const int64_t D = heads * hd;
  std::vector<float> qkv(n * 3 * D);
  for (int64_t t = 0; t < n; ++t) {
    for (int64_t d = 0; d < D; ++d) {
      qkv[t * 3 * D + d] = static_cast<float>((t * 7 + d) % 5) - 2.0f;  // queries vary
      qkv[t * 3 * D + D + d] = 0.25f;                                    // keys identical
      qkv[t * 3 * D + 2 * D + d] = static_cast<float>(t);                // values 0..n-1
    }
  }
  std::vector<float> out(n * D);
  VisionAttentionScratch scratch;
  ThreadPool pool(1);
  vision_attention({n, heads, hd, 0.25f}, qkv.data(), out.data(), scratch, pool, simd_level());
  for (float v : out) EXPECT_NEAR(v, (n - 1) / 2.0, 1e-4);
}

}  // namespace
}  // namespace teamvl::engine
