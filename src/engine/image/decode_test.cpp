// Decoding of every supported format from generated files, and a clear Status
// for every kind of bad input: corrupt, truncated, oversized, unknown.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <string>

#include "engine/image/decode.h"
#include "engine/image/test_images.h"

namespace teamvl::engine {
namespace {

using namespace std::string_literals;
using testing::encode_png;
using testing::make_pattern;

std::vector<uint8_t> bytes_of(std::string_view s) { return {s.begin(), s.end()}; }

uint32_t crc32(const uint8_t* p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return ~c;
}

void put_be32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24), p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8), p[3] = static_cast<uint8_t>(v);
}

// A real 1x1 PNG whose IHDR is rewritten (with a valid CRC) to claim w x h.
std::vector<uint8_t> png_claiming(uint32_t w, uint32_t h) {
  std::vector<uint8_t> png = testing::encode_png_rgb(make_pattern(1, 1));
  put_be32(&png[16], w);
  put_be32(&png[20], h);
  put_be32(&png[29], crc32(&png[12], 17));  // over "IHDR" + 13 data bytes
  return png;
}

void expect_same_pixels(const RgbImage& a, const RgbImage& b) {
  ASSERT_EQ(a.width, b.width);
  ASSERT_EQ(a.height, b.height);
  EXPECT_TRUE(a.pixels == b.pixels);
}

TEST(SniffImageFormat, RecognizesMagicBytes) {
  struct Case {
    std::string bytes;
    ImageFormat format;
  } cases[] = {
      {"\xFF\xD8\xFF\xE0rest"s, ImageFormat::kJpeg},
      {"\x89PNG\r\n\x1A\nrest"s, ImageFormat::kPng},
      {"RIFF\x10\0\0\0WEBPVP8 "s, ImageFormat::kWebp},
      {"RIFF\x10\0\0\0WAVEfmt "s, ImageFormat::kUnknown},
      {"GIF89a....", ImageFormat::kGif},
      {"GIF87a....", ImageFormat::kGif},
      {"BM" + std::string(30, '\0'), ImageFormat::kBmp},
      {"BM", ImageFormat::kUnknown},
      {"%PDF-1.7\n", ImageFormat::kPdf},
      {"hello world", ImageFormat::kUnknown},
      {"", ImageFormat::kUnknown},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(sniff_image_format(bytes_of(c.bytes)), c.format) << image_format_name(c.format);
  }
}

TEST(DecodeImage, RejectsEmptyUnknownAndPdf) {
  EXPECT_EQ(decode_image({}).status().code(), StatusCode::kInvalidArgument);
  Result<RgbImage> r = decode_image(bytes_of("definitely not an image"));
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("unrecognized format"), std::string::npos);
  EXPECT_EQ(decode_image(bytes_of("%PDF-1.4\n")).status().code(), StatusCode::kInvalidArgument);
}

TEST(DecodePng, RgbRoundTripIsExact) {
  RgbImage src = make_pattern(37, 23);
  Result<RgbImage> img = decode_image(testing::encode_png_rgb(src));
  ASSERT_TRUE(img.ok()) << img.status().to_string();
  expect_same_pixels(*img, src);
}

TEST(DecodePng, InterlacedRoundTripIsExact) {
  RgbImage src = make_pattern(19, 17);
  Result<RgbImage> img = decode_image(encode_png(19, 17, PNG_COLOR_TYPE_RGB, 8, src.pixels, true));
  ASSERT_TRUE(img.ok()) << img.status().to_string();
  expect_same_pixels(*img, src);
}

TEST(DecodePng, AlphaIsDroppedNotComposited) {
  // RGBA with alpha 0 and 128: the colour stays (stb_image drops alpha).
  std::vector<uint8_t> rgba = {200, 100, 50, 0, 10, 20, 30, 128};
  Result<RgbImage> img = decode_image(encode_png(2, 1, PNG_COLOR_TYPE_RGBA, 8, rgba));
  ASSERT_TRUE(img.ok()) << img.status().to_string();
  EXPECT_EQ(img->pixels, (std::vector<uint8_t>{200, 100, 50, 10, 20, 30}));
}

