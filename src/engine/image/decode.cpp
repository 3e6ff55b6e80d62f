#include "engine/image/decode.h"

#include <cstring>
#include <new>
#include <string>

#include "engine/image/decoders.h"

namespace teamvl::engine {

const char* image_format_name(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg: return "jpeg";
    case ImageFormat::kPng: return "png";
    case ImageFormat::kWebp: return "webp";
    case ImageFormat::kBmp: return "bmp";
    case ImageFormat::kGif: return "gif";
    case ImageFormat::kPdf: return "pdf";
    case ImageFormat::kUnknown: break;
  }
  return "unknown";
}

namespace {

bool starts_with(std::span<const uint8_t> bytes, std::string_view magic, size_t offset = 0) {
  return bytes.size() >= offset + magic.size() &&
         std::memcmp(bytes.data() + offset, magic.data(), magic.size()) == 0;
}

}  // namespace

ImageFormat sniff_image_format(std::span<const uint8_t> bytes) {
  if (starts_with(bytes, "\xFF\xD8\xFF")) return ImageFormat::kJpeg;
  if (starts_with(bytes, "\x89PNG\r\n\x1A\n")) return ImageFormat::kPng;
  if (starts_with(bytes, "RIFF") && starts_with(bytes, "WEBP", 8)) return ImageFormat::kWebp;
  if (starts_with(bytes, "GIF87a") || starts_with(bytes, "GIF89a")) return ImageFormat::kGif;
  if (starts_with(bytes, "BM") && bytes.size() >= 26) return ImageFormat::kBmp;
  if (starts_with(bytes, "%PDF-")) return ImageFormat::kPdf;
  return ImageFormat::kUnknown;
}

Result<RgbImage> decode_image(std::span<const uint8_t> bytes, const DecodeOptions& options) {
  if (bytes.empty()) return Status::InvalidArgument("image: empty file");
  if (options.max_pixels <= 0) return Status::InvalidArgument("image: max_pixels must be positive");
  using namespace image_internal;
  switch (sniff_image_format(bytes)) {
    case ImageFormat::kJpeg: return decode_jpeg(bytes, options);
    case ImageFormat::kPng: return decode_png(bytes, options);
    case ImageFormat::kWebp: return decode_webp(bytes, options);
    case ImageFormat::kGif: return decode_gif(bytes, options);
    case ImageFormat::kBmp: return decode_bmp(bytes, options);
    case ImageFormat::kPdf:
      return Status::InvalidArgument("image: a PDF is not an image; render its pages first");
    case ImageFormat::kUnknown: break;
  }
  return Status::InvalidArgument(
      "image: unrecognized format (expected JPEG, PNG, WebP, BMP or GIF)");
}

namespace image_internal {

Status check_image_size(std::string_view format, int64_t width, int64_t height,
                        const DecodeOptions& options) {
  std::string f(format);
  if (width <= 0 || height <= 0) {
    return Status::DataLoss(f + ": invalid image size " + std::to_string(width) + "x" +
                            std::to_string(height));
  }
  // Each side alone may not exceed the limit either, which keeps w*h from overflowing.
  if (width > options.max_pixels || height > options.max_pixels ||
      width * height > options.max_pixels) {
    return Status::TooLarge(f + ": image is " + std::to_string(width) + "x" +
                            std::to_string(height) + " pixels, over the limit of " +
                            std::to_string(options.max_pixels) + " pixels");
  }
  return Status::Ok();
}

Result<RgbImage> allocate_image(int width, int height) {
  RgbImage img;
  img.width = width;
  img.height = height;
  try {
    img.pixels.assign(static_cast<size_t>(width) * height * 3, 0);
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted("image: out of memory for " + std::to_string(width) + "x" +
                                     std::to_string(height) + " pixels");
  }
  return img;
}

}  // namespace image_internal
}  // namespace teamvl::engine
