// The vision encoder against llama.cpp's reference outputs in
// ../shared/fixtures/qwen3vl-tiny: every captured intermediate tensor
// (debug/, F32 mmproj) to localize errors, then the image embeddings of all
// three fixture images for the F32 (relative error <= 1e-4) and F16 (<= 1e-2)
// mmproj, from the decoded *.rgb and from the image files themselves.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>

#include "engine/kernels/thread_pool.h"
#include "engine/vision/image_embedder.h"
#include "engine/vision/vision_model.h"
#include "engine/vision/vision_test_util.h"

namespace teamvl::engine {
namespace {

using nlohmann::json;

class VisionFixtureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::tiny_fixtures_dir();
    if (dir_.empty()) GTEST_SKIP() << "fixtures not found (../shared/fixtures/qwen3vl-tiny): skipping";
  }
  json load_json(const std::string& rel) {
    std::ifstream in(dir_ + "/" + rel);
    EXPECT_TRUE(in) << rel;
    return in ? json::parse(in) : json();
  }
  std::unique_ptr<VisionModel> model(const std::string& tag) {
    auto m = VisionModel::open(dir_ + "/models/mmproj-qwen3vl-tiny-a-" + tag + ".gguf");
    EXPECT_TRUE(m.ok()) << m.status().to_string();
    return m.ok() ? std::move(m).value() : nullptr;
  }
  // The image as llama.cpp decoded it (stb_image, RGB8).
  RgbImage decoded(const json& img) {
    RgbImage r;
    r.width = img["image_nx"];
    r.height = img["image_ny"];
    const std::vector<uint8_t> bytes = testing::read_bytes(dir_ + "/vision/" + img["decoded_rgb_file"].get<std::string>());
    EXPECT_EQ(bytes.size(), static_cast<size_t>(r.width) * r.height * 3);
    r.pixels = bytes;
    return r;
  }
  std::string dir_;
};

TEST_F(VisionFixtureTest, IntermediateTensorsMatchCapture) {
  const json capture = load_json("debug/capture.embd.mmproj-F32.json");
  const json embd = load_json("vision/embd.mmproj-F32.json");
  auto m = model("F32");
  ASSERT_TRUE(m);
  ThreadPool pool(2);
  int checked = 0;
  for (const json& img : embd["images"]) {
    const std::string id = img["id"];
    const std::string prefix = id + ".mmproj-F32.";
    if (!capture.contains(prefix + "inp_raw")) continue;  // captured for two of the images
    auto pre = preprocess_image(decoded(img), m->preprocess_params());
    ASSERT_TRUE(pre.ok()) << pre.status().to_string();
    // Preprocessing is exact.
    const auto raw = testing::read_f32_file(dir_ + "/debug/" + capture[prefix + "inp_raw"]["file"].get<std::string>());
    ASSERT_EQ(raw.size(), pre->pixels.size()) << id;
    EXPECT_EQ(testing::rel_error(pre->pixels.data(), raw.data(), raw.size()), 0.0) << id;
    std::map<std::string, double> errors;
    auto debug = [&](const std::string& name, const float* data, int64_t rows, int64_t row_len) {
      const auto it = capture.find(prefix + name);
      if (it == capture.end() || !it->contains("file")) return;
      const auto ref = testing::read_f32_file(dir_ + "/debug/" + (*it)["file"].get<std::string>());
      ASSERT_EQ(ref.size(), static_cast<size_t>(rows * row_len)) << id << " " << name;
      errors[name] = testing::rel_error(data, ref.data(), ref.size());
    };
    ASSERT_TRUE(m->encode(*pre, pool, debug).ok());
    EXPECT_GE(errors.size(), 18u) << id;
    for (const auto& [name, err] : errors) {
      // Before the first GELU everything is plain f32 arithmetic (1e-6); after
      // it, the fp16 GELU table flips a few values at rounding boundaries.
      const bool early = name == "inp_pos_emb" || name == "ln1-0" || name.rfind("Qcur", 0) == 0 ||
                         name.rfind("Kcur", 0) == 0 || name == "attn_out-0";
      EXPECT_LE(err, early ? 2e-6 : 1e-4) << id << " " << name;
      ++checked;
    }
  }
  EXPECT_GE(checked, 36);
}

TEST_F(VisionFixtureTest, EmbeddingsMatchReference) {
  ThreadPool pool(2);
  for (const auto& [tag, tol] : {std::pair<std::string, double>{"F32", 1e-4}, {"F16", 1e-2}}) {
    const json embd = load_json("vision/embd.mmproj-" + tag + ".json");
    auto m = model(tag);
    ASSERT_TRUE(m);
    ImageEmbedder embedder(*m, pool);
    ASSERT_EQ(embd["images"].size(), 3u);
    for (const json& img : embd["images"]) {
      const std::string id = img["id"];
      SCOPED_TRACE(tag + " " + id);
      const auto ref = testing::read_f32_file(dir_ + "/vision/" + img["embd_file"].get<std::string>());
      const auto shape = img["embd_shape"].get<std::vector<int64_t>>();
      ASSERT_EQ(ref.size(), static_cast<size_t>(shape[0] * shape[1]));
      const json& chunk = img["chunks"][1];
      // From the decoded pixels llama.cpp saw.
      auto pre = preprocess_image(decoded(img), m->preprocess_params());
      ASSERT_TRUE(pre.ok());
      auto e = m->encode(*pre, pool);
      ASSERT_TRUE(e.ok()) << e.status().to_string();
      EXPECT_EQ(e->n_tokens, shape[0]);
      EXPECT_EQ(e->dim, shape[1]);
      EXPECT_EQ(e->grid_x, chunk["grid_x"].get<int>());
      EXPECT_EQ(e->grid_y, chunk["grid_y"].get<int>());
      ASSERT_EQ(e->rows.size(), ref.size());
      const double err = testing::rel_error(e->rows.data(), ref.data(), ref.size());
      std::printf("[ %s ] %-10s relative error %.3g (bar %.0e)\n", tag.c_str(), id.c_str(), err, tol);
      EXPECT_LE(err, tol);
      // From the image file, through our decoders and the embedder.
      const auto bytes = testing::read_bytes(dir_ + "/" + img["image"].get<std::string>());
      auto f = embedder.embed_file(bytes, "fixture");
      ASSERT_TRUE(f.ok()) << f.status().to_string();
      EXPECT_LE(testing::rel_error((*f)->rows.data(), ref.data(), ref.size()), tol);
    }
  }
}

}  // namespace
}  // namespace teamvl::engine
