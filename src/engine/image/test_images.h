// Test-only helpers for image/ tests: read fixture files and write small
// images with the same libraries' encoders. Included by *_test.cpp only.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gif_lib.h>
#include <jpeglib.h>
#include <png.h>
#include <webp/encode.h>

#include "engine/image/decode.h"

namespace teamvl::engine::testing {

inline std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline std::string fixture_dir() { return std::string(TEAMVL_FIXTURES_DIR) + "/qwen3vl-tiny"; }

inline bool have_fixtures() {
  return std::ifstream(fixture_dir() + "/vision/embd.mmproj-F32.json").good();
}

// A deterministic test pattern: gradients plus a checkerboard.
inline RgbImage make_pattern(int w, int h) {
  RgbImage img;
  img.width = w;
  img.height = h;
  img.pixels.resize(static_cast<size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      uint8_t* p = img.pixel(x, y);
      p[0] = static_cast<uint8_t>(x * 255 / std::max(1, w - 1));
      p[1] = static_cast<uint8_t>(y * 255 / std::max(1, h - 1));
      p[2] = static_cast<uint8_t>(((x / 4 + y / 4) % 2) * 200 + 20);
    }
  }
  return img;
}

// The pattern plus deterministic noise, so JPEG blocks carry many coefficients.
inline RgbImage make_noisy(int w, int h, uint32_t seed = 1) {
  RgbImage img = make_pattern(w, h);
  for (uint8_t& v : img.pixels) {
    seed = seed * 1664525u + 1013904223u;
    v = static_cast<uint8_t>(std::clamp(int{v} + static_cast<int>(seed >> 27) - 16, 0, 255));
  }
  return img;
}

// PNG of `channels` samples per pixel (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA)
// at `bit_depth` 8 or 16 (samples given as 16-bit values when 16).
inline std::vector<uint8_t> encode_png(int w, int h, int color_type, int bit_depth,
                                       const std::vector<uint8_t>& raw, bool interlace = false) {
  std::vector<uint8_t> out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_set_write_fn(
      png, &out,
      [](png_structp p, png_bytep data, png_size_t n) {
        auto* v = static_cast<std::vector<uint8_t>*>(png_get_io_ptr(p));
        v->insert(v->end(), data, data + n);
      },
      nullptr);
  png_set_IHDR(png, info, w, h, bit_depth, color_type,
               interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  const size_t row_bytes = png_get_rowbytes(png, info);
  std::vector<png_bytep> rows(h);
  for (int y = 0; y < h; ++y) rows[y] = const_cast<uint8_t*>(raw.data()) + row_bytes * y;
  png_write_image(png, rows.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

inline std::vector<uint8_t> encode_png_rgb(const RgbImage& img) {
  return encode_png(img.width, img.height, PNG_COLOR_TYPE_RGB, 8, img.pixels);
}

struct JpegEncodeOptions {
  int quality = 90;
  int h_samp = 2, v_samp = 2;  // luma sampling factors (chroma is 1x1)
  bool progressive = false;
  bool grayscale = false;       // one component, from the red channel
  bool rgb_colorspace = false;  // store R, G, B (Adobe transform 0), no YCbCr
  std::vector<uint8_t> app1;    // written as an APP1 marker (EXIF) if not empty
};

inline std::vector<uint8_t> encode_jpeg(const RgbImage& img, const JpegEncodeOptions& o) {
  jpeg_compress_struct c;
  jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&c, &buf, &size);
  c.image_width = img.width;
  c.image_height = img.height;
  c.input_components = o.grayscale ? 1 : 3;
  c.in_color_space = o.grayscale ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&c);
  if (o.rgb_colorspace) jpeg_set_colorspace(&c, JCS_RGB);
  jpeg_set_quality(&c, o.quality, TRUE);
  if (!o.grayscale) {
    c.comp_info[0].h_samp_factor = o.h_samp;
    c.comp_info[0].v_samp_factor = o.v_samp;
  }
  if (o.progressive) jpeg_simple_progression(&c);
  jpeg_start_compress(&c, TRUE);
  if (!o.app1.empty()) {
    jpeg_write_marker(&c, JPEG_APP0 + 1, o.app1.data(), static_cast<unsigned>(o.app1.size()));
  }
  std::vector<uint8_t> gray(img.width);
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = const_cast<uint8_t*>(img.pixel(0, c.next_scanline));
    if (o.grayscale) {
      for (int x = 0; x < img.width; ++x) gray[x] = img.pixel(x, c.next_scanline)[0];
      row = gray.data();
    }
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  std::vector<uint8_t> out(buf, buf + size);
  free(buf);
  return out;
}

inline std::vector<uint8_t> encode_jpeg(const RgbImage& img, int quality = 90) {
  JpegEncodeOptions o;
  o.quality = quality;
  return encode_jpeg(img, o);
}

// A 4-component JPEG from raw C, M, Y, K samples, stored as CMYK or YCCK
// (libjpeg writes the Adobe marker, with inverted ink as Adobe does).
inline std::vector<uint8_t> encode_jpeg_cmyk(int w, int h, const std::vector<uint8_t>& cmyk,
                                             bool ycck) {
  jpeg_compress_struct c;
  jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&c, &buf, &size);
  c.image_width = w;
  c.image_height = h;
  c.input_components = 4;
  c.in_color_space = JCS_CMYK;
  jpeg_set_defaults(&c);
  jpeg_set_colorspace(&c, ycck ? JCS_YCCK : JCS_CMYK);
  jpeg_set_quality(&c, 95, TRUE);
  jpeg_start_compress(&c, TRUE);
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = const_cast<uint8_t*>(cmyk.data()) + size_t{c.next_scanline} * w * 4;
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  std::vector<uint8_t> out(buf, buf + size);
  free(buf);
  return out;
}

