// Decoding the reference images gives what llama.cpp (stb_image) decoded.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "engine/image/decode.h"
#include "engine/image/test_images.h"

namespace teamvl::engine {
namespace {

using testing::fixture_dir;
using testing::read_file;

struct FixtureImage {
  const char* name;
  const char* file;
  int width, height;
  int max_abs_diff;  // 0: bit-exact (our JPEG path reproduces stb_image's arithmetic)
};

void PrintTo(const FixtureImage& f, std::ostream* os) { *os << f.file; }

class DecodeFixtureTest : public ::testing::TestWithParam<FixtureImage> {
 protected:
  void SetUp() override {
    if (!testing::have_fixtures()) GTEST_SKIP() << "fixtures not found under " << fixture_dir();
  }
};

TEST_P(DecodeFixtureTest, MatchesStbImageRgb) {
  const FixtureImage& f = GetParam();
  std::vector<uint8_t> bytes = read_file(fixture_dir() + "/images/" + f.file);
  std::vector<uint8_t> expected = read_file(fixture_dir() + "/vision/" + f.name + ".rgb");
  ASSERT_FALSE(bytes.empty());
  ASSERT_EQ(expected.size(), size_t{3} * f.width * f.height);

  Result<RgbImage> img = decode_image(bytes);
  ASSERT_TRUE(img.ok()) << img.status().to_string();
  EXPECT_EQ(img->width, f.width);
  EXPECT_EQ(img->height, f.height);
  ASSERT_EQ(img->pixels.size(), expected.size());
  int max_diff = 0;
  size_t n_diff = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    int d = std::abs(int{img->pixels[i]} - int{expected[i]});
    max_diff = std::max(max_diff, d);
    n_diff += d != 0;
  }
  RecordProperty("max_abs_diff", max_diff);
  RecordProperty("differing_bytes", static_cast<int>(n_diff));
  EXPECT_LE(max_diff, f.max_abs_diff) << n_diff << " of " << expected.size() << " bytes differ";
}

INSTANTIATE_TEST_SUITE_P(Fixtures, DecodeFixtureTest,
                         ::testing::Values(FixtureImage{"a_64x48", "a_64x48.png", 64, 48, 0},
                                           FixtureImage{"a_333x500", "a_333x500.png", 333, 500, 0},
                                           FixtureImage{"a_200x120", "a_200x120.jpg", 200, 120, 0}),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace teamvl::engine
