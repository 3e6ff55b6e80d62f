// Scalar matmul kernels on natural-layout activations, double accumulation.
// They define the expected result of every SIMD kernel (matmul_reference) and
// serve as the TEAMVL_CPU=scalar path.
#include <cstring>

#include "engine/kernels/matmul_internal.h"

namespace teamvl::engine::matmul_internal {
namespace {

double dot_f32(const WeightView& w, const PreparedAct& a, int64_t r, int64_t t) {
  const float* wr = reinterpret_cast<const float*>(weight_row(w, r));
  const float* x = a.f32 + t * a.cols;
  double s = 0;
  for (int64_t c = 0; c < a.cols; ++c) s += static_cast<double>(wr[c]) * x[c];
  return s;
}

double dot_f16(const WeightView& w, const PreparedAct& a, int64_t r, int64_t t) {
  const fp16_t* wr = reinterpret_cast<const fp16_t*>(weight_row(w, r));
  const float* x = a.f32 + t * a.cols;
  double s = 0;
  for (int64_t c = 0; c < a.cols; ++c) s += static_cast<double>(fp16_to_fp32(wr[c])) * x[c];
  return s;
}

double dot_bf16(const WeightView& w, const PreparedAct& a, int64_t r, int64_t t) {
  const bf16_t* wr = reinterpret_cast<const bf16_t*>(weight_row(w, r));
  const bf16_t* x = a.bf16 + t * a.cols;
  double s = 0;
  for (int64_t c = 0; c < a.cols; ++c) {
    s += static_cast<double>(bf16_to_fp32(wr[c])) * bf16_to_fp32(x[c]);
  }
  return s;
}

double dot_q8_0(const WeightView& w, const PreparedAct& a, int64_t r, int64_t t) {
  const auto* blk = reinterpret_cast<const BlockQ8_0*>(weight_row(w, r));
  const int8_t* x = a.qs_row(t);
  const float* dx = a.d_row(t);
  double s = 0;
  for (int64_t b = 0; b < a.cols / kQK; ++b) {
    int32_t isum = 0;
    for (int j = 0; j < kQK; ++j) isum += blk[b].qs[j] * x[b * kQK + j];
    s += static_cast<double>(fp16_to_fp32(blk[b].d)) * dx[b] * isum;
  }
  return s;
}

double dot_q4_0(const WeightView& w, const PreparedAct& a, int64_t r, int64_t t) {
  const auto* blk = reinterpret_cast<const BlockQ4_0*>(weight_row(w, r));
  const int8_t* x = a.qs_row(t);
  const float* dx = a.d_row(t);
  double s = 0;
  for (int64_t b = 0; b < a.cols / kQK; ++b) {
    const int8_t* xb = x + b * kQK;
    int32_t isum = 0;
    for (int j = 0; j < 16; ++j) {
      isum += ((blk[b].qs[j] & 0xF) - 8) * xb[j] + ((blk[b].qs[j] >> 4) - 8) * xb[j + 16];
    }
    s += static_cast<double>(fp16_to_fp32(blk[b].d)) * dx[b] * isum;
  }
  return s;
}

// Q4_K / Q5_K: x = d*sc*q - dmin*m per 32-group.
template <bool kFive>
double dot_qk_asym(const WeightView& w, const PreparedAct& a, int64_t r, int64_t t) {
  const uint8_t* row = weight_row(w, r);
  const size_t bytes = kFive ? sizeof(BlockQ5_K) : sizeof(BlockQ4_K);
  const int8_t* x = a.qs_row(t);
  const float* dx = a.d_row(t);
  const float* sums = a.aux_row(t);
  double s = 0;
  for (int64_t b = 0; b < a.cols / kQKK; ++b) {
    const uint8_t* blk = row + b * bytes;
    fp16_t d16, dmin16;
    std::memcpy(&d16, blk, 2);
    std::memcpy(&dmin16, blk + 2, 2);
    const uint8_t* scales = blk + 4;
    const uint8_t* qh = kFive ? blk + 16 : nullptr;
    const uint8_t* qs = kFive ? blk + 48 : blk + 16;
    const double d = fp16_to_fp32(d16), dmin = fp16_to_fp32(dmin16);
    double sb = 0;
    for (int g = 0; g < 8; ++g) {
      uint8_t sc, m;
      get_scale_min_k4(g, scales, &sc, &m);
      const int c = g / 2;
      const bool high = g & 1;
      int32_t isum = 0;
      for (int l = 0; l < 32; ++l) {
        int q = high ? qs[32 * c + l] >> 4 : qs[32 * c + l] & 0xF;
        if (kFive && (qh[l] >> g) & 1) q += 16;
        isum += q * x[b * kQKK + 32 * g + l];
      }
      sb += d * sc * isum - dmin * m * sums[b * 8 + g];
    }
    s += dx[b] * sb;
  }
  return s;
}

double dot_q6_k(const WeightView& w, const PreparedAct& a, int64_t r, int64_t t) {
  const auto* blk = reinterpret_cast<const BlockQ6_K*>(weight_row(w, r));
  const int8_t* x = a.qs_row(t);
  const float* dx = a.d_row(t);
  const float* sums32 = a.aux_row(t);
  double s = 0;
  for (int64_t b = 0; b < a.cols / kQKK; ++b) {
    const BlockQ6_K& k = blk[b];
    int q[kQKK];
    for (int c = 0; c < 2; ++c) {
      for (int l = 0; l < 32; ++l) {
        const uint8_t h = k.qh[32 * c + l];
        q[128 * c + l] = (k.ql[64 * c + l] & 0xF) | ((h & 3) << 4);
        q[128 * c + l + 32] = (k.ql[64 * c + l + 32] & 0xF) | (((h >> 2) & 3) << 4);
        q[128 * c + l + 64] = (k.ql[64 * c + l] >> 4) | (((h >> 4) & 3) << 4);
        q[128 * c + l + 96] = (k.ql[64 * c + l + 32] >> 4) | (((h >> 6) & 3) << 4);
      }
    }
    const double d = fp16_to_fp32(k.d);
    double sb = 0;
    for (int j = 0; j < 16; ++j) {
      int32_t isum = 0;
      for (int l = 0; l < 16; ++l) isum += q[16 * j + l] * x[b * kQKK + 16 * j + l];
      sb += d * k.scales[j] * (isum - static_cast<double>(sums32[b * 16 + j]));
    }
    s += dx[b] * sb;
  }
  return s;
}

template <double (*kDot)(const WeightView&, const PreparedAct&, int64_t, int64_t)>
void run(const WeightView& w, const PreparedAct& a, int64_t r0, int64_t r1, int64_t t0,
         int64_t t1, float* y, int64_t ldy) {
  for (int64_t t = t0; t < t1; ++t) {
    for (int64_t r = r0; r < r1; ++r) y[t * ldy + r] = static_cast<float>(kDot(w, a, r, t));
  }
}

}  // namespace

MatmulKernel scalar_kernel(GgmlType t) {
  switch (t) {
    case GgmlType::kF32: return run<dot_f32>;
    case GgmlType::kF16: return run<dot_f16>;
    case GgmlType::kBF16: return run<dot_bf16>;
    case GgmlType::kQ8_0: return run<dot_q8_0>;
    case GgmlType::kQ4_0: return run<dot_q4_0>;
    case GgmlType::kQ4_K: return run<dot_qk_asym<false>>;
    case GgmlType::kQ5_K: return run<dot_qk_asym<true>>;
    case GgmlType::kQ6_K: return run<dot_q6_k>;
    default: return nullptr;
  }
}

}  // namespace teamvl::engine::matmul_internal
