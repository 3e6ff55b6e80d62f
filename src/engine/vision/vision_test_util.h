// Test helpers (header-only, for *_test.cpp files in vision/ and multimodal/):
// small random mmproj files written once per test process, fixture paths,
// raw float files and the relative error the bars use.
#pragma once

#include <cmath>
#include <cstdint>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "engine/image/decode.h"
#include "engine/model/test_models.h"
#include "engine/vision/random_mmproj.h"

namespace teamvl::engine::testing {

// Path of a random mmproj written from `spec` under `tag` (once per process);
// "" if writing failed.
inline std::string random_mmproj_path(const std::string& tag, const RandomMmprojSpec& spec) {
  static std::mutex mu;
  static std::map<std::string, std::string> paths;
  std::lock_guard lock(mu);
  auto it = paths.find(tag);
  if (it != paths.end()) return it->second;
  const std::string path = (scratch_dir() / ("mmproj-" + tag + ".gguf")).string();
  paths[tag] = write_random_mmproj(spec, path).ok() ? path : "";
  return paths[tag];
}

// ||a - b|| / ||b|| over n values.
inline double rel_error(const float* a, const float* b, size_t n) {
  double num = 0, den = 0;
  for (size_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(a[i]) - b[i];
    num += d * d;
    den += static_cast<double>(b[i]) * b[i];
  }
  return den > 0 ? std::sqrt(num / den) : std::sqrt(num);
}

// A raw little-endian float32 file (empty when unreadable).
inline std::vector<float> read_f32_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return {};
  const auto size = static_cast<size_t>(in.tellg());
  std::vector<float> v(size / sizeof(float));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(float)));
  return in ? v : std::vector<float>{};
}

inline std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A deterministic RGB test image with smooth gradients and some noise.
inline RgbImage pattern_image(int w, int h, uint32_t seed = 1) {
  RgbImage img;
  img.width = w;
  img.height = h;
  img.pixels.resize(static_cast<size_t>(w) * h * 3);
  uint32_t s = seed;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      s = s * 1664525u + 1013904223u;
      uint8_t* p = img.pixel(x, y);
      p[0] = static_cast<uint8_t>((x * 255) / std::max(1, w - 1));
      p[1] = static_cast<uint8_t>((y * 255) / std::max(1, h - 1));
      p[2] = static_cast<uint8_t>(s >> 24);
    }
  }
  return img;
}

}  // namespace teamvl::engine::testing
