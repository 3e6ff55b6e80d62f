#include "engine/tensor/quants.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>
#include <vector>

#include "engine/gguf/gguf.h"

namespace teamvl::engine {
namespace {

float bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

TEST(GgmlTypeTest, GeometryMatchesTheFormat) {
  struct Case {
    GgmlType t;
    const char* name;
    int64_t block;
    size_t bytes;
  };
  const Case cases[] = {
      {GgmlType::kF32, "f32", 1, 4},      {GgmlType::kF16, "f16", 1, 2},
      {GgmlType::kBF16, "bf16", 1, 2},    {GgmlType::kQ8_0, "q8_0", 32, 34},
      {GgmlType::kQ4_0, "q4_0", 32, 18},  {GgmlType::kQ4_K, "q4_K", 256, 144},
      {GgmlType::kQ5_K, "q5_K", 256, 176}, {GgmlType::kQ6_K, "q6_K", 256, 210},
      {GgmlType::kQ8_K, "q8_K", 256, 292}, {GgmlType::kIQ4_XS, "iq4_xs", 256, 136},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(type_name(c.t), c.name);
    EXPECT_EQ(block_size(c.t), c.block);
    EXPECT_EQ(type_size(c.t), c.bytes);
    EXPECT_EQ(row_bytes(c.t, 512), static_cast<size_t>(512 / c.block) * c.bytes);
  }
  EXPECT_FALSE(ggml_type_from_id(4).ok());   // retired Q4_2
  EXPECT_FALSE(ggml_type_from_id(40).ok());
  EXPECT_NE(ggml_type_from_id(40).status().message().find("unknown ggml type id 40"), std::string::npos);
  EXPECT_EQ(*ggml_type_from_id(14), GgmlType::kQ6_K);
  EXPECT_EQ(type_name(static_cast<GgmlType>(5)), "unknown(5)");
}

TEST(Fp16Test, EveryHalfRoundTrips) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = fp16_to_fp32(static_cast<fp16_t>(h));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(fp16_to_fp32(fp32_to_fp16(f)))) << h;
      continue;
    }
    ASSERT_EQ(fp32_to_fp16(f), h) << "half 0x" << std::hex << h;
#ifdef __FLT16_MAX__
    ASSERT_EQ(static_cast<float>(static_cast<_Float16>(f)), f) << h;  // decode matches the compiler
#endif
  }
}

TEST(Fp16Test, RoundsToNearestEvenLikeTheCompiler) {
#ifdef __FLT16_MAX__  // the compiler's _Float16 conversion is the oracle where it exists
  std::mt19937 rng(7);
  std::uniform_int_distribution<uint32_t> bits;
  for (int i = 0; i < 200000; ++i) {
    float f = bits_float(bits(rng));
    if (std::isnan(f)) continue;
    const _Float16 ref = static_cast<_Float16>(f);
    fp16_t ref_bits;
    std::memcpy(&ref_bits, &ref, 2);
    ASSERT_EQ(fp32_to_fp16(f), ref_bits) << f;
  }
#endif
  struct Case {
    float in;
    fp16_t out;
  };
  const Case cases[] = {
      {1.0f, 0x3c00},  {1.0f + 1.0f / 2048, 0x3c00},  // tie -> even
      {1.0f + 3.0f / 2048, 0x3c02},  {65504.0f, 0x7bff}, {65520.0f, 0x7c00},
      {-65520.0f, 0xfc00}, {std::ldexp(1.0f, -24), 0x0001}, {std::ldexp(1.0f, -25), 0x0000},
      {std::ldexp(1.5f, -25), 0x0001}, {std::ldexp(3.0f, -25), 0x0002}, {-0.0f, 0x8000},
  };
  for (const Case& c : cases) EXPECT_EQ(fp32_to_fp16(c.in), c.out) << c.in;
}

TEST(Bf16Test, RoundsToNearestEven) {
  struct Case {
    uint32_t in;
    bf16_t out;
  };
  const Case cases[] = {
      {0x3f800000, 0x3f80}, {0x3f808000, 0x3f80}, {0x3f818000, 0x3f82},  // ties to even
      {0x3f808001, 0x3f81}, {0x7f7fffff, 0x7f80},                        // rounds to inf
      {0xff800000, 0xff80}, {0x7fa00000, 0x7fe0},                        // inf, quiet nan
  };
  for (const Case& c : cases) EXPECT_EQ(fp32_to_bf16(bits_float(c.in)), c.out) << std::hex << c.in;
  for (uint32_t h = 0; h < 65536; h += 3) {
    const float f = bf16_to_fp32(static_cast<bf16_t>(h));
    if (!std::isnan(f)) {
      EXPECT_EQ(fp32_to_bf16(f), h);
    }
  }
}

