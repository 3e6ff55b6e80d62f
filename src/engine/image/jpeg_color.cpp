#include "engine/image/jpeg_color.h"

#include <vector>

namespace teamvl::engine::image_internal {
namespace {

// Rows of one component, walked the way stb_image walks them: each output row
// blends a "near" and a "far" source row for 2x vertical subsampling.
class RowUpsampler {
 public:
  RowUpsampler(const ComponentPlane& p, int out_width)
      : p_(p),
        w_lores_((out_width + p.h_ratio - 1) / p.h_ratio),
        buffer_(out_width + 3),
        step_(p.v_ratio >> 1),
        line0_(p.data),
        line1_(p.data) {}

  // The next output row, out_width samples long (valid until the next call).
  const uint8_t* next() {
    const bool bottom = step_ >= (p_.v_ratio >> 1);
    const uint8_t* near = bottom ? line1_ : line0_;
    const uint8_t* far = bottom ? line0_ : line1_;
    const uint8_t* row = resample(near, far);
    if (++step_ >= p_.v_ratio) {
      step_ = 0;
      line0_ = line1_;
      if (++source_row_ < p_.height) line1_ += p_.stride;
    }
    return row;
  }

 private:
  static uint8_t div4(int x) { return static_cast<uint8_t>(x >> 2); }
  static uint8_t div16(int x) { return static_cast<uint8_t>(x >> 4); }

  const uint8_t* resample(const uint8_t* near, const uint8_t* far) {
    const int hs = p_.h_ratio, vs = p_.v_ratio, w = w_lores_;
    uint8_t* out = buffer_.data();
    if (hs == 1 && vs == 1) return near;
    if (hs == 1 && vs == 2) {
      for (int i = 0; i < w; ++i) out[i] = div4(3 * near[i] + far[i] + 2);
    } else if (hs == 2 && vs == 1) {
      horizontal_2(near, w, out);
    } else if (hs == 2 && vs == 2) {
      both_2(near, far, w, out);
    } else {
      for (int i = 0; i < w; ++i) {
        for (int j = 0; j < hs; ++j) out[i * hs + j] = near[i];
      }
    }
    return out;
  }

  static void horizontal_2(const uint8_t* in, int w, uint8_t* out) {
    if (w == 1) {
      out[0] = out[1] = in[0];
      return;
    }
    out[0] = in[0];
    out[1] = div4(3 * in[0] + in[1] + 2);
    int i = 1;
    for (; i < w - 1; ++i) {
      const int n = 3 * in[i] + 2;
      out[2 * i] = div4(n + in[i - 1]);
      out[2 * i + 1] = div4(n + in[i + 1]);
    }
    out[2 * i] = div4(3 * in[w - 2] + in[w - 1] + 2);
    out[2 * i + 1] = in[w - 1];
  }

  static void both_2(const uint8_t* near, const uint8_t* far, int w, uint8_t* out) {
    int t1 = 3 * near[0] + far[0];
    if (w == 1) {
      out[0] = out[1] = div4(t1 + 2);
      return;
    }
    out[0] = div4(t1 + 2);
    for (int i = 1; i < w; ++i) {
      const int t0 = t1;
      t1 = 3 * near[i] + far[i];
      out[2 * i - 1] = div16(3 * t0 + t1 + 8);
      out[2 * i] = div16(3 * t1 + t0 + 8);
    }
    out[2 * w - 1] = div4(t1 + 2);
  }

  ComponentPlane p_;
  int w_lores_;
  std::vector<uint8_t> buffer_;
  int step_;
  int source_row_ = 0;
  const uint8_t* line0_;
  const uint8_t* line1_;
};

// Coefficients in 12.8 fixed point shifted to 20 fractional bits.
constexpr int fixed(float x) { return static_cast<int>(x * 4096.0f + 0.5f) * 256; }

uint8_t clamp255(int v) { return static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v); }

void convert_row(const uint8_t* y, const uint8_t* cb, const uint8_t* cr, int n, uint8_t* out) {
  for (int i = 0; i < n; ++i) {
    const int yf = (y[i] << 20) + (1 << 19);
    const int r_off = cr[i] - 128, b_off = cb[i] - 128;
    const int r = yf + r_off * fixed(1.40200f);
    const int g = yf + r_off * -fixed(0.71414f) +
                  static_cast<int>(static_cast<unsigned>(b_off * -fixed(0.34414f)) & 0xffff0000u);
    const int b = yf + b_off * fixed(1.77200f);
    out[3 * i] = clamp255(r >> 20);
    out[3 * i + 1] = clamp255(g >> 20);
    out[3 * i + 2] = clamp255(b >> 20);
  }
}

}  // namespace

void ycbcr_planes_to_rgb(const ComponentPlane (&planes)[3], int width, int height,
                         bool planes_are_rgb, uint8_t* out) {
  RowUpsampler y(planes[0], width), cb(planes[1], width), cr(planes[2], width);
  for (int row = 0; row < height; ++row) {
    const uint8_t* yr = y.next();
    const uint8_t* cbr = cb.next();
    const uint8_t* crr = cr.next();
    uint8_t* dst = out + static_cast<size_t>(row) * width * 3;
    if (!planes_are_rgb) {
      convert_row(yr, cbr, crr, width, dst);
      continue;
    }
    for (int i = 0; i < width; ++i)
      dst[3 * i] = yr[i], dst[3 * i + 1] = cbr[i], dst[3 * i + 2] = crr[i];
  }
}

}  // namespace teamvl::engine::image_internal
