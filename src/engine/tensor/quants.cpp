// Scalar fp16/bf16 conversions and row (de)quantization for every supported type.
#include "engine/tensor/quants.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace teamvl::engine {
namespace {

uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

float bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

}  // namespace

float fp16_to_fp32(fp16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t e = (h >> 10) & 0x1f;
  const uint32_t m = h & 0x3ff;
  if (e == 0) {
    float v = std::ldexp(static_cast<float>(m), -24);
    return sign ? -v : v;
  }
  if (e == 31) return bits_float(sign | 0x7f800000 | (m << 13));
  return bits_float(sign | ((e + 112) << 23) | (m << 13));
}

fp16_t fp32_to_fp16(float f) {
  uint32_t x = float_bits(f);
  const uint32_t sign = (x >> 16) & 0x8000;
  x &= 0x7fffffff;
  if (x >= 0x7f800000) return static_cast<fp16_t>(sign | (x > 0x7f800000 ? 0x7e00 : 0x7c00));
  if (x >= 0x47800000) return static_cast<fp16_t>(sign | 0x7c00);  // >= 65536: inf
  if (x < 0x38800000) {                                           // half subnormal or zero
    if (x <= 0x33000000) return static_cast<fp16_t>(sign);         // <= 2^-25 rounds to 0
    const uint32_t e = x >> 23;
    const uint32_t m = (x & 0x7fffff) | 0x800000;
    const uint32_t shift = 126 - e;
    uint32_t q = m >> shift;
    const uint32_t rem = m & ((1u << shift) - 1);
    const uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1))) ++q;
    return static_cast<fp16_t>(sign | q);
  }
  uint32_t h = (x >> 13) - (112u << 10);
  const uint32_t rem = x & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) ++h;  // may carry into inf: correct
  return static_cast<fp16_t>(sign | h);
}

bf16_t fp32_to_bf16(float f) {
  uint32_t u = float_bits(f);
  if ((u & 0x7fffffff) > 0x7f800000) return static_cast<bf16_t>((u >> 16) | 64);
  return static_cast<bf16_t>((u + 0x7fff + ((u >> 16) & 1)) >> 16);
}

int nearest_int(float x) {
  // Adding 1.5 * 2^23 leaves the integer, rounded half to even, in the low
  // mantissa bits (valid for |x| < 2^22; larger values are clamped first).
  x = std::clamp(x, -4194303.0f, 4194303.0f);
  float v = x + 12582912.0f;
  int32_t i;
  std::memcpy(&i, &v, 4);
  return (i & 0x007fffff) - 0x00400000;
}

namespace {

// ---- dequantization ----------------------------------------------------------

void dequant_q8_0(const BlockQ8_0* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK) {
    const float d = fp16_to_fp32(b[i].d);
    for (int j = 0; j < kQK; ++j) y[j] = d * b[i].qs[j];
  }
}

void dequant_q4_0(const BlockQ4_0* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK) {
    const float d = fp16_to_fp32(b[i].d);
    for (int j = 0; j < kQK / 2; ++j) {
      y[j] = d * ((b[i].qs[j] & 0xF) - 8);
      y[j + 16] = d * ((b[i].qs[j] >> 4) - 8);
    }
  }
}

void dequant_q4_k(const BlockQ4_K* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = fp16_to_fp32(b[i].d), dmin = fp16_to_fp32(b[i].dmin);
    const uint8_t* q = b[i].qs;
    for (int c = 0; c < 4; ++c, q += 32) {
      uint8_t sc, m;
      get_scale_min_k4(2 * c, b[i].scales, &sc, &m);
      const float d1 = d * sc, m1 = dmin * m;
      get_scale_min_k4(2 * c + 1, b[i].scales, &sc, &m);
      const float d2 = d * sc, m2 = dmin * m;
      for (int l = 0; l < 32; ++l) *y++ = d1 * (q[l] & 0xF) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * (q[l] >> 4) - m2;
    }
  }
}