// Lossless, keeping the RGB of fully transparent pixels (config.exact).
inline std::vector<uint8_t> encode_webp_lossless_rgba(int w, int h,
                                                      const std::vector<uint8_t>& rgba) {
  WebPConfig config;
  WebPConfigInit(&config);
  config.lossless = 1;
  config.exact = 1;
  WebPPicture pic;
  WebPPictureInit(&pic);
  pic.use_argb = 1;
  pic.width = w;
  pic.height = h;
  WebPPictureImportRGBA(&pic, rgba.data(), w * 4);
  WebPMemoryWriter writer;
  WebPMemoryWriterInit(&writer);
  pic.writer = WebPMemoryWrite;
  pic.custom_ptr = &writer;
  WebPEncode(&config, &pic);
  std::vector<uint8_t> out(writer.mem, writer.mem + writer.size);
  WebPMemoryWriterClear(&writer);
  WebPPictureFree(&pic);
  return out;
}

inline std::vector<uint8_t> encode_webp_lossy(const RgbImage& img, float quality) {
  uint8_t* buf = nullptr;
  size_t size =
      WebPEncodeRGB(img.pixels.data(), img.width, img.height, img.width * 3, quality, &buf);
  std::vector<uint8_t> out(buf, buf + size);
  WebPFree(buf);
  return out;
}

// A GIF with a screen of sw x sh and one frame of indices at (left, top).
inline std::vector<uint8_t> encode_gif(int sw, int sh, int left, int top, int fw, int fh,
                                       const std::vector<GifColorType>& palette,
                                       const std::vector<uint8_t>& indices, int transparent = -1,
                                       bool interlace = false) {
  std::vector<uint8_t> out;
  int err = 0;
  GifFileType* gif = EGifOpen(
      &out,
      [](GifFileType* g, const GifByteType* data, int n) {
        auto* v = static_cast<std::vector<uint8_t>*>(g->UserData);
        v->insert(v->end(), data, data + n);
        return n;
      },
      &err);
  ColorMapObject* map = GifMakeMapObject(static_cast<int>(palette.size()), palette.data());
  EGifSetGifVersion(gif, true);
  EGifPutScreenDesc(gif, sw, sh, 8, 0, map);
  if (transparent >= 0) {
    GraphicsControlBlock gcb{};
    gcb.DisposalMode = DISPOSAL_UNSPECIFIED;
    gcb.TransparentColor = transparent;
    GifByteType ext[4];
    size_t len = EGifGCBToExtension(&gcb, ext);
    EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, static_cast<int>(len), ext);
  }
  EGifPutImageDesc(gif, left, top, fw, fh, interlace, nullptr);
  if (!interlace) {
    for (int y = 0; y < fh; ++y) {
      EGifPutLine(gif, const_cast<uint8_t*>(indices.data()) + y * fw, fw);
    }
  } else {
    static constexpr int kStart[4] = {0, 4, 2, 1}, kStep[4] = {8, 8, 4, 2};
    for (int p = 0; p < 4; ++p) {
      for (int y = kStart[p]; y < fh; y += kStep[p]) {
        EGifPutLine(gif, const_cast<uint8_t*>(indices.data()) + y * fw, fw);
      }
    }
  }
  EGifCloseFile(gif, &err);
  GifFreeMapObject(map);
  return out;
}

// A BMP written by hand: 24-bit bottom-up (or top-down) BGR rows.
inline std::vector<uint8_t> make_bmp24(const RgbImage& img, bool top_down = false) {
  const int stride = (img.width * 3 + 3) / 4 * 4;
  const uint32_t data_size = static_cast<uint32_t>(stride * img.height);
  std::vector<uint8_t> b(54 + data_size, 0);
  auto put32 = [&](size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
  };
  b[0] = 'B', b[1] = 'M';
  put32(2, static_cast<uint32_t>(b.size()));
  put32(10, 54);
  put32(14, 40);
  put32(18, static_cast<uint32_t>(img.width));
  put32(22, static_cast<uint32_t>(top_down ? -img.height : img.height));
  b[26] = 1;
  b[28] = 24;
  put32(34, data_size);
  for (int y = 0; y < img.height; ++y) {
    const int stored = top_down ? y : img.height - 1 - y;
    for (int x = 0; x < img.width; ++x) {
      const uint8_t* p = img.pixel(x, y);
      uint8_t* q = &b[54 + static_cast<size_t>(stored) * stride + x * 3];
      q[0] = p[2], q[1] = p[1], q[2] = p[0];
    }
  }
  return b;
}

}  // namespace teamvl::engine::testing
