// Mutated and truncated files of every format: decoding must return (an image
// of consistent size, or an error of an expected kind), never crash, hang or
// abort. Run under ASan/UBSan to catch memory errors.
#include <gtest/gtest.h>

#include <string>

#include "engine/image/decode.h"
#include "engine/image/test_images.h"

namespace teamvl::engine {
namespace {

struct Sample {
  const char* name;
  std::vector<uint8_t> bytes;
};

std::vector<Sample> samples() {
  RgbImage img = testing::make_noisy(40, 24);
  testing::JpegEncodeOptions progressive;
  progressive.progressive = true;
  std::vector<uint8_t> rgba(40 * 24 * 4, 128);
  std::vector<GifColorType> palette = {{0, 0, 0}, {255, 0, 0}, {0, 255, 0}, {0, 0, 255}};
  std::vector<uint8_t> idx(40 * 24);
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<uint8_t>(i % 4);
  return {
      {"png", testing::encode_png_rgb(img)},
      {"jpeg", testing::encode_jpeg(img, 80)},
      {"jpeg_progressive", testing::encode_jpeg(img, progressive)},
      {"webp_lossy", testing::encode_webp_lossy(img, 70)},
      {"webp_lossless", testing::encode_webp_lossless_rgba(40, 24, rgba)},
      {"gif", testing::encode_gif(40, 24, 0, 0, 40, 24, palette, idx)},
      {"bmp", testing::make_bmp24(img)},
  };
}

bool expected_error(StatusCode code) {
  return code == StatusCode::kDataLoss || code == StatusCode::kInvalidArgument ||
         code == StatusCode::kTooLarge || code == StatusCode::kResourceExhausted;
}

void check(const std::vector<uint8_t>& bytes, const std::string& what) {
  DecodeOptions options;
  options.max_pixels = 4'000'000;  // keeps mutated headers from allocating much
  Result<RgbImage> r = decode_image(bytes, options);
  if (r.ok()) {
    ASSERT_GT(r->width, 0) << what;
    ASSERT_GT(r->height, 0) << what;
    ASSERT_EQ(r->pixels.size(), size_t{3} * r->width * r->height) << what;
  } else {
    ASSERT_TRUE(expected_error(r.status().code())) << what << ": " << r.status().to_string();
    ASSERT_FALSE(r.status().message().empty()) << what;
  }
}

class DecodeRobustnessTest : public ::testing::TestWithParam<size_t> {};

TEST_P(DecodeRobustnessTest, MutationsAndTruncationsNeverCrash) {
  const Sample s = samples()[GetParam()];
  ASSERT_TRUE(decode_image(s.bytes).ok()) << s.name << " sample must decode";
  uint32_t seed = 12345;
  auto next = [&] { return seed = seed * 1664525u + 1013904223u; };
  for (size_t keep = 0; keep < s.bytes.size(); keep += 1 + s.bytes.size() / 97) {
    check({s.bytes.begin(), s.bytes.begin() + keep},
          std::string(s.name) + " cut " + std::to_string(keep));
  }
  for (int round = 0; round < 300; ++round) {
    std::vector<uint8_t> m = s.bytes;
    const int flips = 1 + static_cast<int>(next() % 4);
    for (int f = 0; f < flips; ++f) {
      // Bias towards the header, where the interesting fields live.
      const size_t span = (next() % 2) ? std::min<size_t>(m.size(), 64) : m.size();
      m[next() % span] = static_cast<uint8_t>(next() >> 24);
    }
    check(m, std::string(s.name) + " mutation " + std::to_string(round));
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, DecodeRobustnessTest, ::testing::Range<size_t>(0, 7),
                         [](const auto& info) { return std::string(samples()[info.param].name); });

}  // namespace
}  // namespace teamvl::engine
