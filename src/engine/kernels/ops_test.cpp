#include "engine/kernels/ops.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <vector>

#include "engine/gguf/gguf.h"
#include "engine/kernels/matmul.h"

namespace teamvl::engine {
namespace {

TEST(OpsTest, RmsNormScalesToUnitRms) {
  const float x[4] = {1, 2, 3, 4};
  const float w[4] = {1, 1, 2, 0.5f};
  float y[4];
  rmsnorm(x, w, y, 4, 0.0f);
  const float s = 1.0f / std::sqrt(7.5f);  // mean of squares = 30/4
  const float want[4] = {1 * s, 2 * s, 6 * s, 2 * s};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(y[i], want[i], 1e-6f);
  rmsnorm(x, nullptr, y, 4, 2.5f);  // eps adds to the mean: 1/sqrt(10)
  EXPECT_NEAR(y[3], 4.0f / std::sqrt(10.0f), 1e-6f);
  const float zeros[3] = {0, 0, 0};
  rmsnorm(zeros, nullptr, y, 3, 1e-6f);
  EXPECT_EQ(y[0], 0.0f);
}

TEST(OpsTest, LayerNormCentersAndScales) {
  const float x[4] = {1, 2, 3, 6};  // mean 3, var (4+1+0+9)/4 = 3.5
  const float w[4] = {1, 2, 1, 1};
  const float b[4] = {0, 0, 1, -1};
  float y[4];
  layernorm(x, w, b, y, 4, 0.0f);
  const float s = 1.0f / std::sqrt(3.5f);
  const float want[4] = {-2 * s, -1 * s * 2, 0 + 1, 3 * s - 1};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(y[i], want[i], 1e-6f);
  layernorm(x, nullptr, nullptr, y, 4, 0.0f);
  double sum = 0, sq = 0;
  for (float v : y) {
    sum += v;
    sq += v * v;
  }
  EXPECT_NEAR(sum, 0.0, 1e-6);
  EXPECT_NEAR(sq / 4, 1.0, 1e-6);
}

TEST(OpsTest, SoftmaxIsStableAndNormalized) {
  struct Case {
    std::vector<float> in, want;
  };
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<Case> cases = {
      {{0, 0}, {0.5f, 0.5f}},
      {{1000, 1000, -inf}, {0.5f, 0.5f, 0.0f}},  // no overflow; masked entry is 0
      {{0, std::log(3.0f)}, {0.25f, 0.75f}},
      {{-inf, -inf}, {0.0f, 0.0f}},              // fully masked row
  };
  for (const Case& c : cases) {
    std::vector<float> v = c.in;
    softmax(v.data(), static_cast<int64_t>(v.size()));
    for (size_t i = 0; i < v.size(); ++i) EXPECT_NEAR(v[i], c.want[i], 1e-6f) << i;
  }
}

TEST(OpsTest, ActivationsMatchKnownValues) {
  struct Case {
    float x, silu, gelu;
  };
  const Case cases[] = {
      {0.0f, 0.0f, 0.0f},
      {1.0f, 0.7310585786f, 0.8411919906f},
      {-1.0f, -0.2689414214f, -0.1588080094f},
      {3.0f, 2.8577223804f, 2.9963625953f},
      {-20.0f, -4.122307e-08f, 0.0f},
  };
  for (const Case& c : cases) {
    float s, g, gt, sw;
    silu(&c.x, &s, 1);
    gelu_tanh(&c.x, &g, 1);
    gelu_tanh_f16_table(&c.x, &gt, 1);
    const float two = 2.0f;
    swiglu(&c.x, &two, &sw, 1);
    EXPECT_NEAR(s, c.silu, 1e-6f * (1 + std::fabs(c.silu))) << c.x;
    EXPECT_NEAR(sw, 2 * c.silu, 2e-6f * (1 + std::fabs(c.silu))) << c.x;
    EXPECT_NEAR(g, c.gelu, 1e-6f) << c.x;
    EXPECT_NEAR(gt, c.gelu, 2e-3f * (1 + std::fabs(c.gelu))) << c.x;
  }
  const float big = 12.0f;
  float out;
  gelu_tanh_f16_table(&big, &out, 1);
  EXPECT_EQ(out, 12.0f);
}

TEST(OpsTest, ElementwiseOps) {
  const float a[3] = {1, -2, 3}, b[3] = {4, 5, -6};
  float y[3];
  add(a, b, y, 3);
  EXPECT_EQ(y[2], -3.0f);
  mul(a, b, y, 3);
  EXPECT_EQ(y[1], -10.0f);
  scale(a, 0.5f, y, 3);
  EXPECT_EQ(y[2], 1.5f);
  add(y, y, y, 3);  // aliasing is allowed
  EXPECT_EQ(y[2], 3.0f);
}

// ---- checks against llama.cpp's captured intermediate tensors ------------------

std::string fixture_dir() { return std::string(TEAMVL_FIXTURES_DIR) + "/qwen3vl-tiny/"; }

std::vector<float> read_f32(const std::string& path) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  std::vector<float> v(static_cast<size_t>(f.tellg()) / 4);
  f.seekg(0);
  f.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(v.size() * 4));
  return v;
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream f(path);
  return nlohmann::json::parse(f);
}

