#include "engine/image/exif_orientation.h"

#include <gtest/gtest.h>

#include "engine/image/test_images.h"

namespace teamvl::engine {
namespace {

// APP1 payload with one IFD0 entry: Orientation = `value`.
std::vector<uint8_t> exif_app1(int value, bool big_endian) {
  std::vector<uint8_t> p = {'E', 'x', 'i', 'f', 0, 0};
  auto u16 = [&](uint16_t v) {
    if (big_endian)
      p.insert(p.end(), {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)});
    else
      p.insert(p.end(), {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8)});
  };
  auto u32 = [&](uint32_t v) {
    if (big_endian) {
      u16(static_cast<uint16_t>(v >> 16));
      u16(static_cast<uint16_t>(v));
    } else {
      u16(static_cast<uint16_t>(v));
      u16(static_cast<uint16_t>(v >> 16));
    }
  };
  p.push_back(big_endian ? 'M' : 'I');
  p.push_back(big_endian ? 'M' : 'I');
  u16(42);
  u32(8);                               // IFD0 right after the header
  u16(2);                               // two entries: a dummy tag, then Orientation
  u16(0x010F), u16(2), u32(4), u32(0);  // Make (ASCII), ignored
  u16(0x0112), u16(3), u32(1), u16(static_cast<uint16_t>(value)), u16(0);
  u32(0);  // no next IFD
  return p;
}

TEST(ParseExifOrientation, ReadsBothByteOrders) {
  for (int v = 1; v <= 8; ++v) {
    EXPECT_EQ(parse_exif_orientation(exif_app1(v, false)), v);
    EXPECT_EQ(parse_exif_orientation(exif_app1(v, true)), v);
  }
}

TEST(ParseExifOrientation, MalformedMeansUpright) {
  EXPECT_EQ(parse_exif_orientation({}), 1);
  EXPECT_EQ(parse_exif_orientation(exif_app1(9, false)), 1);  // out of range
  EXPECT_EQ(parse_exif_orientation(exif_app1(0, false)), 1);
  std::vector<uint8_t> cut = exif_app1(6, false);
  cut.resize(cut.size() - 12);  // orientation entry cut off
  EXPECT_EQ(parse_exif_orientation(cut), 1);
  std::vector<uint8_t> bad_offset = exif_app1(6, false);
  bad_offset[10] = 0xFF;  // IFD0 offset far past the end
  EXPECT_EQ(parse_exif_orientation(bad_offset), 1);
  std::vector<uint8_t> not_exif = exif_app1(6, false);
  not_exif[0] = 'X';
  EXPECT_EQ(parse_exif_orientation(not_exif), 1);
}

// 3x2 image, pixel value = 10*y + x (+1 so nothing is 0), in all channels.
RgbImage tiny() {
  RgbImage img;
  img.width = 3, img.height = 2;
  img.pixels.resize(18);
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 3; ++x) std::fill_n(img.pixel(x, y), 3, 10 * y + x + 1);
  return img;
}

std::vector<int> values(const RgbImage& img) {
  std::vector<int> v;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x) v.push_back(img.pixel(x, y)[0]);
  return v;
}

TEST(ApplyExifOrientation, AllEightOrientations) {
  // Stored:  1  2  3
  //         11 12 13
  struct Case {
    int orientation, width, height;
    std::vector<int> pixels;
  } cases[] = {
      {1, 3, 2, {1, 2, 3, 11, 12, 13}}, {2, 3, 2, {3, 2, 1, 13, 12, 11}},  // mirror horizontally
      {3, 3, 2, {13, 12, 11, 3, 2, 1}},                                    // rotate 180
      {4, 3, 2, {11, 12, 13, 1, 2, 3}},                                    // mirror vertically
      {5, 2, 3, {1, 11, 2, 12, 3, 13}},                                    // transpose
      {6, 2, 3, {11, 1, 12, 2, 13, 3}},                                    // rotate 90 clockwise
      {7, 2, 3, {13, 3, 12, 2, 11, 1}},                                    // transverse
      {8, 2, 3, {3, 13, 2, 12, 1, 11}},  // rotate 90 counter-clockwise
  };
  for (const Case& c : cases) {
    RgbImage out = apply_exif_orientation(tiny(), c.orientation);
    EXPECT_EQ(out.width, c.width) << "orientation " << c.orientation;
    EXPECT_EQ(out.height, c.height) << "orientation " << c.orientation;
    EXPECT_EQ(values(out), c.pixels) << "orientation " << c.orientation;
  }
}

TEST(DecodeJpegExif, RotatesWhenTaggedAndOnlyWhenAsked) {
  // Left half red, right half blue, 32x16; tagged "rotate 90 clockwise".
  RgbImage src = testing::make_pattern(32, 16);
  for (int y = 0; y < 16; ++y) {
    for (int x = 0; x < 32; ++x) {
      uint8_t* p = src.pixel(x, y);
      p[0] = x < 16 ? 255 : 0, p[1] = 0, p[2] = x < 16 ? 0 : 255;
    }
  }
  testing::JpegEncodeOptions o;
  o.quality = 95;
  o.app1 = exif_app1(6, true);
  std::vector<uint8_t> jpeg = testing::encode_jpeg(src, o);

  Result<RgbImage> upright = decode_image(jpeg);
  ASSERT_TRUE(upright.ok()) << upright.status().to_string();
  EXPECT_EQ(upright->width, 16);
  EXPECT_EQ(upright->height, 32);
  EXPECT_GT(upright->pixel(8, 2)[0], 200);   // old left (red) is now on top
  EXPECT_GT(upright->pixel(8, 29)[2], 200);  // old right (blue) at the bottom

  DecodeOptions raw;
  raw.apply_exif_orientation = false;
  Result<RgbImage> stored = decode_image(jpeg, raw);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->width, 32);
  EXPECT_EQ(stored->height, 16);
}

}  // namespace
}  // namespace teamvl::engine
