// Internal to image/: one decoder per format, called by decode_image() after
// sniffing. Each checks the pixel limit from the header before decoding pixels.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "base/status.h"
#include "engine/image/decode.h"

namespace teamvl::engine::image_internal {

Result<RgbImage> decode_jpeg(std::span<const uint8_t> bytes, const DecodeOptions& options);
Result<RgbImage> decode_png(std::span<const uint8_t> bytes, const DecodeOptions& options);
Result<RgbImage> decode_webp(std::span<const uint8_t> bytes, const DecodeOptions& options);
Result<RgbImage> decode_gif(std::span<const uint8_t> bytes, const DecodeOptions& options);
Result<RgbImage> decode_bmp(std::span<const uint8_t> bytes, const DecodeOptions& options);

// OK when width x height is a sane, non-empty size within options.max_pixels;
// otherwise kDataLoss (zero/negative size) or kTooLarge naming the limit.
Status check_image_size(std::string_view format, int64_t width, int64_t height,
                        const DecodeOptions& options);

// Allocates a black width x height image (size already checked).
Result<RgbImage> allocate_image(int width, int height);

}  // namespace teamvl::engine::image_internal
