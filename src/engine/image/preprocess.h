// Qwen-VL image preprocessing, as llama.cpp's mtmd does it for Qwen3-VL:
// "smart resize" to multiples of patch*merge within min/max pixels, an
// aspect-preserving bilinear resize centered on black, then mean/std
// normalization into the planar float tensor the vision encoder reads.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "base/status.h"
#include "engine/image/decode.h"

namespace teamvl::engine {

// What the vision model needs from an image. The vision model loader fills
// these from the mmproj GGUF (clip.vision.patch_size, spatial_merge_size,
// image_mean, image_std, ...); the defaults are Qwen3-VL's.
struct PreprocessParams {
  int patch_size = 16;
  int merge_size = 2;                   // merge x merge patches become one token
  int64_t min_pixels = 8 * 32 * 32;     // 8 image tokens (llama.cpp's default)
  int64_t max_pixels = 4096 * 32 * 32;  // 4096 image tokens
  std::array<float, 3> mean = {0.5f, 0.5f, 0.5f};
  std::array<float, 3> std = {0.5f, 0.5f, 0.5f};
  // Our own cap, applied before the smart resize: the image is scaled so its
  // longest side fits max_side rounded down to a multiple of patch*merge, and
  // no side of the result exceeds that. 0 disables it.
  int max_side = 768;

  int align() const { return patch_size * merge_size; }
};

// The geometry of a preprocessed image: computable from the original size
// alone, so a scheduler can count image tokens before decoding anything.
struct ImageLayout {
  int width = 0, height = 0;                  // tensor size; multiples of patch*merge
  int content_x = 0, content_y = 0;           // where the resized image sits in it
  int content_width = 0, content_height = 0;  // the rest is black (0,0,0)
  int patches_x = 0, patches_y = 0;           // width / patch_size, height / patch_size
  int merged_x = 0, merged_y = 0;             // token grid: patches / merge_size
  int n_tokens = 0;                           // merged_x * merged_y
};

// The encoder's input for one image; owns its pixels (4 * W * H * 3 bytes).
struct PreprocessedImage {
  ImageLayout layout;
  // Normalized pixels, planar {W, H, 3} (ggml order): pixels[(c*H + y)*W + x].
  std::vector<float> pixels;
};

// Checks the parameters (positive sizes, min <= max, non-zero std, a cap of
// at least one aligned block). kInvalidArgument otherwise.
Status validate_preprocess_params(const PreprocessParams& params);

// The target size, content box and token grid for an image of width x height.
Result<ImageLayout> plan_image_layout(int width, int height, const PreprocessParams& params);

// Bilinear resize with corner-aligned sampling and float math, truncating to
// uint8 (llama.cpp's img_tool bilinear). Sizes must be positive.
RgbImage resize_bilinear(const RgbImage& src, int width, int height);

// Resize, paste on black and normalize `image`. Thread-safe; no shared state.
Result<PreprocessedImage> preprocess_image(const RgbImage& image, const PreprocessParams& params);

}  // namespace teamvl::engine
