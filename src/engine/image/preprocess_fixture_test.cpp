// Preprocessing the reference images gives llama.cpp's sizes, grids, token
// counts (README §4) and its normalized input tensor inp_raw (bit-exact).
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/image/preprocess.h"
#include "engine/image/test_images.h"

namespace teamvl::engine {
namespace {

using testing::fixture_dir;
using testing::read_file;

struct Expected {
  const char* name;
  int width, height;   // original
  int out_w, out_h;    // resized
  int cx, cy, cw, ch;  // content box
  int gx, gy, tokens;  // merged grid
};

// README §4: a_200x120 has 6 black rows top and bottom; a_333x500 15 top / 16 bottom.
constexpr Expected kTable[] = {
    {"a_64x48", 64, 48, 128, 96, 0, 0, 128, 96, 4, 3, 12},
    {"a_200x120", 200, 120, 192, 128, 0, 6, 192, 116, 6, 4, 24},
    {"a_333x500", 333, 500, 320, 512, 0, 15, 320, 481, 10, 16, 160},
};

void PrintTo(const Expected& e, std::ostream* os) { *os << e.name; }

class PreprocessFixtureTest : public ::testing::TestWithParam<Expected> {
 protected:
  void SetUp() override {
    if (!testing::have_fixtures()) GTEST_SKIP() << "fixtures not found under " << fixture_dir();
  }
  RgbImage load_rgb(const Expected& e) {
    RgbImage img;
    img.width = e.width;
    img.height = e.height;
    img.pixels = read_file(fixture_dir() + "/vision/" + e.name + ".rgb");
    return img;
  }
};

TEST_P(PreprocessFixtureTest, LayoutMatchesReadmeTable) {
  const Expected& e = GetParam();
  Result<ImageLayout> l = plan_image_layout(e.width, e.height, PreprocessParams{});
  ASSERT_TRUE(l.ok()) << l.status().to_string();
  EXPECT_EQ(l->width, e.out_w);
  EXPECT_EQ(l->height, e.out_h);
  EXPECT_EQ(l->content_x, e.cx);
  EXPECT_EQ(l->content_y, e.cy);
  EXPECT_EQ(l->content_width, e.cw);
  EXPECT_EQ(l->content_height, e.ch);
  EXPECT_EQ(l->patches_x, e.out_w / 16);
  EXPECT_EQ(l->patches_y, e.out_h / 16);
  EXPECT_EQ(l->merged_x, e.gx);
  EXPECT_EQ(l->merged_y, e.gy);
  EXPECT_EQ(l->n_tokens, e.tokens);
}

TEST_P(PreprocessFixtureTest, LayoutMatchesEmbdJson) {
  const Expected& e = GetParam();
  std::ifstream in(fixture_dir() + "/vision/embd.mmproj-F32.json");
  nlohmann::json j = nlohmann::json::parse(in);
  bool found = false;
  for (const auto& img : j["images"]) {
    if (img["id"] != e.name) continue;
    found = true;
    Result<ImageLayout> l = plan_image_layout(img["image_nx"].get<int>(),
                                              img["image_ny"].get<int>(), PreprocessParams{});
    ASSERT_TRUE(l.ok());
    for (const auto& chunk : img["chunks"]) {
      if (chunk["type"] != "image") continue;
      EXPECT_EQ(l->merged_x, chunk["grid_x"].get<int>());
      EXPECT_EQ(l->merged_y, chunk["grid_y"].get<int>());
      EXPECT_EQ(l->n_tokens, chunk["n_tokens"].get<int>());
    }
    EXPECT_EQ(l->n_tokens, img["embd_shape"][0].get<int>());
  }
  EXPECT_TRUE(found) << e.name << " missing from embd.mmproj-F32.json";
}

class InpRawFixtureTest : public PreprocessFixtureTest {};

TEST_P(InpRawFixtureTest, InpRawIsBitExact) {
  const Expected& e = GetParam();
  std::ifstream in(fixture_dir() + "/debug/capture.embd.mmproj-F32.json");
  nlohmann::json j = nlohmann::json::parse(in);
  const auto& cap = j[std::string(e.name) + ".mmproj-F32.inp_raw"];
  ASSERT_EQ(cap["ne"][0].get<int>(), e.out_w);
  ASSERT_EQ(cap["ne"][1].get<int>(), e.out_h);
  ASSERT_EQ(cap["ne"][2].get<int>(), 3);
  std::vector<uint8_t> raw = read_file(fixture_dir() + "/debug/" + cap["file"].get<std::string>());
  ASSERT_EQ(raw.size(), size_t{4} * e.out_w * e.out_h * 3);
  std::vector<float> expected(raw.size() / 4);
  std::memcpy(expected.data(), raw.data(), raw.size());

  Result<PreprocessedImage> p = preprocess_image(load_rgb(e), PreprocessParams{});
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  ASSERT_EQ(p->pixels.size(), expected.size());
  size_t n_diff = 0, first = 0;
  float max_diff = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    if (std::bit_cast<uint32_t>(p->pixels[i]) != std::bit_cast<uint32_t>(expected[i])) {
      if (n_diff++ == 0) first = i;
      max_diff = std::max(max_diff, std::fabs(p->pixels[i] - expected[i]));
    }
  }
  EXPECT_EQ(n_diff, 0u) << "first mismatch at " << first << " (c=" << first / (e.out_w * e.out_h)
                        << "), max |diff| " << max_diff;
}

// The whole path: image file -> decode -> preprocess, bit-exact with inp_raw.
TEST_P(InpRawFixtureTest, FromImageFileIsBitExact) {
  const Expected& e = GetParam();
  const std::string file = std::string(e.name) + (e.width == 200 ? ".jpg" : ".png");
  Result<RgbImage> img = decode_image(read_file(fixture_dir() + "/images/" + file));
  ASSERT_TRUE(img.ok()) << img.status().to_string();
  Result<PreprocessedImage> p = preprocess_image(*img, PreprocessParams{});
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  std::vector<uint8_t> raw =
      read_file(fixture_dir() + "/debug/" + e.name + ".mmproj-F32.inp_raw.f32");
  ASSERT_EQ(raw.size(), p->pixels.size() * 4);
  EXPECT_EQ(std::memcmp(raw.data(), p->pixels.data(), raw.size()), 0);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, PreprocessFixtureTest, ::testing::ValuesIn(kTable),
                         [](const auto& info) { return std::string(info.param.name); });

// debug/ holds inp_raw captures for the first two images only.
INSTANTIATE_TEST_SUITE_P(Fixtures, InpRawFixtureTest, ::testing::Values(kTable[0], kTable[1]),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace teamvl::engine
