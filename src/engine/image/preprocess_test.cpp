#include "engine/image/preprocess.h"

#include <gtest/gtest.h>

#include <limits>

#include "engine/image/test_images.h"

namespace teamvl::engine {
namespace {

struct SizeCase {
  int width, height;
  int max_side;
  int out_w, out_h, tokens;
};

// Worked by hand from README §5 (align 32, min 8192 px, max 4194304 px) and
// our max_side cap (applied first; results stay multiples of 32).
TEST(PlanImageLayout, TargetSizesAndTokens) {
  const SizeCase cases[] = {
      {1, 1, 768, 96, 96, 9},  // min_pixels: ceil(90.5/32)*32 each side
      {32, 32, 768, 96, 96, 9},
      {100, 100, 768, 96, 96, 9},        // 96*96 = 9216 >= 8192 after rounding
      {64, 48, 768, 128, 96, 12},        // fixture a_64x48
      {768, 768, 768, 768, 768, 576},    // exactly at the cap
      {769, 769, 768, 768, 768, 576},    // just over: scaled to 768
      {4000, 3000, 768, 768, 576, 432},  // photo: 768 x 576
      {3000, 4000, 768, 576, 768, 432},  // portrait
      {2000, 1000, 768, 768, 384, 288},
      {10000, 10, 768, 768, 32, 24},  // extreme aspect: short side one block
      {10, 10000, 768, 32, 768, 24},
      {10000, 1, 768, 768, 32, 24},
      {700, 500, 700, 672, 480, 315},     // cap not a multiple of 32: fit into 672
      {100, 100, 40, 32, 32, 1},          // the cap beats min_pixels
      {4000, 3000, 0, 2336, 1760, 4015},  // no cap: max_pixels path, floor(h/beta)
  };
  for (const SizeCase& c : cases) {
    PreprocessParams p;
    p.max_side = c.max_side;
    Result<ImageLayout> l = plan_image_layout(c.width, c.height, p);
    ASSERT_TRUE(l.ok()) << l.status().to_string();
    SCOPED_TRACE(std::to_string(c.width) + "x" + std::to_string(c.height) + " cap " +
                 std::to_string(c.max_side));
    EXPECT_EQ(l->width, c.out_w);
    EXPECT_EQ(l->height, c.out_h);
    EXPECT_EQ(l->n_tokens, c.tokens);
    EXPECT_EQ(l->width % 32, 0);
    EXPECT_EQ(l->height % 32, 0);
    EXPECT_EQ(l->n_tokens, l->merged_x * l->merged_y);
    EXPECT_EQ(l->patches_x, 2 * l->merged_x);
    if (c.max_side > 0) {
      EXPECT_LE(std::max(l->width, l->height), c.max_side);
    }
    EXPECT_LE(int64_t{l->width} * l->height, p.max_pixels);
    // Content box inside the tensor, centered, touching two opposite edges.
    EXPECT_GE(l->content_x, 0);
    EXPECT_GE(l->content_y, 0);
    EXPECT_LE(l->content_x + l->content_width, l->width);
    EXPECT_LE(l->content_y + l->content_height, l->height);
    EXPECT_TRUE(l->content_width == l->width || l->content_height == l->height);
    EXPECT_LE(l->width - l->content_width - 2 * l->content_x, 1);
    EXPECT_LE(l->height - l->content_height - 2 * l->content_y, 1);
  }
}

TEST(PlanImageLayout, NoCapStillHonoursMaxPixelsOnExtremeAspect) {
  PreprocessParams p;
  p.max_side = 0;
  // llama.cpp's formula alone would give 14.4M x 32 here.
  Result<ImageLayout> l = plan_image_layout(50'000'000, 1, p);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->height, 32);
  EXPECT_LE(int64_t{l->width} * l->height, p.max_pixels);
  EXPECT_EQ(l->n_tokens, 4096);
}

TEST(PlanImageLayout, OtherPatchAndMergeSizes) {
  PreprocessParams p;
  p.patch_size = 14;  // Qwen2-VL style: align 28
  p.min_pixels = 4 * 28 * 28;
  p.max_pixels = 1024 * 28 * 28;
  Result<ImageLayout> l = plan_image_layout(300, 200, p);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->width, 308);   // round(300/28) = 11
  EXPECT_EQ(l->height, 196);  // round(200/28) = 7
  EXPECT_EQ(l->patches_x, 22);
  EXPECT_EQ(l->merged_y, 7);
  EXPECT_EQ(l->n_tokens, 77);
}

