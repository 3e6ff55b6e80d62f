// Our JPEG path (libjpeg's entropy decoding + stb_image's IDCT, upsampling and
// colour conversion) against stb_image itself, the decoder llama.cpp uses, on
// JPEGs of every common layout. The reference is compiled from libstb-dev.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "engine/image/decode.h"
#include "engine/image/test_images.h"

#if __has_include(<stb/stb_image.h>)
#define TEAMVL_HAVE_STB 1
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_JPEG
#include <stb/stb_image.h>
#pragma GCC diagnostic pop
#endif

namespace teamvl::engine {
namespace {

struct ParityCase {
  const char* name;
  int width, height;
  testing::JpegEncodeOptions options;
};

std::vector<ParityCase> cases() {
  auto opt = [](int h, int v, bool progressive = false, bool gray = false, bool rgb = false,
                int quality = 90) {
    testing::JpegEncodeOptions o;
    o.h_samp = h, o.v_samp = v, o.progressive = progressive, o.grayscale = gray;
    o.rgb_colorspace = rgb, o.quality = quality;
    return o;
  };
  return {
      {"yuv420_even", 64, 48, opt(2, 2)},
      {"yuv420_odd", 61, 37, opt(2, 2)},
      {"yuv422", 45, 33, opt(2, 1)},
      {"yuv440", 33, 45, opt(1, 2)},
      {"yuv444", 40, 30, opt(1, 1)},
      {"yuv411", 70, 20, opt(4, 1)},
      {"progressive420", 77, 51, opt(2, 2, true)},
      {"grayscale", 50, 50, opt(1, 1, false, true)},
      {"rgb_colorspace", 30, 20, opt(1, 1, false, false, true)},
      {"one_pixel", 1, 1, opt(2, 2)},
      {"one_row", 100, 1, opt(2, 2)},
      {"one_column", 1, 100, opt(2, 2)},
      {"quality100", 48, 32, opt(2, 2, false, false, false, 100)},
      {"quality5", 48, 32, opt(2, 2, false, false, false, 5)},
  };
}

void PrintTo(const ParityCase& c, std::ostream* os) { *os << c.name; }

class JpegStbParityTest : public ::testing::TestWithParam<ParityCase> {};

TEST_P(JpegStbParityTest, BitExactWithStbImage) {
#ifndef TEAMVL_HAVE_STB
  GTEST_SKIP() << "stb_image.h (libstb-dev) not installed";
#else
  const ParityCase& c = GetParam();
  std::vector<uint8_t> jpeg =
      testing::encode_jpeg(testing::make_noisy(c.width, c.height), c.options);
  int w = 0, h = 0, n = 0;
  stbi_uc* ref = stbi_load_from_memory(jpeg.data(), static_cast<int>(jpeg.size()), &w, &h, &n, 3);
  ASSERT_NE(ref, nullptr) << stbi_failure_reason();
  std::vector<uint8_t> expected(ref, ref + size_t{3} * w * h);
  stbi_image_free(ref);

  Result<RgbImage> img = decode_image(jpeg);
  ASSERT_TRUE(img.ok()) << img.status().to_string();
  ASSERT_EQ(img->width, w);
  ASSERT_EQ(img->height, h);
  size_t n_diff = 0;
  int max_diff = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    int d = std::abs(int{img->pixels[i]} - int{expected[i]});
    n_diff += d != 0;
    max_diff = std::max(max_diff, d);
  }
  EXPECT_EQ(n_diff, 0u) << "max |diff| " << max_diff;
#endif
}

INSTANTIATE_TEST_SUITE_P(Layouts, JpegStbParityTest, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace teamvl::engine
