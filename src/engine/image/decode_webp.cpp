// WebP (lossy and lossless, still images) via libwebp; alpha is dropped.
#include <string>

#include <webp/decode.h>

#include "engine/image/decoders.h"

namespace teamvl::engine::image_internal {
namespace {

const char* vp8_status_text(VP8StatusCode code) {
  switch (code) {
    case VP8_STATUS_OK: return "ok";
    case VP8_STATUS_OUT_OF_MEMORY: return "out of memory";
    case VP8_STATUS_INVALID_PARAM: return "invalid parameter";
    case VP8_STATUS_BITSTREAM_ERROR: return "bitstream error";
    case VP8_STATUS_UNSUPPORTED_FEATURE: return "unsupported feature";
    case VP8_STATUS_SUSPENDED: return "suspended";
    case VP8_STATUS_USER_ABORT: return "aborted";
    case VP8_STATUS_NOT_ENOUGH_DATA: return "truncated data";
  }
  return "unknown error";
}

Status webp_error(VP8StatusCode code) {
  std::string msg = std::string("webp: corrupt or truncated file: ") + vp8_status_text(code);
  if (code == VP8_STATUS_OUT_OF_MEMORY) return Status::ResourceExhausted(msg);
  if (code == VP8_STATUS_UNSUPPORTED_FEATURE) return Status::InvalidArgument(msg);
  return Status::DataLoss(msg);
}

}  // namespace

Result<RgbImage> decode_webp(std::span<const uint8_t> bytes, const DecodeOptions& options) {
  WebPBitstreamFeatures features;
  VP8StatusCode code = WebPGetFeatures(bytes.data(), bytes.size(), &features);
  if (code != VP8_STATUS_OK) return webp_error(code);
  if (features.has_animation) {
    return Status::InvalidArgument("webp: animated WebP is not supported");
  }
  TEAMVL_RETURN_IF_ERROR(check_image_size("webp", features.width, features.height, options));
  TEAMVL_ASSIGN_OR_RETURN(RgbImage img, allocate_image(features.width, features.height));

  WebPDecoderConfig config;
  if (!WebPInitDecoderConfig(&config)) return Status::Internal("webp: library version mismatch");
  config.output.colorspace = MODE_RGB;
  config.output.is_external_memory = 1;
  config.output.u.RGBA.rgba = img.pixels.data();
  config.output.u.RGBA.stride = img.width * 3;
  config.output.u.RGBA.size = img.pixels.size();
  code = WebPDecode(bytes.data(), bytes.size(), &config);
  WebPFreeDecBuffer(&config.output);
  if (code != VP8_STATUS_OK) return webp_error(code);
  return img;
}

}  // namespace teamvl::engine::image_internal