const float* tensor_f32(const GgufFile& f, const std::string& name) {
  const GgufTensorInfo* t = f.find_tensor(name);
  EXPECT_NE(t, nullptr) << name;
  EXPECT_EQ(t->type, GgmlType::kF32) << name;
  return reinterpret_cast<const float*>(f.tensor_data(*t));
}

WeightView weight(const GgufFile& f, const std::string& name) {
  const GgufTensorInfo* t = f.find_tensor(name);
  EXPECT_NE(t, nullptr) << name;
  return {t->type, t->ne[0], t->ne[1], f.tensor_data(*t)};
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) m = std::max(m, std::fabs(double(a[i]) - b[i]));
  return m;
}

// Layer 0 of the text model pieces that are pure kernels: attn_norm (RMSNorm),
// Q projection, and the whole SwiGLU FFN from its captured input.
TEST(OpsFixtureTest, TextLayerZeroMatchesLlamaCpp) {
  if (!std::filesystem::exists(fixture_dir() + "debug")) GTEST_SKIP() << "fixtures absent";
  auto model = GgufFile::open(fixture_dir() + "models/qwen3vl-tiny-a-F32.gguf");
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  const GgufFile& m = **model;
  const nlohmann::json cap = read_json(fixture_dir() + "debug/capture.text.F32.json");
  const nlohmann::json text = read_json(fixture_dir() + "text/text.F32.json");
  const std::vector<int> tokens = text["prompts"][0]["prompt_tokens"].get<std::vector<int>>();
  const int64_t n = static_cast<int64_t>(tokens.size()), d = 256, ff = 512;
  auto captured = [&](const std::string& key) {
    return read_f32(fixture_dir() + "debug/" + cap["p1_system_en.F32." + key]["file"].get<std::string>());
  };

  const float* embd = tensor_f32(m, "token_embd.weight");
  const float* norm_w = tensor_f32(m, "blk.0.attn_norm.weight");
  std::vector<float> normed(n * d);
  for (int64_t t = 0; t < n; ++t) rmsnorm(embd + tokens[t] * d, norm_w, &normed[t * d], d, 1e-6f);
  EXPECT_LT(max_abs_diff(normed, captured("attn_norm-0")), 2e-5);

  ThreadPool pool(2);
  std::vector<float> q(n * d);
  matmul(weight(m, "blk.0.attn_q.weight"), normed.data(), n, q.data(), pool);
  EXPECT_LT(max_abs_diff(q, captured("Qcur-0")), 2e-5);

  const std::vector<float> ffn_inp = captured("ffn_inp-0");
  std::vector<float> mm(n * d), gate(n * ff), up(n * ff), out(n * d);
  for (int64_t t = 0; t < n; ++t) {
    rmsnorm(&ffn_inp[t * d], tensor_f32(m, "blk.0.ffn_norm.weight"), &mm[t * d], d, 1e-6f);
  }
  matmul(weight(m, "blk.0.ffn_gate.weight"), mm.data(), n, gate.data(), pool);
  matmul(weight(m, "blk.0.ffn_up.weight"), mm.data(), n, up.data(), pool);
  swiglu(gate.data(), up.data(), gate.data(), n * ff);
  matmul(weight(m, "blk.0.ffn_down.weight"), gate.data(), n, out.data(), pool);
  EXPECT_LT(max_abs_diff(out, captured("ffn_out-0")), 2e-5);
}

