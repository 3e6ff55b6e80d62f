#include "engine/image/jpeg_idct.h"

namespace teamvl::engine::image_internal {
namespace {

// Sums and products wrap modulo 2^32 (unsigned, so well defined) exactly as
// stb_image's int arithmetic does on our targets; only the final shifts are
// signed. Real JPEG data never gets near the wrap.
using U = uint32_t;

// A constant in 12-bit fixed point, rounded the way stb_image rounds it.
constexpr U f2f(float x) {
  return static_cast<U>(static_cast<int>(static_cast<double>(x * 4096.0f) + 0.5));
}

// Arithmetic right shift of a wrapped value.
int32_t shr(U v, int bits) { return static_cast<int32_t>(v) >> bits; }

// The even part (x0..x3) and odd part (t0..t3) of one 8-point IDCT; outputs
// are x0+t3, x1+t2, x2+t1, x3+t0, x3-t0, x2-t1, x1-t2, x0-t3.
struct Butterfly {
  U x0, x1, x2, x3, t0, t1, t2, t3;
};

Butterfly idct_1d(U s0, U s1, U s2, U s3, U s4, U s5, U s6, U s7) {
  Butterfly b;
  const U even_rot = (s2 + s6) * f2f(0.5411961f);
  const U e2 = even_rot + s6 * f2f(-1.847759065f);
  const U e3 = even_rot + s2 * f2f(0.765366865f);
  const U e0 = (s0 + s4) * 4096u;
  const U e1 = (s0 - s4) * 4096u;
  b.x0 = e0 + e3;
  b.x3 = e0 - e3;
  b.x1 = e1 + e2;
  b.x2 = e1 - e2;

  U o0 = s7, o1 = s5, o2 = s3, o3 = s1;
  U p3 = o0 + o2, p4 = o1 + o3, p1 = o0 + o3, p2 = o1 + o2;
  const U p5 = (p3 + p4) * f2f(1.175875602f);
  o0 *= f2f(0.298631336f);
  o1 *= f2f(2.053119869f);
  o2 *= f2f(3.072711026f);
  o3 *= f2f(1.501321110f);
  p1 = p5 + p1 * f2f(-0.899976223f);
  p2 = p5 + p2 * f2f(-2.562915447f);
  p3 *= f2f(-1.961570560f);
  p4 *= f2f(-0.390180644f);
  b.t3 = o3 + p1 + p4;
  b.t2 = o2 + p2 + p3;
  b.t1 = o1 + p2 + p4;
  b.t0 = o0 + p1 + p3;
  return b;
}

uint8_t clamp255(int32_t v) { return static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v); }

}  // namespace

void idct_8x8(const int16_t* coefficients, const uint16_t* quant, uint8_t* out, size_t stride) {
  int16_t d[64];
  for (int i = 0; i < 64; ++i) d[i] = static_cast<int16_t>(coefficients[i] * quant[i]);

  int32_t v[64];  // columns, scaled by 4 (two extra bits of precision)
  for (int c = 0; c < 8; ++c) {
    const int16_t* s = d + c;
    if ((s[8] | s[16] | s[24] | s[32] | s[40] | s[48] | s[56]) == 0) {
      for (int r = 0; r < 8; ++r) v[c + 8 * r] = s[0] * 4;  // DC only: same result, faster
      continue;
    }
    const Butterfly b =
        idct_1d(U(s[0]), U(s[8]), U(s[16]), U(s[24]), U(s[32]), U(s[40]), U(s[48]), U(s[56]));
    const U x0 = b.x0 + 512, x1 = b.x1 + 512, x2 = b.x2 + 512, x3 = b.x3 + 512;
    v[c + 0] = shr(x0 + b.t3, 10);
    v[c + 56] = shr(x0 - b.t3, 10);
    v[c + 8] = shr(x1 + b.t2, 10);
    v[c + 48] = shr(x1 - b.t2, 10);
    v[c + 16] = shr(x2 + b.t1, 10);
    v[c + 40] = shr(x2 - b.t1, 10);
    v[c + 24] = shr(x3 + b.t0, 10);
    v[c + 32] = shr(x3 - b.t0, 10);
  }
  // Rows: remove 2^17 (12 bits of constants, 2 extra bits, 2^3 from the two
  // sqrt(8) scalings) with rounding, and shift -128..127 to 0..255.
  constexpr U kBias = 65536u + (128u << 17);
  for (int r = 0; r < 8; ++r) {
    const int32_t* s = v + 8 * r;
    const Butterfly b =
        idct_1d(U(s[0]), U(s[1]), U(s[2]), U(s[3]), U(s[4]), U(s[5]), U(s[6]), U(s[7]));
    const U x0 = b.x0 + kBias, x1 = b.x1 + kBias, x2 = b.x2 + kBias, x3 = b.x3 + kBias;
    uint8_t* o = out + stride * r;
    o[0] = clamp255(shr(x0 + b.t3, 17));
    o[7] = clamp255(shr(x0 - b.t3, 17));
    o[1] = clamp255(shr(x1 + b.t2, 17));
    o[6] = clamp255(shr(x1 - b.t2, 17));
    o[2] = clamp255(shr(x2 + b.t1, 17));
    o[5] = clamp255(shr(x2 - b.t1, 17));
    o[3] = clamp255(shr(x3 + b.t0, 17));
    o[4] = clamp255(shr(x3 - b.t0, 17));
  }
}

}  // namespace teamvl::engine::image_internal
