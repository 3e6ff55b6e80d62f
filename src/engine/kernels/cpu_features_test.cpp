#include "engine/kernels/cpu_features.h"

#include <gtest/gtest.h>

namespace teamvl::engine {
namespace {

TEST(CpuFeaturesTest, LevelsAreConsistentWithFeatures) {
  const CpuFeatures& f = cpu_features();
  EXPECT_TRUE(simd_level_supported(SimdLevel::kScalar));
  EXPECT_EQ(simd_level_supported(SimdLevel::kAvx2), f.avx2 && f.fma && f.f16c);
  if (simd_level_supported(SimdLevel::kAvx512)) {
    EXPECT_TRUE(f.avx512f && f.avx512bw && f.avx512vl && f.avx512vnni);
    EXPECT_TRUE(simd_level_supported(SimdLevel::kAvx2));
  }
  if (f.avx512bw || f.avx512vnni || f.avx512bf16) {
    EXPECT_TRUE(f.avx512f);
  }
  // The chosen level never exceeds what the CPU runs (TEAMVL_CPU may lower it).
  EXPECT_TRUE(simd_level_supported(simd_level()));
  EXPECT_STREQ(simd_level_name(SimdLevel::kAvx512), "avx512");
  EXPECT_STREQ(simd_level_name(SimdLevel::kScalar), "scalar");
}

}  // namespace
}  // namespace teamvl::engine
