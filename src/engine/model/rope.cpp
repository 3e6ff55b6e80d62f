#include "engine/model/rope.h"

#include <cmath>

namespace teamvl::engine {

void rope_cache(const RopeConfig& cfg, const std::array<int32_t, 4>& pos, float* cos_sin) {
  const float theta_scale = std::pow(cfg.base, -2.0f / static_cast<float>(cfg.head_dim));
  // One running angle per position component, each multiplied by theta_scale
  // per pair (float accumulation, as in ggml, so angles match bit for bit).
  float theta_t = static_cast<float>(pos[0]);
  float theta_h = static_cast<float>(pos[1]);
  float theta_w = static_cast<float>(pos[2]);
  float theta_e = static_cast<float>(pos[3]);
  const auto& s = cfg.sections;
  const int32_t sect_dims = s[0] + s[1] + s[2] + s[3];
  for (int32_t i0 = 0; i0 < cfg.head_dim; i0 += 2) {
    float theta = theta_t;
    if (cfg.mrope && sect_dims > 0) {
      // IMROPE: sectors cycle t, h, w; each component stops after 3*section pairs.
      const int32_t sector = (i0 / 2) % sect_dims;
      if (sector % 3 == 1 && sector < 3 * s[1]) {
        theta = theta_h;
      } else if (sector % 3 == 2 && sector < 3 * s[2]) {
        theta = theta_w;
      } else if (sector % 3 == 0 && sector < 3 * s[0]) {
        theta = theta_t;
      } else {
        theta = theta_e;
      }
    }
    cos_sin[i0] = std::cos(theta);
    cos_sin[i0 + 1] = std::sin(theta);
    theta_t *= theta_scale;
    theta_h *= theta_scale;
    theta_w *= theta_scale;
    theta_e *= theta_scale;
  }
}

void rope_apply(const RopeConfig& cfg, const float* cos_sin, float* x, int32_t n_heads) {
  const int32_t half = cfg.head_dim / 2;
  for (int32_t h = 0; h < n_heads; ++h) {
    float* v = x + static_cast<int64_t>(h) * cfg.head_dim;
    for (int32_t i = 0; i < half; ++i) {
      const float c = cos_sin[2 * i];
      const float sn = cos_sin[2 * i + 1];
      const float x0 = v[i];
      const float x1 = v[i + half];
      v[i] = x0 * c - x1 * sn;
      v[i + half] = x0 * sn + x1 * c;
    }
  }
}

}  // namespace teamvl::engine