TEST(DecodePng, GrayAndGrayAlphaExpandToRgb) {
  Result<RgbImage> gray = decode_image(encode_png(2, 1, PNG_COLOR_TYPE_GRAY, 8, {7, 250}));
  ASSERT_TRUE(gray.ok());
  EXPECT_EQ(gray->pixels, (std::vector<uint8_t>{7, 7, 7, 250, 250, 250}));
  Result<RgbImage> ga = decode_image(encode_png(1, 1, PNG_COLOR_TYPE_GRAY_ALPHA, 8, {99, 0}));
  ASSERT_TRUE(ga.ok());
  EXPECT_EQ(ga->pixels, (std::vector<uint8_t>{99, 99, 99}));
  // 1-bit gray: 0b10100000 -> white, black, white.
  Result<RgbImage> bits = decode_image(encode_png(3, 1, PNG_COLOR_TYPE_GRAY, 1, {0xA0}));
  ASSERT_TRUE(bits.ok()) << bits.status().to_string();
  EXPECT_EQ(bits->pixels, (std::vector<uint8_t>{255, 255, 255, 0, 0, 0, 255, 255, 255}));
}

TEST(DecodePng, SixteenBitKeepsHighByte) {
  // Big-endian 16-bit samples: 0x12AB -> 0x12 (stb_image's >> 8, not rounding).
  std::vector<uint8_t> raw = {0x12, 0xAB, 0xFF, 0xFF, 0x00, 0xFF};
  Result<RgbImage> img = decode_image(encode_png(1, 1, PNG_COLOR_TYPE_RGB, 16, raw));
  ASSERT_TRUE(img.ok()) << img.status().to_string();
  EXPECT_EQ(img->pixels, (std::vector<uint8_t>{0x12, 0xFF, 0x00}));
}

TEST(DecodePng, OnePixelAndExtremeAspect) {
  for (auto [w, h] : {std::pair{1, 1}, std::pair{4000, 1}, std::pair{1, 3000}}) {
    RgbImage src = make_pattern(w, h);
    Result<RgbImage> img = decode_image(testing::encode_png_rgb(src));
    ASSERT_TRUE(img.ok()) << w << "x" << h << ": " << img.status().to_string();
    expect_same_pixels(*img, src);
  }
}

TEST(DecodePng, BombIsRefusedBeforeDecoding) {
  std::vector<uint8_t> png = png_claiming(100000, 100000);
  auto start = std::chrono::steady_clock::now();
  Result<RgbImage> img = decode_image(png);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(img.status().code(), StatusCode::kTooLarge) << img.status().to_string();
  EXPECT_NE(img.status().message().find("100000x100000"), std::string::npos);
  EXPECT_LT(elapsed, std::chrono::milliseconds(100));
  // Past libpng's own 1M-per-side default: still our limit, not a libpng error.
  Result<RgbImage> wide = decode_image(png_claiming(2000000, 100));
  EXPECT_EQ(wide.status().code(), StatusCode::kTooLarge) << wide.status().to_string();
}

TEST(DecodePng, PixelLimitIsAParameter) {
  std::vector<uint8_t> png = testing::encode_png_rgb(make_pattern(100, 100));
  DecodeOptions tight;
  tight.max_pixels = 9999;
  EXPECT_EQ(decode_image(png, tight).status().code(), StatusCode::kTooLarge);
  tight.max_pixels = 10000;
  EXPECT_TRUE(decode_image(png, tight).ok());
  tight.max_pixels = 0;
  EXPECT_EQ(decode_image(png, tight).status().code(), StatusCode::kInvalidArgument);
}

TEST(DecodePng, CorruptAndTruncatedGiveDataLoss) {
  std::vector<uint8_t> png = testing::encode_png_rgb(testing::make_noisy(64, 64));
  for (size_t keep : {size_t{8}, size_t{20}, size_t{40}, png.size() / 2, png.size() - 20}) {
    std::vector<uint8_t> cut(png.begin(), png.begin() + keep);
    Result<RgbImage> r = decode_image(cut);
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << "kept " << keep << " bytes";
  }
  std::vector<uint8_t> flipped = png;
  flipped[png.size() / 2] ^= 0xFF;  // inside IDAT: CRC mismatch
  Result<RgbImage> r = decode_image(flipped);
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("png:"), std::string::npos);
}

TEST(DecodeJpeg, OnePixelAndExtremeAspect) {
  for (auto [w, h] : {std::pair{1, 1}, std::pair{3000, 2}, std::pair{2, 3000}}) {
    Result<RgbImage> img = decode_image(testing::encode_jpeg(make_pattern(w, h)));
    ASSERT_TRUE(img.ok()) << w << "x" << h << ": " << img.status().to_string();
    EXPECT_EQ(img->width, w);
    EXPECT_EQ(img->height, h);
  }
}