TEST(PlanImageLayout, RejectsBadParamsAndSizes) {
  auto with = [](auto change) {
    PreprocessParams p;
    change(p);
    return plan_image_layout(100, 100, p).status().code();
  };
  EXPECT_EQ(with([](PreprocessParams& p) { p.patch_size = 0; }), StatusCode::kInvalidArgument);
  EXPECT_EQ(with([](PreprocessParams& p) { p.merge_size = -1; }), StatusCode::kInvalidArgument);
  EXPECT_EQ(with([](PreprocessParams& p) { p.min_pixels = p.max_pixels + 1; }),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(with([](PreprocessParams& p) { p.max_pixels = 100; }), StatusCode::kInvalidArgument);
  EXPECT_EQ(with([](PreprocessParams& p) { p.std[1] = 0; }), StatusCode::kInvalidArgument);
  EXPECT_EQ(with([](PreprocessParams& p) { p.mean[0] = std::numeric_limits<float>::quiet_NaN(); }),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(with([](PreprocessParams& p) { p.max_side = 16; }), StatusCode::kInvalidArgument);
  EXPECT_EQ(with([](PreprocessParams& p) { p.max_side = -1; }), StatusCode::kInvalidArgument);
  EXPECT_EQ(with([](PreprocessParams&) {}), StatusCode::kOk);
  EXPECT_EQ(plan_image_layout(0, 10, {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(plan_image_layout(10, -1, {}).status().code(), StatusCode::kInvalidArgument);
}

RgbImage row_of(std::vector<uint8_t> gray) {
  RgbImage img;
  img.width = static_cast<int>(gray.size());
  img.height = 1;
  for (uint8_t g : gray) img.pixels.insert(img.pixels.end(), {g, g, g});
  return img;
}

TEST(ResizeBilinear, CornerAlignedWithTruncation) {
  // 2 -> 3 samples: 0, midpoint, last. (10+255)/2 = 132.5 truncates to 132.
  RgbImage out = resize_bilinear(row_of({10, 255}), 3, 1);
  EXPECT_EQ(out.pixels, (std::vector<uint8_t>{10, 10, 10, 132, 132, 132, 255, 255, 255}));
  // 3 -> 2: the two ends exactly.
  out = resize_bilinear(row_of({1, 2, 3}), 2, 1);
  EXPECT_EQ(out.pixels, (std::vector<uint8_t>{1, 1, 1, 3, 3, 3}));
  // To one pixel: the first source pixel.
  out = resize_bilinear(row_of({50, 60, 70}), 1, 1);
  EXPECT_EQ(out.pixels, (std::vector<uint8_t>{50, 50, 50}));
  // Same size: identity.
  RgbImage src = testing::make_noisy(13, 7);
  EXPECT_EQ(resize_bilinear(src, 13, 7).pixels, src.pixels);
  // One pixel up to 4x3: constant.
  out = resize_bilinear(row_of({77}), 4, 3);
  EXPECT_EQ(out.pixels, std::vector<uint8_t>(36, 77));
}

TEST(PreprocessImage, PaddingIsBlackAndContentNormalized) {
  RgbImage white;
  white.width = 200, white.height = 120;
  white.pixels.assign(200 * 120 * 3, 255);
  Result<PreprocessedImage> p = preprocess_image(white, PreprocessParams{});
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  const ImageLayout& l = p->layout;
  ASSERT_EQ(l.width, 192);
  ASSERT_EQ(l.height, 128);
  ASSERT_EQ(p->pixels.size(), size_t{192} * 128 * 3);
  for (int c = 0; c < 3; ++c) {
    for (int y = 0; y < l.height; ++y) {
      const bool inside = y >= l.content_y && y < l.content_y + l.content_height;
      const float v = p->pixels[(size_t{static_cast<size_t>(c)} * l.height + y) * l.width + 5];
      ASSERT_EQ(v, inside ? 1.0f : -1.0f) << "c " << c << " y " << y;
    }
  }
}

TEST(PreprocessImage, PlanarChannelOrderAndMeanStd) {
  RgbImage img;
  img.width = 32, img.height = 32;
  img.pixels.resize(32 * 32 * 3);
  for (size_t i = 0; i < img.pixels.size(); i += 3)
    img.pixels[i] = 255, img.pixels[i + 1] = 0, img.pixels[i + 2] = 51;
  PreprocessParams params;
  params.mean = {0.25f, 0.5f, 0.0f};
  params.std = {0.5f, 0.25f, 2.0f};
  Result<PreprocessedImage> p = preprocess_image(img, params);
  ASSERT_TRUE(p.ok());
  const size_t plane = size_t{96} * 96;  // 32x32 is below min_pixels: 96x96, no padding
  ASSERT_EQ(p->layout.content_width, 96);
  EXPECT_FLOAT_EQ(p->pixels[0], (1.0f - 0.25f) / 0.5f);
  EXPECT_FLOAT_EQ(p->pixels[plane], (0.0f - 0.5f) / 0.25f);
  EXPECT_FLOAT_EQ(p->pixels[2 * plane + 1234], (51.0f / 255.0f) / 2.0f);
}

TEST(PreprocessImage, RejectsInconsistentBuffer) {
  RgbImage img;
  img.width = 4, img.height = 4;
  img.pixels.resize(10);
  EXPECT_EQ(preprocess_image(img, {}).status().code(), StatusCode::kInvalidArgument);
  RgbImage empty;
  EXPECT_EQ(preprocess_image(empty, {}).status().code(), StatusCode::kInvalidArgument);
}

TEST(PreprocessImage, ExtremeAspectGivesOneRowOfTokens) {
  RgbImage wide = testing::make_pattern(5000, 3);
  Result<PreprocessedImage> p = preprocess_image(wide, PreprocessParams{});
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  EXPECT_EQ(p->layout.width, 768);
  EXPECT_EQ(p->layout.height, 32);
  EXPECT_EQ(p->layout.merged_y, 1);
  EXPECT_EQ(p->layout.content_height, 1);  // ceil(3 * 768/5000)
  EXPECT_EQ(p->pixels.size(), size_t{768} * 32 * 3);
}

}  // namespace
}  // namespace teamvl::engine
