// Image decoding: JPEG, PNG, WebP, BMP and the first frame of a GIF, from bytes
// in memory to RGB8, the way llama.cpp's stb_image path sees them (alpha is
// dropped, not composited; 16-bit samples keep their high byte).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"

namespace teamvl::engine {

// An 8-bit RGB image, row-major, 3 bytes per pixel, no row padding.
struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;  // width * height * 3 bytes

  uint8_t* pixel(int x, int y) { return pixels.data() + (static_cast<size_t>(y) * width + x) * 3; }
  const uint8_t* pixel(int x, int y) const {
    return pixels.data() + (static_cast<size_t>(y) * width + x) * 3;
  }
};

enum class ImageFormat { kUnknown, kJpeg, kPng, kWebp, kBmp, kGif, kPdf };

// "jpeg", "png", ... ("unknown" for kUnknown).
const char* image_format_name(ImageFormat format);

// Looks only at the magic bytes; never fails. kPdf files go to pdf.h, not decode_image.
ImageFormat sniff_image_format(std::span<const uint8_t> bytes);

struct DecodeOptions {
  // Refuse images whose header claims more pixels than this, before any pixel
  // is decoded (decompression bombs). Checked on the stored size (pre-rotation).
  int64_t max_pixels = 50'000'000;
  // Rotate/flip JPEGs as their EXIF Orientation tag says (stb_image, hence
  // llama.cpp, ignores it; phone photos come out sideways without it).
  bool apply_exif_orientation = true;
};

// Decodes `bytes` (format sniffed). Errors: kInvalidArgument for an unknown or
// unsupported format, kTooLarge over max_pixels, kDataLoss for corrupt or
// truncated data, kResourceExhausted when memory runs out. Thread-safe.
Result<RgbImage> decode_image(std::span<const uint8_t> bytes, const DecodeOptions& options = {});

}  // namespace teamvl::engine