TEST(DecodeJpeg, CloseToSourceAtHighQuality) {
  RgbImage src = make_pattern(64, 64);
  testing::JpegEncodeOptions o;
  o.quality = 100, o.h_samp = 1, o.v_samp = 1;
  Result<RgbImage> img = decode_image(testing::encode_jpeg(src, o));
  ASSERT_TRUE(img.ok());
  int max_diff = 0;
  for (size_t i = 0; i < src.pixels.size(); ++i) {
    max_diff = std::max(max_diff, std::abs(int{img->pixels[i]} - int{src.pixels[i]}));
  }
  EXPECT_LE(max_diff, 8);
}

TEST(DecodeJpeg, BombIsRefusedBeforeDecoding) {
  std::vector<uint8_t> jpeg = testing::encode_jpeg(make_pattern(16, 16));
  // Find the SOF0 marker and claim 60000 x 60000.
  size_t sof = 0;
  for (size_t i = 2; i + 9 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0) {
      sof = i;
      break;
    }
  }
  ASSERT_NE(sof, 0u);
  jpeg[sof + 5] = 0xEA, jpeg[sof + 6] = 0x60;  // height 60000
  jpeg[sof + 7] = 0xEA, jpeg[sof + 8] = 0x60;  // width 60000
  Result<RgbImage> img = decode_image(jpeg);
  EXPECT_EQ(img.status().code(), StatusCode::kTooLarge) << img.status().to_string();
}

TEST(DecodeJpeg, CorruptAndTruncatedGiveDataLoss) {
  for (bool progressive : {false, true}) {
    testing::JpegEncodeOptions o;
    o.progressive = progressive;
    std::vector<uint8_t> jpeg = testing::encode_jpeg(testing::make_noisy(64, 64), o);
    for (size_t keep : {size_t{3}, size_t{30}, jpeg.size() / 2, jpeg.size() - 2}) {
      std::vector<uint8_t> cut(jpeg.begin(), jpeg.begin() + keep);
      Result<RgbImage> r = decode_image(cut);
      EXPECT_EQ(r.status().code(), StatusCode::kDataLoss)
          << "progressive " << progressive << ", kept " << keep << ": " << r.status().to_string();
    }
  }
  std::vector<uint8_t> garbage = {0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x03, 0x01};
  EXPECT_EQ(decode_image(garbage).status().code(), StatusCode::kDataLoss);
}

TEST(DecodeJpeg, CmykAndYcckMultiplyInkByBlack) {
  // Uniform samples C=200 M=100 Y=50, K=255 then K=128: R = C*K/255 etc.
  // (Adobe files store inverted ink, so the stored values read as RGB-like).
  for (bool ycck : {false, true}) {
    for (int k : {255, 128}) {
      std::vector<uint8_t> cmyk;
      for (int i = 0; i < 16 * 16; ++i)
        cmyk.insert(cmyk.end(), {200, 100, 50, static_cast<uint8_t>(k)});
      Result<RgbImage> img = decode_image(testing::encode_jpeg_cmyk(16, 16, cmyk, ycck));
      ASSERT_TRUE(img.ok()) << img.status().to_string();
      const uint8_t* p = img->pixel(8, 8);
      SCOPED_TRACE(std::string(ycck ? "ycck" : "cmyk") + " k=" + std::to_string(k));
      EXPECT_NEAR(p[0], 200 * k / 255, 2);
      EXPECT_NEAR(p[1], 100 * k / 255, 2);
      EXPECT_NEAR(p[2], 50 * k / 255, 2);
    }
  }
}

TEST(DecodeWebp, LosslessDropsAlphaExactly) {
  std::vector<uint8_t> rgba = {255, 0, 0, 255, 0, 255, 0, 0, 0, 0, 255, 128, 9, 8, 7, 1};
  Result<RgbImage> img = decode_image(testing::encode_webp_lossless_rgba(2, 2, rgba));
  ASSERT_TRUE(img.ok()) << img.status().to_string();
  EXPECT_EQ(img->pixels, (std::vector<uint8_t>{255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 8, 7}));
}

TEST(DecodeWebp, LossyIsCloseToSource) {
  RgbImage src = make_pattern(48, 40);
  for (int y = 0; y < 40; ++y) {
    for (int x = 0; x < 48; ++x)
      src.pixel(x, y)[2] = static_cast<uint8_t>(2 * x + 3 * y);  // smooth
  }
  Result<RgbImage> img = decode_image(testing::encode_webp_lossy(src, 95));
  ASSERT_TRUE(img.ok()) << img.status().to_string();
  ASSERT_EQ(img->width, 48);
  ASSERT_EQ(img->height, 40);
  double total = 0;
  for (size_t i = 0; i < src.pixels.size(); ++i)
    total += std::abs(int{img->pixels[i]} - int{src.pixels[i]});
  EXPECT_LT(total / src.pixels.size(), 6.0);
}

