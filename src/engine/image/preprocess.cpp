#include "engine/image/preprocess.h"

#include <algorithm>
#include <cmath>
#include <new>
#include <string>

namespace teamvl::engine {
namespace {

struct Size2 {
  int width, height;
};

// Qwen-VL "smart resize" in llama.cpp's float math: round each side to the
// alignment (half away from zero), then rescale into [min_pixels, max_pixels].
Size2 smart_resize(float width, float height, int align, int64_t min_pixels, int64_t max_pixels) {
  const float a = static_cast<float>(align);
  auto round_by = [&](float x) { return static_cast<int>(std::round(x / a)) * align; };
  auto ceil_by = [&](float x) { return static_cast<int>(std::ceil(x / a)) * align; };
  auto floor_by = [&](float x) { return static_cast<int>(std::floor(x / a)) * align; };
  int w = std::max(align, round_by(width));
  int h = std::max(align, round_by(height));
  if (int64_t{w} * h > max_pixels) {
    const float beta = std::sqrt(height * width / static_cast<float>(max_pixels));
    h = std::max(align, floor_by(height / beta));
    w = std::max(align, floor_by(width / beta));
  } else if (int64_t{w} * h < min_pixels) {
    const float beta = std::sqrt(static_cast<float>(min_pixels) / (height * width));
    h = ceil_by(height * beta);
    w = ceil_by(width * beta);
  }
  return {w, h};
}

// The target size with our max_side cap (rounded down to the alignment): the
// image is first scaled so its longest side fits the cap, so rounding to the
// alignment cannot exceed it; only min_pixels can, and the cap wins.
Size2 target_size(int width, int height, const PreprocessParams& p) {
  float w = static_cast<float>(width), h = static_cast<float>(height);
  const int longest = std::max(width, height);
  const int cap = p.max_side / p.align() * p.align();
  if (p.max_side > 0 && longest > cap) {
    const double s = static_cast<double>(cap) / longest;
    w = static_cast<float>(width * s);
    h = static_cast<float>(height * s);
  }
  Size2 t = smart_resize(w, h, p.align(), p.min_pixels, p.max_pixels);
  if (p.max_side > 0) {
    t.width = std::min(t.width, cap);
    t.height = std::min(t.height, cap);
  }
  // llama.cpp's formula overshoots max_pixels for extreme aspect ratios (the
  // short side is held at one block); shrink the long side so it cannot.
  if (int64_t{t.width} * t.height > p.max_pixels) {
    const int64_t blocks = p.max_pixels / (int64_t{p.align()} * p.align());
    int& long_side = t.width >= t.height ? t.width : t.height;
    const int short_blocks = (t.width >= t.height ? t.height : t.width) / p.align();
    long_side = static_cast<int>(std::max<int64_t>(1, blocks / short_blocks)) * p.align();
  }
  return t;
}

float lerp(float s, float e, float t) { return s + (e - s) * t; }

// Source coordinate step for corner-aligned sampling (first and last samples
// land on the first and last source pixels).
float sample_step(int src, int dst) {
  return dst > 1 ? static_cast<float>(src - 1) / static_cast<float>(dst - 1) : 0.0f;
}

}  // namespace

Status validate_preprocess_params(const PreprocessParams& p) {
  if (p.patch_size <= 0 || p.merge_size <= 0 || p.patch_size > 1024 || p.merge_size > 64) {
    return Status::InvalidArgument("preprocess: patch_size and merge_size must be positive");
  }
  if (p.min_pixels < 0 || p.max_pixels <= 0 || p.min_pixels > p.max_pixels) {
    return Status::InvalidArgument(
        "preprocess: need 0 <= min_pixels <= max_pixels, max_pixels > 0");
  }
  if (p.max_pixels < int64_t{p.align()} * p.align()) {
    return Status::InvalidArgument("preprocess: max_pixels is smaller than one token");
  }
  for (int c = 0; c < 3; ++c) {
    if (!std::isfinite(p.mean[c]) || !std::isfinite(p.std[c]) || p.std[c] == 0.0f) {
      return Status::InvalidArgument("preprocess: mean/std must be finite and std non-zero");
    }
  }
  if (p.max_side < 0 || (p.max_side > 0 && p.max_side < p.align())) {
    return Status::InvalidArgument("preprocess: max_side must be 0 (no cap) or at least " +
                                   std::to_string(p.align()));
  }
  return Status::Ok();
}

Result<ImageLayout> plan_image_layout(int width, int height, const PreprocessParams& params) {
  TEAMVL_RETURN_IF_ERROR(validate_preprocess_params(params));
  if (width <= 0 || height <= 0) {
    return Status::InvalidArgument("preprocess: empty image " + std::to_string(width) + "x" +
                                   std::to_string(height));
  }
  const Size2 t = target_size(width, height, params);
  ImageLayout l;
  l.width = t.width;
  l.height = t.height;
  const float scale =
      std::min(static_cast<float>(t.width) / width, static_cast<float>(t.height) / height);
  l.content_width = std::clamp(static_cast<int>(std::ceil(width * scale)), 1, t.width);
  l.content_height = std::clamp(static_cast<int>(std::ceil(height * scale)), 1, t.height);
  l.content_x = (t.width - l.content_width) / 2;
  l.content_y = (t.height - l.content_height) / 2;
  l.patches_x = t.width / params.patch_size;
  l.patches_y = t.height / params.patch_size;
  l.merged_x = l.patches_x / params.merge_size;
  l.merged_y = l.patches_y / params.merge_size;
  l.n_tokens = l.merged_x * l.merged_y;
  return l;
}

RgbImage resize_bilinear(const RgbImage& src, int width, int height) {
  RgbImage dst;
  dst.width = width;
  dst.height = height;
  dst.pixels.resize(static_cast<size_t>(width) * height * 3);
  const float x_step = sample_step(src.width, width);
  const float y_step = sample_step(src.height, height);
  for (int y = 0; y < height; ++y) {
    const float py = y_step * y;
    const int y0 = std::min(static_cast<int>(py), src.height - 1);
    const int y1 = std::min(y0 + 1, src.height - 1);
    const float ty = py - y0;
    for (int x = 0; x < width; ++x) {
      const float px = x_step * x;
      const int x0 = std::min(static_cast<int>(px), src.width - 1);
      const int x1 = std::min(x0 + 1, src.width - 1);
      const float tx = px - x0;
      const uint8_t *p00 = src.pixel(x0, y0), *p01 = src.pixel(x1, y0);
      const uint8_t *p10 = src.pixel(x0, y1), *p11 = src.pixel(x1, y1);
      uint8_t* out = dst.pixel(x, y);
      for (int c = 0; c < 3; ++c) {
        const float top = lerp(p00[c], p01[c], tx);
        const float bottom = lerp(p10[c], p11[c], tx);
        out[c] = static_cast<uint8_t>(lerp(top, bottom, ty));
      }
    }
  }
  return dst;
}

Result<PreprocessedImage> preprocess_image(const RgbImage& image, const PreprocessParams& params) {
  if (image.pixels.size() !=
      static_cast<size_t>(std::max(image.width, 0)) * std::max(image.height, 0) * 3) {
    return Status::InvalidArgument("preprocess: pixel buffer does not match the image size");
  }
  TEAMVL_ASSIGN_OR_RETURN(ImageLayout l, plan_image_layout(image.width, image.height, params));
  PreprocessedImage out;
  out.layout = l;
  try {
    const RgbImage content = resize_bilinear(image, l.content_width, l.content_height);
    const size_t plane = static_cast<size_t>(l.width) * l.height;
    out.pixels.resize(plane * 3);
    for (int c = 0; c < 3; ++c) {
      const float mean = params.mean[c], std = params.std[c];
      float* dst = out.pixels.data() + plane * c;
      std::fill(dst, dst + plane, (0.0f / 255.0f - mean) / std);  // black padding
      for (int y = 0; y < l.content_height; ++y) {
        float* row = dst + static_cast<size_t>(y + l.content_y) * l.width + l.content_x;
        for (int x = 0; x < l.content_width; ++x) {
          row[x] = (static_cast<float>(content.pixel(x, y)[c]) / 255.0f - mean) / std;
        }
      }
    }
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted("preprocess: out of memory");
  }
  return out;
}

}  // namespace teamvl::engine