// Relative RMS error of quantize -> dequantize on Gaussian data, with the
// largest error of any element relative to its block's max |x|.
struct RoundTrip {
  double rel_rmse;
  double worst;
};

RoundTrip round_trip(GgmlType t, const std::vector<float>& x) {
  const int64_t n = static_cast<int64_t>(x.size());
  std::vector<uint8_t> q(row_bytes(t, n));
  std::vector<float> y(x.size());
  EXPECT_TRUE(quantize_row(t, x.data(), q.data(), n).ok());
  EXPECT_TRUE(dequantize_row(t, q.data(), y.data(), n).ok());
  const int64_t bs = std::max<int64_t>(block_size(t), 32);
  double se = 0, sx = 0, worst = 0;
  for (int64_t b = 0; b < n; b += bs) {
    double amax = 0;
    for (int64_t i = b; i < b + bs; ++i) amax = std::max(amax, std::fabs(double(x[i])));
    for (int64_t i = b; i < b + bs; ++i) {
      const double e = std::fabs(double(y[i]) - x[i]);
      se += e * e;
      sx += double(x[i]) * x[i];
      worst = std::max(worst, e / amax);
    }
  }
  return {std::sqrt(se / sx), worst};
}

TEST(QuantsTest, RoundTripErrorIsBoundedPerType) {
  struct Case {
    GgmlType t;
    double max_rel_rmse;
    double max_worst;  // per element, relative to the block's max |x|
  };
  const Case cases[] = {
      {GgmlType::kF32, 0.0, 0.0},         {GgmlType::kF16, 5e-4, 1e-3},
      {GgmlType::kBF16, 2.5e-3, 5e-3},      {GgmlType::kQ8_0, 0.01, 0.0045},
      {GgmlType::kQ8_K, 0.01, 0.0045},    {GgmlType::kQ4_0, 0.09, 0.13},
      {GgmlType::kQ4_K, 0.08, 0.08},       {GgmlType::kQ5_K, 0.04, 0.04},
      {GgmlType::kQ6_K, 0.02, 0.02},
  };
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> x(4096);
  for (auto& v : x) v = nd(rng);
  x[5] = 0.0f;
  for (int i = 256; i < 512; ++i) x[i] = 0.0f;  // an all-zero super-block
  for (int i = 512; i < 768; ++i) x[i] = 3.0f + 0.01f * nd(rng);  // positive, narrow range
  for (const Case& c : cases) {
    RoundTrip r = round_trip(c.t, x);
    EXPECT_LE(r.rel_rmse, c.max_rel_rmse) << type_name(c.t);
    EXPECT_LE(r.worst, c.max_worst) << type_name(c.t);
    if (c.t != GgmlType::kF32) {
      EXPECT_GT(r.rel_rmse, 0.0) << type_name(c.t);
    }
    std::printf("%-5s rel_rmse %.5f worst %.5f\n", type_name(c.t).c_str(), r.rel_rmse, r.worst);
  }
}

TEST(QuantsTest, RejectsBadRowsAndTypes) {
  float x[64] = {};
  uint8_t q[512];
  EXPECT_FALSE(quantize_row(GgmlType::kQ8_0, x, q, 33).ok());
  EXPECT_FALSE(dequantize_row(GgmlType::kQ4_K, q, x, 64).ok());
  EXPECT_EQ(dequantize_row(GgmlType::kQ2_K, q, x, 256).code(), StatusCode::kInvalidArgument);
}