TEST(DecodeWebp, BombTruncatedAndCorrupt) {
  std::vector<uint8_t> rgba(4 * 4 * 4, 77);
  std::vector<uint8_t> webp = testing::encode_webp_lossless_rgba(4, 4, rgba);
  ASSERT_EQ(std::string(webp.begin() + 12, webp.begin() + 16), "VP8L");
  // VP8L header after the 0x2F signature: 14 bits width-1, 14 bits height-1.
  std::vector<uint8_t> bomb = webp;
  const uint32_t bits = 16383u | (16383u << 14) | (uint32_t{bomb[24]} & 0xF0u) << 24;
  for (int i = 0; i < 4; ++i) bomb[21 + i] = static_cast<uint8_t>(bits >> (8 * i));
  EXPECT_EQ(decode_image(bomb).status().code(), StatusCode::kTooLarge);

  RgbImage noisy = testing::make_noisy(64, 64);
  std::vector<uint8_t> lossy = testing::encode_webp_lossy(noisy, 80);
  std::vector<uint8_t> cut(lossy.begin(), lossy.begin() + lossy.size() / 2);
  EXPECT_EQ(decode_image(cut).status().code(), StatusCode::kDataLoss);
  std::vector<uint8_t> header_only(lossy.begin(), lossy.begin() + 16);
  EXPECT_EQ(decode_image(header_only).status().code(), StatusCode::kDataLoss);
}

TEST(DecodeGif, FirstFrameWithPaletteTransparencyAndOffset) {
  std::vector<GifColorType> palette = {{0, 0, 0}, {255, 0, 0}, {0, 255, 0}, {0, 0, 255}};
  // Screen 4x3, frame 2x2 at (1,1); index 3 is transparent.
  std::vector<uint8_t> idx = {1, 2, 3, 1};
  Result<RgbImage> img = decode_image(testing::encode_gif(4, 3, 1, 1, 2, 2, palette, idx, 3));
  ASSERT_TRUE(img.ok()) << img.status().to_string();
  ASSERT_EQ(img->width, 4);
  ASSERT_EQ(img->height, 3);
  auto px = [&](int x, int y) {
    const uint8_t* p = img->pixel(x, y);
    return std::vector<uint8_t>{p[0], p[1], p[2]};
  };
  EXPECT_EQ(px(0, 0), (std::vector<uint8_t>{0, 0, 0}));  // outside the frame: black
  EXPECT_EQ(px(1, 1), (std::vector<uint8_t>{255, 0, 0}));
  EXPECT_EQ(px(2, 1), (std::vector<uint8_t>{0, 255, 0}));
  EXPECT_EQ(px(1, 2), (std::vector<uint8_t>{0, 0, 0}));  // transparent: black
  EXPECT_EQ(px(2, 2), (std::vector<uint8_t>{255, 0, 0}));
}

TEST(DecodeGif, InterlacedRowsLandInPlace) {
  std::vector<GifColorType> palette(16);
  for (int i = 0; i < 16; ++i) palette[i] = {static_cast<GifByteType>(i * 16), 0, 0};
  std::vector<uint8_t> idx(3 * 11);
  for (int y = 0; y < 11; ++y)
    for (int x = 0; x < 3; ++x) idx[y * 3 + x] = static_cast<uint8_t>(y);
  Result<RgbImage> img =
      decode_image(testing::encode_gif(3, 11, 0, 0, 3, 11, palette, idx, -1, true));
  ASSERT_TRUE(img.ok()) << img.status().to_string();
  for (int y = 0; y < 11; ++y) EXPECT_EQ(img->pixel(2, y)[0], y * 16) << "row " << y;
}

TEST(DecodeGif, BombAndTruncation) {
  std::vector<GifColorType> palette = {{0, 0, 0}, {255, 255, 255}};
  std::vector<uint8_t> idx(64 * 64, 1);
  std::vector<uint8_t> gif = testing::encode_gif(64, 64, 0, 0, 64, 64, palette, idx);
  std::vector<uint8_t> bomb = gif;
  bomb[6] = bomb[7] = bomb[8] = bomb[9] = 0xFF;  // screen 65535 x 65535
  EXPECT_EQ(decode_image(bomb).status().code(), StatusCode::kTooLarge);
  for (size_t keep : {size_t{10}, size_t{30}, gif.size() / 2}) {
    std::vector<uint8_t> cut(gif.begin(), gif.begin() + keep);
    EXPECT_EQ(decode_image(cut).status().code(), StatusCode::kDataLoss) << "kept " << keep;
  }
}

