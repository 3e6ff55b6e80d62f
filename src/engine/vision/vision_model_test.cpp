// The vision model on small random mmproj files written with the GgufWriter
// (these run without the fixtures): hparams, output layout, kernel levels
// agreeing, weight types agreeing with F32, and clear errors for bad files.
#include "engine/vision/vision_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>

#include "engine/gguf/gguf.h"
#include "engine/kernels/thread_pool.h"
#include "engine/vision/vision_test_util.h"

namespace teamvl::engine {
namespace {

using testing::random_mmproj_path;

RandomMmprojSpec spec_of(GgmlType type) {
  RandomMmprojSpec s;
  s.type = type;
  if (type == GgmlType::kQ8_0) s.n_ff = 128;  // multiples of 32 everywhere
  return s;
}

std::string path_of(GgmlType type) { return random_mmproj_path(type_name(type), spec_of(type)); }

Result<ImageEmbedding> encode_pattern(const VisionModel& m, int w, int h, ThreadPool& pool) {
  auto pre = preprocess_image(testing::pattern_image(w, h), m.preprocess_params());
  if (!pre.ok()) return pre.status();
  return m.encode(*pre, pool);
}

TEST(VisionModelTest, LoadsHparamsFromRandomFile) {
  const std::string path = path_of(GgmlType::kF32);
  ASSERT_FALSE(path.empty());
  auto m = VisionModel::open(path);
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  const VisionHparams& h = (*m)->hparams();
  EXPECT_EQ(h.projector, "qwen3vl_merger");
  EXPECT_EQ(h.n_embd, 64);
  EXPECT_EQ(h.n_layer, 3);
  EXPECT_EQ(h.head_dim(), 16);
  EXPECT_EQ(h.n_pos_side, 8);
  EXPECT_EQ(h.projection_dim, 96);
  EXPECT_EQ(h.deepstack_layers, std::vector<int32_t>{1});
  EXPECT_EQ(h.n_embd_out(), 192);
  const PreprocessParams p = (*m)->preprocess_params(512);
  EXPECT_EQ(p.patch_size, 16);
  EXPECT_EQ(p.merge_size, 2);
  EXPECT_EQ(p.max_side, 512);
  EXPECT_EQ(p.min_pixels, 8 * 32 * 32);
  EXPECT_EQ(p.max_pixels, 4096 * 32 * 32);
}

TEST(VisionModelTest, OutputLayoutAndLevelsAgree) {
  const std::string path = path_of(GgmlType::kF32);
  ThreadPool pool(2);
  VisionLoadOptions scalar;
  scalar.level = SimdLevel::kScalar;
  auto fast = VisionModel::open(path);
  auto slow = VisionModel::open(path, scalar);
  ASSERT_TRUE(fast.ok() && slow.ok());
  EXPECT_EQ((*slow)->packed_bytes(), 0);
  auto a = encode_pattern(**fast, 150, 90, pool);
  auto b = encode_pattern(**slow, 150, 90, pool);
  ASSERT_TRUE(a.ok() && b.ok()) << a.status().to_string() << b.status().to_string();
  auto layout = plan_image_layout(150, 90, (*fast)->preprocess_params());
  ASSERT_TRUE(layout.ok());
  EXPECT_EQ(a->grid_x, layout->merged_x);
  EXPECT_EQ(a->grid_y, layout->merged_y);
  EXPECT_EQ(a->n_tokens, layout->n_tokens);
  EXPECT_EQ(a->dim, 192);
  ASSERT_EQ(a->rows.size(), static_cast<size_t>(a->n_tokens) * a->dim);
  double sumsq = 0;
  for (float v : a->rows) {
    ASSERT_TRUE(std::isfinite(v));
    sumsq += v * v;
  }
  EXPECT_GT(sumsq, 0.0);
  // The DeepStack slice differs from the merger output (different weights).
  EXPECT_NE(a->rows[0], a->rows[96]);
  // Summation order differs; the fp16 GELU table turns the 1e-7 differences
  // into occasional one-step flips, hence 1e-4 rather than 1e-6.
  EXPECT_LT(testing::rel_error(a->rows.data(), b->rows.data(), a->rows.size()), 1e-4);
}

TEST(VisionModelTest, WeightTypesTrackF32) {
  ThreadPool pool(2);
  auto ref_model = VisionModel::open(path_of(GgmlType::kF32));
  ASSERT_TRUE(ref_model.ok());
  auto ref = encode_pattern(**ref_model, 64, 64, pool);
  ASSERT_TRUE(ref.ok());
  struct Case {
    GgmlType type;
    double tol;
  };
  for (const Case c : {Case{GgmlType::kF16, 1e-2}, Case{GgmlType::kBF16, 3e-2}, Case{GgmlType::kQ8_0, 5e-2}}) {
    SCOPED_TRACE(type_name(c.type));
    auto m = VisionModel::open(path_of(c.type));
    ASSERT_TRUE(m.ok()) << m.status().to_string();
    auto e = encode_pattern(**m, 64, 64, pool);
    ASSERT_TRUE(e.ok()) << e.status().to_string();
    const double err = testing::rel_error(e->rows.data(), ref->rows.data(), ref->rows.size());
    EXPECT_LT(err, c.tol);
    EXPECT_GT(err, 0.0);  // really a different weight type
  }
}

TEST(VisionModelTest, SplitQkvTensorsLoad) {
  RandomMmprojSpec s;
  s.fused_qkv = false;
  s.deepstack_layers = {0, 2};
  auto m = VisionModel::open(random_mmproj_path("split", s));
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  EXPECT_EQ((*m)->hparams().n_embd_out(), 96 * 3);
  ThreadPool pool(1);
  auto e = encode_pattern(**m, 40, 40, pool);
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  for (float v : e->rows) ASSERT_TRUE(std::isfinite(v));
}

TEST(VisionModelTest, RejectsImageOfAnotherGrid) {
  auto m = VisionModel::open(path_of(GgmlType::kF32));
  ASSERT_TRUE(m.ok());
  PreprocessedImage bad;
  bad.layout.width = 48;  // not a multiple of 32
  bad.layout.height = 32;
  bad.layout.patches_x = 3;
  bad.layout.patches_y = 2;
  bad.pixels.resize(3 * 48 * 32);
  ThreadPool pool(1);
  auto e = (*m)->encode(bad, pool);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument);
}

// Rewrites the good F32 file with changes: `edit_kv` may change or drop keys
// (return false to drop), `edit_tensor` likewise for tensors.
std::string rewrite(const std::string& name,
                    const std::function<bool(const std::string&, GgufValue&)>& edit_kv,
                    const std::function<bool(GgufTensorInfo&)>& edit_tensor) {
  auto src = GgufFile::open(path_of(GgmlType::kF32));
  EXPECT_TRUE(src.ok());
  GgufWriter w;
  for (const std::string& k : (*src)->keys()) {
    GgufValue v = *(*src)->find(k);
    if (edit_kv(k, v)) w.set(k, v);
  }
  for (GgufTensorInfo t : (*src)->tensors()) {
    const uint8_t* data = (*src)->tensor_data(t);
    std::vector<uint8_t> bytes(data, data + t.n_bytes);
    if (!edit_tensor(t)) continue;  // edits keep the byte count
    EXPECT_TRUE(w.add_tensor(t.name, t.type, t.ne, std::move(bytes)).ok()) << t.name;
  }
  const std::string path = (testing::scratch_dir() / (name + ".gguf")).string();
  EXPECT_TRUE(w.write(path).ok());
  return path;
}

TEST(VisionModelTest, BadFilesGiveClearErrors) {
  auto keep_kv = [](const std::string&, GgufValue&) { return true; };
  auto keep_t = [](GgufTensorInfo&) { return true; };
  struct Case {
    std::string name;
    std::string path;
    std::string expect;  // substring of the message
  };
  std::vector<Case> cases;
  cases.push_back({"wrong projector",
                   rewrite("wrong-proj",
                           [](const std::string& k, GgufValue& v) {
                             if (k == "clip.projector_type") v = GgufValue::make_string("mlp");
                             return true;
                           },
                           keep_t),
                   "expected projector type 'qwen3vl_merger'"});
  cases.push_back({"text model",
                   rewrite("text-arch",
                           [](const std::string& k, GgufValue& v) {
                             if (k == "general.architecture") v = GgufValue::make_string("qwen3vl");
                             return true;
                           },
                           keep_t),
                   "this is a text model"});
  cases.push_back({"missing tensor", rewrite("no-ffn", keep_kv, [](GgufTensorInfo& t) {
                     return t.name != "v.blk.1.ffn_down.weight";
                   }),
                   "'v.blk.1.ffn_down.weight' is missing"});
  cases.push_back({"wrong shape", rewrite("bad-shape", keep_kv, [](GgufTensorInfo& t) {
                     if (t.name == "mm.0.weight") t.ne = {128, 512};  // same bytes, other shape
                     return true;
                   }),
                   "tensor 'mm.0.weight': expected 256 inputs x 256 outputs"});
  cases.push_back({"deepstack flags", rewrite("bad-ds",
                                              [](const std::string& k, GgufValue& v) {
                                                if (k == "clip.vision.is_deepstack_layers")
                                                  v = GgufValue::make_bool_array({true, false});
                                                return true;
                                              },
                                              keep_t),
                   "expected 3 flags"});
  cases.push_back({"missing projector key", rewrite("no-proj",
                                                    [](const std::string& k, GgufValue&) {
                                                      return k != "clip.projector_type";
                                                    },
                                                    keep_t),
                   "expected clip.projector_type = qwen3vl_merger, found none"});
  // Truncated: the tensor data cut short.
  const std::string good = path_of(GgmlType::kF32);
  const std::string truncated = (testing::scratch_dir() / "truncated.gguf").string();
  std::filesystem::copy_file(good, truncated, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::resize_file(truncated, std::filesystem::file_size(good) - 1000);
  cases.push_back({"truncated", truncated, "truncated"});
  // Corrupt: not GGUF at all.
  const std::string corrupt = (testing::scratch_dir() / "corrupt.gguf").string();
  {
    std::ofstream out(corrupt, std::ios::binary);
    out << "this is not a gguf file, just some bytes of text";
  }
  cases.push_back({"corrupt", corrupt, ""});
  cases.push_back({"absent", (testing::scratch_dir() / "absent.gguf").string(), ""});

  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto m = VisionModel::open(c.path);
    ASSERT_FALSE(m.ok());
    EXPECT_FALSE(m.status().message().empty());
    if (!c.expect.empty()) {
      EXPECT_NE(m.status().message().find(c.expect), std::string::npos) << m.status().message();
    }
  }
}

}  // namespace
}  // namespace teamvl::engine