void dequant_q5_k(const BlockQ5_K* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = fp16_to_fp32(b[i].d), dmin = fp16_to_fp32(b[i].dmin);
    const uint8_t* q = b[i].qs;
    const uint8_t* qh = b[i].qh;
    for (int c = 0; c < 4; ++c, q += 32) {
      uint8_t sc, m;
      get_scale_min_k4(2 * c, b[i].scales, &sc, &m);
      const float d1 = d * sc, m1 = dmin * m;
      get_scale_min_k4(2 * c + 1, b[i].scales, &sc, &m);
      const float d2 = d * sc, m2 = dmin * m;
      const uint8_t u1 = static_cast<uint8_t>(1 << (2 * c)), u2 = static_cast<uint8_t>(2 << (2 * c));
      for (int l = 0; l < 32; ++l) *y++ = d1 * ((q[l] & 0xF) + (qh[l] & u1 ? 16 : 0)) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * ((q[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - m2;
    }
  }
}

void dequant_q6_k(const BlockQ6_K* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = fp16_to_fp32(b[i].d);
    const uint8_t* ql = b[i].ql;
    const uint8_t* qh = b[i].qh;
    const int8_t* sc = b[i].scales;
    for (int n = 0; n < kQKK; n += 128, y += 128, ql += 64, qh += 32, sc += 8) {
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l] = d * sc[is + 0] * q1;
        y[l + 32] = d * sc[is + 2] * q2;
        y[l + 64] = d * sc[is + 4] * q3;
        y[l + 96] = d * sc[is + 6] * q4;
      }
    }
  }
}

void dequant_q8_k(const BlockQ8_K* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQKK) {
    for (int j = 0; j < kQKK; ++j) y[j] = b[i].d * b[i].qs[j];
  }
}

// ---- quantization ------------------------------------------------------------

// Largest |x| of a block and the signed value that has it.
float signed_absmax(const float* x, int n, float* amax) {
  float mx = 0.0f;
  *amax = 0.0f;
  for (int j = 0; j < n; ++j) {
    const float a = std::fabs(x[j]);
    if (a > *amax) {
      *amax = a;
      mx = x[j];
    }
  }
  return mx;
}

void quant_q8_0(const float* x, BlockQ8_0* b, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK) {
    float amax = 0.0f;
    for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(x[j]));
    b[i].d = fp32_to_fp16(amax / 127.0f);
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    for (int j = 0; j < kQK; ++j) b[i].qs[j] = static_cast<int8_t>(nearest_int(x[j] * id));
  }
}