TEST(DecodeBmp, TwentyFourBitBottomUpAndTopDown) {
  RgbImage src = make_pattern(7, 5);  // 21-byte rows: padding to 24
  for (bool top_down : {false, true}) {
    Result<RgbImage> img = decode_image(testing::make_bmp24(src, top_down));
    ASSERT_TRUE(img.ok()) << img.status().to_string();
    expect_same_pixels(*img, src);
  }
}

// Hand-made BMPs: 40-byte header + palette or bit masks.
std::vector<uint8_t> bmp_with(int w, int h, int bpp, uint32_t compression,
                              const std::vector<uint8_t>& extra, const std::vector<uint8_t>& rows) {
  std::vector<uint8_t> b(54, 0);
  auto put32 = [&](size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
  };
  b[0] = 'B', b[1] = 'M';
  put32(10, static_cast<uint32_t>(54 + extra.size()));
  put32(14, 40);
  put32(18, static_cast<uint32_t>(w));
  put32(22, static_cast<uint32_t>(h));
  b[26] = 1;
  b[28] = static_cast<uint8_t>(bpp);
  put32(30, compression);
  b.insert(b.end(), extra.begin(), extra.end());
  b.insert(b.end(), rows.begin(), rows.end());
  put32(2, static_cast<uint32_t>(b.size()));
  return b;
}

TEST(DecodeBmp, PaletteAndBitfields) {
  // 8-bit palette, 2x2 bottom-up, rows padded to 4 bytes.
  std::vector<uint8_t> palette = {0, 0, 255, 0, /*red*/ 255, 0, 0, 0 /*blue*/};
  std::vector<uint8_t> rows = {1, 0, 0, 0, /*bottom*/ 0, 1, 0, 0 /*top*/};
  Result<RgbImage> p8 = decode_image(bmp_with(2, 2, 8, 0, palette, rows));
  ASSERT_TRUE(p8.ok()) << p8.status().to_string();
  EXPECT_EQ(p8->pixels, (std::vector<uint8_t>{255, 0, 0, 0, 0, 255, 0, 0, 255, 255, 0, 0}));

  // 1-bit: 0b10000000 -> palette[1], palette[0], palette[0].
  Result<RgbImage> p1 = decode_image(bmp_with(3, 1, 1, 0, palette, {0x80, 0, 0, 0}));
  ASSERT_TRUE(p1.ok()) << p1.status().to_string();
  EXPECT_EQ(p1->pixels, (std::vector<uint8_t>{0, 0, 255, 255, 0, 0, 255, 0, 0}));

  // 32-bit BI_BITFIELDS with masks R=0xFF000000 G=0x00FF0000 B=0x0000FF00.
  std::vector<uint8_t> masks = {0, 0, 0, 0xFF, 0, 0, 0xFF, 0, 0, 0xFF, 0, 0};
  Result<RgbImage> bf = decode_image(bmp_with(1, 1, 32, 3, masks, {0x00, 0x30, 0x20, 0x10}));
  ASSERT_TRUE(bf.ok()) << bf.status().to_string();
  EXPECT_EQ(bf->pixels, (std::vector<uint8_t>{0x10, 0x20, 0x30}));

  // 16-bit 5-5-5: pure red 0x7C00 -> 255, 0, 0.
  Result<RgbImage> p16 = decode_image(bmp_with(1, 1, 16, 0, {}, {0x00, 0x7C, 0, 0}));
  ASSERT_TRUE(p16.ok()) << p16.status().to_string();
  EXPECT_EQ(p16->pixels, (std::vector<uint8_t>{255, 0, 0}));
}

TEST(DecodeBmp, BadInputs) {
  RgbImage src = make_pattern(8, 8);
  std::vector<uint8_t> bmp = testing::make_bmp24(src);
  std::vector<uint8_t> cut(bmp.begin(), bmp.end() - 10);
  EXPECT_EQ(decode_image(cut).status().code(), StatusCode::kDataLoss);
  std::vector<uint8_t> bomb = bmp;
  bomb[18] = 0xA0, bomb[19] = 0x86, bomb[20] = 0x01;  // width 100000
  bomb[22] = 0xA0, bomb[23] = 0x86, bomb[24] = 0x01;  // height 100000
  EXPECT_EQ(decode_image(bomb).status().code(), StatusCode::kTooLarge);
  std::vector<uint8_t> rle = bmp_with(2, 2, 8, 1, std::vector<uint8_t>(8, 0), {0, 0});
  EXPECT_EQ(decode_image(rle).status().code(), StatusCode::kInvalidArgument);
  std::vector<uint8_t> zero = bmp;
  zero[18] = zero[19] = zero[20] = zero[21] = 0;
  EXPECT_EQ(decode_image(zero).status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace teamvl::engine
