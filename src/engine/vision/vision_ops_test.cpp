// The small vision ops: merge order, patch extraction, position-grid
// interpolation (identity at the native size, corners exact, midpoints
// averaged) and the 2-D RoPE angles and rotation.
#include "engine/vision/vision_ops.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace teamvl::engine {
namespace {

TEST(VisionOpsTest, MergeOrderVisitsCellsThenTheirPatches) {
  const std::vector<PatchCoord> o = merge_order(4, 2, 2);
  const int expect[8][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}};
  ASSERT_EQ(o.size(), 8u);
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(o[i].y, expect[i][0]) << i;
    EXPECT_EQ(o[i].x, expect[i][1]) << i;
  }
}

TEST(VisionOpsTest, ExtractPatchesInKernelOrder) {
  PreprocessedImage img;
  img.layout.width = 4;
  img.layout.height = 2;
  img.pixels.resize(3 * 4 * 2);
  for (size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = static_cast<float>(i);  // [c][y][x]
  const std::vector<PatchCoord> order = {{0, 1}, {0, 0}};
  std::vector<float> out(2 * 12);
  extract_patches(img, 2, order, out.data());
  // Patch (0,1): x 2..3; element (c, ky, kx) = pixel (c, ky, 2 + kx) = c*8 + ky*4 + 2 + kx.
  for (int c = 0; c < 3; ++c) {
    for (int ky = 0; ky < 2; ++ky) {
      for (int kx = 0; kx < 2; ++kx) {
        EXPECT_EQ(out[(c * 2 + ky) * 2 + kx], static_cast<float>(c * 8 + ky * 4 + 2 + kx));
        EXPECT_EQ(out[12 + (c * 2 + ky) * 2 + kx], static_cast<float>(c * 8 + ky * 4 + kx));
      }
    }
  }
}

TEST(VisionOpsTest, PositionGridInterpolation) {
  const int D = 2, side = 3;
  std::vector<float> pos(side * side * D);
  for (int gy = 0; gy < side; ++gy) {
    for (int gx = 0; gx < side; ++gx) {
      pos[(gy * side + gx) * D] = static_cast<float>(gx);       // channel 0 = x
      pos[(gy * side + gx) * D + 1] = static_cast<float>(10 * gy);  // channel 1 = 10 y
    }
  }
  // Native size: identity.
  std::vector<PatchCoord> order = merge_order(side, side, 1);
  std::vector<float> out(order.size() * D);
  interpolate_position_grid(pos.data(), D, side, side, side, order, out.data());
  for (size_t p = 0; p < order.size(); ++p) {
    EXPECT_FLOAT_EQ(out[p * D], static_cast<float>(order[p].x));
    EXPECT_FLOAT_EQ(out[p * D + 1], static_cast<float>(10 * order[p].y));
  }
  // 5 x 2: align corners -> x samples 0, .5, 1, 1.5, 2 and y samples 0, 2.
  order = merge_order(5, 2, 1);
  out.assign(order.size() * D, 0);
  interpolate_position_grid(pos.data(), D, side, 5, 2, order, out.data());
  for (size_t p = 0; p < order.size(); ++p) {
    EXPECT_NEAR(out[p * D], 0.5 * order[p].x, 1e-6);
    EXPECT_NEAR(out[p * D + 1], 20.0 * order[p].y, 1e-5);
  }
}

TEST(VisionOpsTest, RopeAnglesAndRotation) {
  const int hd = 16;
  const std::vector<PatchCoord> order = {{3, 5}};
  std::vector<float> cs(hd);
  vision_rope_cache(order, hd, 10000.0f, cs.data());
  for (int j = 0; j < hd / 2; ++j) {
    const double pos = j < hd / 4 ? 3 : 5;
    const int e = j < hd / 4 ? j : j - hd / 4;
    const double angle = pos * std::pow(10000.0, -4.0 * e / hd);
    EXPECT_NEAR(cs[2 * j], std::cos(angle), 1e-5) << j;
    EXPECT_NEAR(cs[2 * j + 1], std::sin(angle), 1e-5) << j;
  }
  // Rotation pairs j with j + hd/2 and preserves each pair's length.
  std::vector<float> x(2 * hd);
  for (int i = 0; i < 2 * hd; ++i) x[i] = static_cast<float>(i % 7) - 3.0f;
  std::vector<float> y = x;
  vision_rope_apply(y.data(), 2, hd, cs.data());
  for (int h = 0; h < 2; ++h) {
    for (int j = 0; j < hd / 2; ++j) {
      const float a = x[h * hd + j], b = x[h * hd + j + hd / 2];
      EXPECT_NEAR(y[h * hd + j], a * cs[2 * j] - b * cs[2 * j + 1], 1e-6);
      EXPECT_NEAR(y[h * hd + j + hd / 2], a * cs[2 * j + 1] + b * cs[2 * j], 1e-6);
    }
  }
}

}  // namespace
}  // namespace teamvl::engine