void quant_q4_0(const float* x, BlockQ4_0* b, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK) {
    float amax;
    const float mx = signed_absmax(x, kQK, &amax);
    const float d = mx / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    b[i].d = fp32_to_fp16(d);
    for (int j = 0; j < kQK / 2; ++j) {
      const int q0 = std::min(15, static_cast<int>(x[j] * id + 8.5f));
      const int q1 = std::min(15, static_cast<int>(x[j + 16] * id + 8.5f));
      b[i].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

void quant_q8_k(const float* x, BlockQ8_K* b, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQKK) {
    float amax;
    const float mx = signed_absmax(x, kQKK, &amax);
    if (amax == 0.0f) {
      std::memset(&b[i], 0, sizeof(BlockQ8_K));
      continue;
    }
    const float iscale = -127.0f / mx;
    for (int j = 0; j < kQKK; ++j) {
      b[i].qs[j] = static_cast<int8_t>(std::min(127, nearest_int(iscale * x[j])));
    }
    for (int j = 0; j < kQKK / 16; ++j) {
      int s = 0;
      for (int l = 0; l < 16; ++l) s += b[i].qs[16 * j + l];
      b[i].bsums[j] = static_cast<int16_t>(s);
    }
    b[i].d = 1.0f / iscale;
  }
}

// Packs 8 six-bit scales and mins into the 12-byte K-quant layout.
void pack_scales_k4(const uint8_t* ls, const uint8_t* lm, uint8_t* scales) {
  std::memset(scales, 0, 12);
  for (int j = 0; j < 8; ++j) {
    if (j < 4) {
      scales[j] |= ls[j] & 63;
      scales[j + 4] |= lm[j] & 63;
    } else {
      scales[j + 4] = static_cast<uint8_t>((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
      scales[j - 4] |= static_cast<uint8_t>((ls[j] >> 4) << 6);
      scales[j] |= static_cast<uint8_t>((lm[j] >> 4) << 6);
    }
  }
}

// Asymmetric K-quant of one super-block with `levels` (15 or 31) steps per
// sub-block of 32: x ~= d*sc*q - dmin*m. Writes q (0..levels) and the header.
void quant_k_asym(const float* x, int levels, uint8_t* q, fp16_t* d_out, fp16_t* dmin_out,
                  uint8_t* scales) {
  float sub_scale[8], sub_min[8];
  float max_scale = 0.0f, max_min = 0.0f;
  for (int j = 0; j < 8; ++j) {
    const float* xs = x + 32 * j;
    float lo = xs[0], hi = xs[0];
    for (int l = 1; l < 32; ++l) {
      lo = std::min(lo, xs[l]);
      hi = std::max(hi, xs[l]);
    }
    lo = std::min(lo, 0.0f);
    sub_scale[j] = (hi - lo) / levels;
    sub_min[j] = -lo;
    max_scale = std::max(max_scale, sub_scale[j]);
    max_min = std::max(max_min, sub_min[j]);
  }
  const float d = max_scale / 63.0f, dmin = max_min / 63.0f;
  uint8_t ls[8], lm[8];
  for (int j = 0; j < 8; ++j) {
    ls[j] = static_cast<uint8_t>(d > 0 ? std::clamp(nearest_int(sub_scale[j] / d), 0, 63) : 0);
    lm[j] = static_cast<uint8_t>(dmin > 0 ? std::clamp(nearest_int(sub_min[j] / dmin), 0, 63) : 0);
  }
  *d_out = fp32_to_fp16(d);
  *dmin_out = fp32_to_fp16(dmin);
  pack_scales_k4(ls, lm, scales);
  // Requantize against the stored (rounded) scales.
  const float dq = fp16_to_fp32(*d_out), mq = fp16_to_fp32(*dmin_out);
  for (int j = 0; j < 8; ++j) {
    const float s = dq * ls[j], m = mq * lm[j];
    for (int l = 0; l < 32; ++l) {
      const int v = s > 0 ? nearest_int((x[32 * j + l] + m) / s) : 0;
      q[32 * j + l] = static_cast<uint8_t>(std::clamp(v, 0, levels));
    }
  }
}

void quant_q4_k(const float* x, BlockQ4_K* b, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQKK) {
    uint8_t q[kQKK];
    quant_k_asym(x, 15, q, &b[i].d, &b[i].dmin, b[i].scales);
    for (int c = 0; c < 4; ++c) {
      for (int l = 0; l < 32; ++l) {
        b[i].qs[32 * c + l] = static_cast<uint8_t>(q[64 * c + l] | (q[64 * c + 32 + l] << 4));
      }
    }
  }
}

void quant_q5_k(const float* x, BlockQ5_K* b, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQKK) {
    uint8_t q[kQKK];
    quant_k_asym(x, 31, q, &b[i].d, &b[i].dmin, b[i].scales);
    std::memset(b[i].qh, 0, sizeof(b[i].qh));
    for (int c = 0; c < 4; ++c) {
      for (int l = 0; l < 32; ++l) {
        const uint8_t lo = q[64 * c + l], hi = q[64 * c + 32 + l];
        b[i].qs[32 * c + l] = static_cast<uint8_t>((lo & 0xF) | ((hi & 0xF) << 4));
        b[i].qh[l] |= static_cast<uint8_t>(((lo >> 4) << (2 * c)) | ((hi >> 4) << (2 * c + 1)));
      }
    }
  }
}

void quant_q6_k(const float* x, BlockQ6_K* b, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQKK) {
    float sub[16];
    float max_abs_scale = 0.0f, max_scale = 0.0f;
    for (int j = 0; j < 16; ++j) {
      float amax;
      const float mx = signed_absmax(x + 16 * j, 16, &amax);
      sub[j] = mx / -32.0f;
      if (std::fabs(sub[j]) > max_abs_scale) {
        max_abs_scale = std::fabs(sub[j]);
        max_scale = sub[j];
      }
    }
    const float iscale = max_scale != 0.0f ? -128.0f / max_scale : 0.0f;
    const float d = iscale != 0.0f ? 1.0f / iscale : 0.0f;
    b[i].d = fp32_to_fp16(d);
    const float dq = fp16_to_fp32(b[i].d);
    uint8_t q[kQKK];
    for (int j = 0; j < 16; ++j) {
      b[i].scales[j] = static_cast<int8_t>(std::min(127, nearest_int(iscale * sub[j])));
      const float s = dq * b[i].scales[j];
      for (int l = 0; l < 16; ++l) {
        const int v = s != 0.0f ? nearest_int(x[16 * j + l] / s) : 0;
        q[16 * j + l] = static_cast<uint8_t>(std::clamp(v, -32, 31) + 32);
      }
    }
    for (int c = 0; c < 2; ++c) {
      const uint8_t* qc = q + 128 * c;
      for (int l = 0; l < 32; ++l) {
        const uint8_t q1 = qc[l], q2 = qc[l + 32], q3 = qc[l + 64], q4 = qc[l + 96];
        b[i].ql[64 * c + l] = static_cast<uint8_t>((q1 & 0xF) | ((q3 & 0xF) << 4));
        b[i].ql[64 * c + l + 32] = static_cast<uint8_t>((q2 & 0xF) | ((q4 & 0xF) << 4));
        b[i].qh[32 * c + l] =
            static_cast<uint8_t>((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
      }
    }
  }
}

Status check_row(GgmlType t, int64_t n) {
  if (!is_supported_type(t)) {
    return Status::InvalidArgument("unsupported tensor type " + type_name(t));
  }
  const int64_t bs = block_size(t);
  if (n < 0 || n % bs != 0) {
    return Status::InvalidArgument("row of " + std::to_string(n) + " elements is not a multiple of " +
                                   type_name(t) + "'s block size " + std::to_string(bs));
  }
  return Status::Ok();
}

}  // namespace

Status dequantize_row(GgmlType t, const void* src, float* dst, int64_t n) {
  TEAMVL_RETURN_IF_ERROR(check_row(t, n));
  const int64_t nb = n / block_size(t);
  switch (t) {
    case GgmlType::kF32: std::memcpy(dst, src, static_cast<size_t>(n) * 4); break;
    case GgmlType::kF16: {
      const auto* h = static_cast<const fp16_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = fp16_to_fp32(h[i]);
      break;
    }
    case GgmlType::kBF16: {
      const auto* h = static_cast<const bf16_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_fp32(h[i]);
      break;
    }
    case GgmlType::kQ8_0: dequant_q8_0(static_cast<const BlockQ8_0*>(src), dst, nb); break;
    case GgmlType::kQ4_0: dequant_q4_0(static_cast<const BlockQ4_0*>(src), dst, nb); break;
    case GgmlType::kQ4_K: dequant_q4_k(static_cast<const BlockQ4_K*>(src), dst, nb); break;
    case GgmlType::kQ5_K: dequant_q5_k(static_cast<const BlockQ5_K*>(src), dst, nb); break;
    case GgmlType::kQ6_K: dequant_q6_k(static_cast<const BlockQ6_K*>(src), dst, nb); break;
    case GgmlType::kQ8_K: dequant_q8_k(static_cast<const BlockQ8_K*>(src), dst, nb); break;
    default: return Status::Internal("unreachable");
  }
  return Status::Ok();
}

Status quantize_row(GgmlType t, const float* src, void* dst, int64_t n) {
  TEAMVL_RETURN_IF_ERROR(check_row(t, n));
  const int64_t nb = n / block_size(t);
  switch (t) {
    case GgmlType::kF32: std::memcpy(dst, src, static_cast<size_t>(n) * 4); break;
    case GgmlType::kF16: {
      auto* h = static_cast<fp16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) h[i] = fp32_to_fp16(src[i]);
      break;
    }
    case GgmlType::kBF16: {
      auto* h = static_cast<bf16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) h[i] = fp32_to_bf16(src[i]);
      break;
    }
    case GgmlType::kQ8_0: quant_q8_0(src, static_cast<BlockQ8_0*>(dst), nb); break;
    case GgmlType::kQ4_0: quant_q4_0(src, static_cast<BlockQ4_0*>(dst), nb); break;
    case GgmlType::kQ4_K: quant_q4_k(src, static_cast<BlockQ4_K*>(dst), nb); break;
    case GgmlType::kQ5_K: quant_q5_k(src, static_cast<BlockQ5_K*>(dst), nb); break;
    case GgmlType::kQ6_K: quant_q6_k(src, static_cast<BlockQ6_K*>(dst), nb); break;
    case GgmlType::kQ8_K: quant_q8_k(src, static_cast<BlockQ8_K*>(dst), nb); break;
    default: return Status::Internal("unreachable");
  }
  return Status::Ok();
}

}  // namespace teamvl::engine
