#include "engine/vision/vision_ops.h"

#include <algorithm>
#include <cmath>

namespace teamvl::engine {

std::vector<PatchCoord> merge_order(int32_t patches_x, int32_t patches_y, int32_t merge) {
  std::vector<PatchCoord> order;
  order.reserve(static_cast<size_t>(patches_x) * patches_y);
  for (int32_t my = 0; my < patches_y; my += merge) {
    for (int32_t mx = 0; mx < patches_x; mx += merge) {
      for (int32_t dy = 0; dy < merge; ++dy) {
        for (int32_t dx = 0; dx < merge; ++dx) order.push_back({my + dy, mx + dx});
      }
    }
  }
  return order;
}

void extract_patches(const PreprocessedImage& image, int32_t ps, const std::vector<PatchCoord>& order, float* out) {
  const int64_t W = image.layout.width, H = image.layout.height;
  const int64_t row = int64_t{3} * ps * ps;
  for (size_t p = 0; p < order.size(); ++p) {
    float* o = out + static_cast<int64_t>(p) * row;
    for (int64_t c = 0; c < 3; ++c) {
      for (int32_t ky = 0; ky < ps; ++ky) {
        const float* src = image.pixels.data() + (c * H + order[p].y * ps + ky) * W + int64_t{order[p].x} * ps;
        std::copy(src, src + ps, o + (c * ps + ky) * ps);
      }
    }
  }
}

namespace {

// Source coordinate, cells and weight of output index i along one axis
// (ggml's bilinear upscale with GGML_SCALE_FLAG_ALIGN_CORNERS).
struct Tap {
  int32_t i0, i1;
  float w;  // weight of i1
};

std::vector<Tap> taps(int32_t src, int32_t dst) {
  float sf = static_cast<float>(dst) / static_cast<float>(src);
  if (dst > 1 && src > 1) sf = static_cast<float>(dst - 1) / static_cast<float>(src - 1);
  std::vector<Tap> t(dst);
  for (int32_t i = 0; i < dst; ++i) {
    const float s = static_cast<float>(i) / sf;
    const float f = std::floor(s);
    const auto i0 = static_cast<int32_t>(f);
    t[i].i0 = std::clamp(i0, 0, src - 1);
    t[i].i1 = std::clamp(i0 + 1, 0, src - 1);
    t[i].w = std::clamp(s - f, 0.0f, 1.0f);
  }
  return t;
}

}  // namespace

void interpolate_position_grid(const float* pos, int32_t D, int32_t side, int32_t patches_x, int32_t patches_y,
                               const std::vector<PatchCoord>& order, float* out) {
  const std::vector<Tap> tx = taps(side, patches_x), ty = taps(side, patches_y);
  for (size_t p = 0; p < order.size(); ++p) {
    const Tap& a = tx[order[p].x];
    const Tap& b = ty[order[p].y];
    const float dx = a.w, dy = b.w;
    const float* v00 = pos + (int64_t{b.i0} * side + a.i0) * D;
    const float* v01 = pos + (int64_t{b.i0} * side + a.i1) * D;
    const float* v10 = pos + (int64_t{b.i1} * side + a.i0) * D;
    const float* v11 = pos + (int64_t{b.i1} * side + a.i1) * D;
    float* o = out + static_cast<int64_t>(p) * D;
    for (int32_t d = 0; d < D; ++d) {
      o[d] = v00[d] * (1 - dx) * (1 - dy) + v01[d] * dx * (1 - dy) + v10[d] * (1 - dx) * dy + v11[d] * dx * dy;
    }
  }
}

void vision_rope_cache(const std::vector<PatchCoord>& order, int32_t head_dim, float base, float* cos_sin) {
  const int32_t half = head_dim / 2, quarter = head_dim / 4;
  const float theta_scale = std::pow(base, -2.0f / static_cast<float>(half));
  for (size_t p = 0; p < order.size(); ++p) {
    float* cs = cos_sin + static_cast<int64_t>(p) * head_dim;
    float theta = 0.0f;
    for (int32_t j = 0; j < half; ++j) {
      if (j == 0) theta = static_cast<float>(order[p].y);
      if (j == quarter) theta = static_cast<float>(order[p].x);
      cs[2 * j] = std::cos(theta);
      cs[2 * j + 1] = std::sin(theta);
      theta *= theta_scale;
    }
  }
}

void vision_rope_apply(float* x, int32_t n_head, int32_t head_dim, const float* cos_sin) {
  const int32_t half = head_dim / 2;
  for (int32_t h = 0; h < n_head; ++h) {
    float* v = x + static_cast<int64_t>(h) * head_dim;
    for (int32_t j = 0; j < half; ++j) {
      const float c = cos_sin[2 * j], s = cos_sin[2 * j + 1];
      const float a = v[j], b = v[j + half];
      v[j] = a * c - b * s;
      v[j + half] = a * s + b * c;
    }
  }
}

}  // namespace teamvl::engine