// Hand-built blocks pin the element order of each layout.
TEST(QuantsTest, LayoutsPlaceElementsWhereTheFormatSays) {
  {  // Q4_0: element j in the low nibble of qs[j], element j+16 in the high nibble.
    BlockQ4_0 b{};
    b.d = fp32_to_fp16(2.0f);
    for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>((j % 16) | ((15 - j) << 4));
    float y[32];
    ASSERT_TRUE(dequantize_row(GgmlType::kQ4_0, &b, y, 32).ok());
    EXPECT_EQ(y[3], 2.0f * (3 - 8));
    EXPECT_EQ(y[16 + 3], 2.0f * (12 - 8));
  }
  {  // Q4_K: sub-block 5 (elements 160..191) = high nibbles of qs[64..95], scale index 5.
    BlockQ4_K b{};
    b.d = fp32_to_fp16(1.0f);
    b.dmin = fp32_to_fp16(0.5f);
    b.scales[1] = 0x40 | 2;   // sc[1] = 2, high bits of sc[5] = 1
    b.scales[5] = 3;          // m[1] = 3
    b.scales[9] = 0x21;       // sc[5] low = 1, m[5] low = 2
    b.qs[64 + 7] = 0x90;      // element 160+7 has q = 9
    b.qs[7] = 0x05;           // element 7 q=5 (sub-block 0: sc 0, m 0)
    b.qs[32 + 1] = 0xA0;      // element 96+1: high nibble of chunk 1 = sub-block 3
    float y[256];
    ASSERT_TRUE(dequantize_row(GgmlType::kQ4_K, &b, y, 256).ok());
    EXPECT_EQ(y[160 + 7], (16 + 1) * 9.0f - 0.5f * 2);
    EXPECT_EQ(y[7], 0.0f);
    EXPECT_EQ(y[32 + 5], -0.5f * 3);  // sub-block 1, q=0: -dmin*m[1]
  }
  {  // Q6_K: element 64+l comes from the high nibble of ql[l] and bits 4..5 of qh[l].
    BlockQ6_K b{};
    b.d = fp32_to_fp16(1.0f);
    for (int j = 0; j < 16; ++j) b.scales[j] = static_cast<int8_t>(j + 1);
    b.ql[3] = 0x70;           // element 64+3: low 4 bits 7
    b.qh[3] = 0x20;           // bits 4..5 = 2 -> q = 7 + 32 = 39 -> 7 after -32
    float y[256];
    ASSERT_TRUE(dequantize_row(GgmlType::kQ6_K, &b, y, 256).ok());
    EXPECT_EQ(y[64 + 3], 5.0f * 7);   // sub-block (64+3)/16 = 4 -> scale 5
    EXPECT_EQ(y[3], 1.0f * -32);      // everything else has q = 0 -> -32
    EXPECT_EQ(y[200], 13.0f * -32);   // sub-block 12
  }
  {  // Q8_K bsums are the sums of each 16 quants.
    std::vector<float> x(256);
    for (int i = 0; i < 256; ++i) x[i] = std::sin(0.1f * i);
    BlockQ8_K b;
    ASSERT_TRUE(quantize_row(GgmlType::kQ8_K, x.data(), &b, 256).ok());
    for (int j = 0; j < 16; ++j) {
      int s = 0;
      for (int l = 0; l < 16; ++l) s += b.qs[16 * j + l];
      EXPECT_EQ(b.bsums[j], s);
    }
  }
}

// The fixture's quantized files were made by llama-quantize from the F32 file:
// dequantizing their tensors must land close to the F32 values.
TEST(QuantsFixtureTest, DequantizedFixtureTensorsMatchTheF32File) {
  const std::string dir = std::string(TEAMVL_FIXTURES_DIR) + "/qwen3vl-tiny/models/";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "fixtures not found at " << dir;
  auto f32 = GgufFile::open(dir + "qwen3vl-tiny-a-F32.gguf");
  ASSERT_TRUE(f32.ok()) << f32.status().to_string();
  struct Case {
    const char* file;
    const char* tensor;
    double max_rel_rmse;
  };
  const Case cases[] = {
      {"F16", "blk.0.attn_q.weight", 1e-3},     {"BF16", "blk.0.attn_q.weight", 5e-3},
      {"Q8_0", "blk.0.attn_q.weight", 0.01},    {"Q6_K", "blk.0.attn_q.weight", 0.03},
      {"Q5_K_M", "blk.0.ffn_up.weight", 0.06},  {"Q4_K_M", "blk.0.attn_q.weight", 0.12},
      {"Q4_K_M", "token_embd.weight", 0.03},    {"Q4_K_M", "blk.2.ffn_down.weight", 0.03},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.file) + " " + c.tensor);
    auto q = GgufFile::open(dir + "qwen3vl-tiny-a-" + c.file + ".gguf");
    ASSERT_TRUE(q.ok()) << q.status().to_string();
    const GgufTensorInfo* tq = (*q)->find_tensor(c.tensor);
    const GgufTensorInfo* tf = (*f32)->find_tensor(c.tensor);
    ASSERT_TRUE(tq && tf);
    const int64_t n = tf->n_elements();
    std::vector<float> y(n);
    ASSERT_TRUE(dequantize_row(tq->type, (*q)->tensor_data(*tq), y.data(), n).ok());
    const float* x = reinterpret_cast<const float*>((*f32)->tensor_data(*tf));
    double se = 0, sx = 0;
    for (int64_t i = 0; i < n; ++i) {
      se += (double(y[i]) - x[i]) * (double(y[i]) - x[i]);
      sx += double(x[i]) * x[i];
    }
    EXPECT_LE(std::sqrt(se / sx), c.max_rel_rmse);
    EXPECT_GT(std::sqrt(se / sx), 0.0);
  }
}

}  // namespace
}  // namespace teamvl::engine