// Vision layer 0: LayerNorm ln1 from the position-embedded patches, and the
// GELU MLP from its input; tells which GELU flavour llama.cpp used.
TEST(OpsFixtureTest, VisionLayerZeroMatchesLlamaCpp) {
  if (!std::filesystem::exists(fixture_dir() + "debug")) GTEST_SKIP() << "fixtures absent";
  auto model = GgufFile::open(fixture_dir() + "models/mmproj-qwen3vl-tiny-a-F32.gguf");
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  const GgufFile& m = **model;
  const nlohmann::json cap = read_json(fixture_dir() + "debug/capture.embd.mmproj-F32.json");
  auto captured = [&](const std::string& key) {
    return read_f32(fixture_dir() + "debug/" + cap["a_64x48.mmproj-F32." + key]["file"].get<std::string>());
  };
  const int64_t d = 64, ff = 256;
  const std::vector<float> inp = captured("inp_pos_emb");
  const int64_t n = static_cast<int64_t>(inp.size()) / d;
  std::vector<float> ln1(n * d);
  for (int64_t t = 0; t < n; ++t) {
    layernorm(&inp[t * d], tensor_f32(m, "v.blk.0.ln1.weight"), tensor_f32(m, "v.blk.0.ln1.bias"),
              &ln1[t * d], d, 1e-6f);
  }
  EXPECT_LT(max_abs_diff(ln1, captured("ln1-0")), 2e-5);

  // ffn input = layer output - ffn output; the MLP must reproduce ffn_out-0.
  const std::vector<float> layer_out = captured("layer_out-0"), ffn_out = captured("ffn_out-0");
  std::vector<float> ffn_inp(n * d), h(n * d), up(n * ff), act(n * ff), out(n * d);
  for (int64_t i = 0; i < n * d; ++i) ffn_inp[i] = layer_out[i] - ffn_out[i];
  for (int64_t t = 0; t < n; ++t) {
    layernorm(&ffn_inp[t * d], tensor_f32(m, "v.blk.0.ln2.weight"), tensor_f32(m, "v.blk.0.ln2.bias"),
              &h[t * d], d, 1e-6f);
  }
  ThreadPool pool(2);
  matmul(weight(m, "v.blk.0.ffn_up.weight"), h.data(), n, up.data(), pool);
  const float* up_b = tensor_f32(m, "v.blk.0.ffn_up.bias");
  const float* down_b = tensor_f32(m, "v.blk.0.ffn_down.bias");
  for (int64_t t = 0; t < n; ++t) add(&up[t * ff], up_b, &up[t * ff], ff);
  double err[2];
  for (int variant = 0; variant < 2; ++variant) {
    if (variant == 0) {
      gelu_tanh(up.data(), act.data(), n * ff);
    } else {
      gelu_tanh_f16_table(up.data(), act.data(), n * ff);
    }
    matmul(weight(m, "v.blk.0.ffn_down.weight"), act.data(), n, out.data(), pool);
    for (int64_t t = 0; t < n; ++t) add(&out[t * d], down_b, &out[t * d], d);
    err[variant] = max_abs_diff(out, ffn_out);
  }
  std::printf("vision ffn_out-0 max |diff|: exact gelu %.3g, f16-table gelu %.3g\n", err[0], err[1]);
  // llama.cpp's CPU GELU is the f16 table one: it must match an order of magnitude better.
  EXPECT_LT(err[1], 1e-5);
  EXPECT_LT(err[1] * 3, err[0]);
}

}  // namespace
}  // namespace teamvl::engine
