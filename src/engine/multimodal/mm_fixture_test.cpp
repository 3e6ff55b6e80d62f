// Multimodal prompts against llama.cpp's references (../shared/fixtures/
// qwen3vl-tiny/mm): the chunk list and the M-RoPE positions of every image
// token, then teacher forcing of prompt + greedy tokens through the text
// model with our own image embeddings: top-10 logits of every row (text and
// image alike), the full last-prompt logits, and the argmax wherever the
// reference margin exceeds the tolerance. Every text type with the F32
// mmproj, and Q8_0 / Q4_K_M with the F16 mmproj.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>

#include "engine/engine.h"
#include "engine/multimodal/mm_prompt.h"
#include "engine/vision/image_embedder.h"
#include "engine/model/logit_compare.h"
#include "engine/vision/vision_test_util.h"

namespace teamvl::engine {
namespace {

using nlohmann::json;

struct MmCase {
  const char* file_tag;  // mm/mm.<file_tag>.json
  const char* text_tag;  // models/qwen3vl-tiny-a-<text_tag>.gguf
  const char* mmproj;    // F32 or F16
  double tol;
  // BF16 only: bf16-rounded activations put llama.cpp's own noise at the
  // tolerance (the text tests allow 0.1% of values over it, by <= 25%). With
  // llama.cpp's own image rows this model passes with no value over it; with
  // ours (relative error 3e-5, from fp16 GELU-table flips) 16-18 of 12,868
  // values exceed 0.02, by up to 29% depending on summation order: hence 0.2%
  // and 1.5x here. The argmax rule is unchanged.
  double outlier_fraction;
};
const MmCase kCases[] = {
    {"F32", "F32", "F32", 1e-3, 0},       {"F16", "F16", "F32", 2e-2, 0},
    {"BF16", "BF16", "F32", 2e-2, 2e-3},  {"Q8_0", "Q8_0", "F32", 0.3, 0},
    {"Q6_K", "Q6_K", "F32", 0.3, 0},      {"Q5_K_M", "Q5_K_M", "F32", 0.3, 0},
    {"Q4_K_M", "Q4_K_M", "F32", 0.3, 0},  {"Q8_0+mmproj-F16", "Q8_0", "F16", 0.3, 0},
    {"Q4_K_M+mmproj-F16", "Q4_K_M", "F16", 0.3, 0},
};

std::string print_case(const ::testing::TestParamInfo<MmCase>& info) {
  std::string s = info.param.file_tag;
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return s;
}

using testing::compare_top;
using testing::DeltaStats;

class MmFixtureTest : public ::testing::TestWithParam<MmCase> {
 protected:
  void SetUp() override {
    dir_ = testing::tiny_fixtures_dir();
    if (dir_.empty()) GTEST_SKIP() << "fixtures not found (../shared/fixtures/qwen3vl-tiny): skipping";
    const MmCase& c = GetParam();
    std::ifstream in(dir_ + "/mm/mm." + c.file_tag + ".json");
    ASSERT_TRUE(in) << "missing mm." << c.file_tag << ".json";
    ref_ = json::parse(in);
    EngineOptions o;
    o.model_path = dir_ + "/models/qwen3vl-tiny-a-" + c.text_tag + ".gguf";
    o.n_threads = 1;
    auto e = Engine::load(o);
    ASSERT_TRUE(e.ok()) << e.status().to_string();
    engine_ = std::move(e).value();
    auto v = VisionModel::open(dir_ + "/models/mmproj-qwen3vl-tiny-a-" + std::string(c.mmproj) + ".gguf");
    ASSERT_TRUE(v.ok()) << v.status().to_string();
    vision_ = std::move(v).value();
    ASSERT_TRUE(check_vision_fits_text(vision_->hparams(), engine_->hparams()).ok());
  }

  // Our embedding of the image file, and the chunk list of the prompt.
  MmPrompt build(const json& img) {
    ImageEmbedder embedder(*vision_, engine_->pool());
    const auto bytes = testing::read_bytes(dir_ + "/" + img["image"].get<std::string>());
    auto e = embedder.embed_file(bytes, "fixture");
    EXPECT_TRUE(e.ok()) << e.status().to_string();
    if (!e.ok()) return {};
    auto p = build_mm_prompt(img["prompt"].get<std::string>(), std::vector{*e}, engine_->tokenizer());
    EXPECT_TRUE(p.ok()) << p.status().to_string();
    return p.ok() ? std::move(p).value() : MmPrompt{};
  }

  std::string dir_;
  json ref_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<VisionModel> vision_;
};

TEST_P(MmFixtureTest, ChunksAndImagePositionsMatch) {
  for (const json& img : ref_["images"]) {
    SCOPED_TRACE(img["id"].get<std::string>());
    const MmPrompt p = build(img);
    const json& chunks = img["chunks"];
    ASSERT_EQ(p.chunks.size(), chunks.size());
    for (size_t i = 0; i < chunks.size(); ++i) {
      const MmChunk& c = p.chunks[i];
      EXPECT_EQ(c.pos0, chunks[i]["pos0"].get<int32_t>()) << i;
      if (chunks[i]["type"] == "text") {
        ASSERT_EQ(c.kind, MmChunk::Kind::kText);
        EXPECT_EQ(c.tokens, chunks[i]["tokens"].get<std::vector<int32_t>>()) << i;
      } else {
        ASSERT_EQ(c.kind, MmChunk::Kind::kImage);
        EXPECT_EQ(c.n_tokens(), chunks[i]["n_tokens"].get<int32_t>());
        EXPECT_EQ(c.n_pos(), chunks[i]["n_pos"].get<int32_t>());
        EXPECT_EQ(c.image->grid_x, chunks[i]["grid_x"].get<int32_t>());
        EXPECT_EQ(c.image->grid_y, chunks[i]["grid_y"].get<int32_t>());
        const auto expect = chunks[i]["positions_t_h_w_e"].get<std::vector<std::array<int32_t, 4>>>();
        EXPECT_EQ(c.positions(), expect);
      }
    }
    EXPECT_EQ(p.n_pos, img["n_past_after_prompt"].get<int32_t>());
    EXPECT_EQ(p.n_tokens(), static_cast<int32_t>(img["topk_per_position"].size()));
  }
}

TEST_P(MmFixtureTest, TeacherForcingMatchesReference) {
  const MmCase& c = GetParam();
  const int32_t n_vocab = engine_->hparams().n_vocab;
  DeltaStats all;
  for (const json& img : ref_["images"]) {
    const std::string id = img["id"];
    const MmPrompt mm = build(img);
    auto prompt = mm.to_prompt();
    ASSERT_TRUE(prompt.ok()) << prompt.status().to_string();
    const int32_t n_prompt = prompt->size();
    const auto greedy = img["greedy_tokens"].get<std::vector<int32_t>>();
    prompt->add_text(greedy);
    std::vector<float> logits(static_cast<size_t>(prompt->size()) * n_vocab);
    GenerationRequest r;
    r.owner = "fixture";
    r.prompt = *prompt;
    r.max_tokens = 0;
    r.prompt_logits = true;
    r.reuse_prefix = false;
    r.on_logits = [&](int32_t i, std::span<const float> l) {
      if (i >= 0 && i < prompt->size()) std::copy(l.begin(), l.end(), logits.begin() + static_cast<int64_t>(i) * n_vocab);
    };
    auto done = engine_->run_to_completion(std::move(r));
    ASSERT_TRUE(done.ok()) << done.status().to_string();
    DeltaStats d;
    const json& topk = img["topk_per_position"];
    ASSERT_EQ(static_cast<int32_t>(topk.size()), n_prompt);
    for (int32_t i = 0; i < n_prompt; ++i) {
      compare_top(&logits[static_cast<size_t>(i) * n_vocab], topk[i], c.tol, n_vocab, id + " row " + std::to_string(i), d);
    }
    const json& steps = img["greedy_steps"];
    for (size_t k = 0; k < steps.size(); ++k) {
      compare_top(&logits[(n_prompt - 1 + k) * n_vocab], steps[k]["top"], c.tol, n_vocab,
                  id + " greedy step " + std::to_string(k), d);
    }
    const auto last = testing::read_f32_file(dir_ + "/mm/" + img["last_logits_file"].get<std::string>());
    ASSERT_EQ(static_cast<int32_t>(last.size()), n_vocab);
    for (int32_t v = 0; v < n_vocab; ++v) d.add(logits[static_cast<size_t>(n_prompt - 1) * n_vocab + v], last[v], c.tol);
    std::printf("[ %s ] %-10s max |delta logit| = %.3g (tolerance %.3g), %zu of %zu over\n", c.file_tag, id.c_str(),
                d.max, c.tol, d.over_tol, d.count);
    all.max = std::max(all.max, d.max);
    all.count += d.count;
    all.over_tol += d.over_tol;
  }
  if (c.outlier_fraction == 0) {
    EXPECT_LE(all.max, c.tol);
  } else {
    EXPECT_LE(all.over_tol, static_cast<size_t>(c.outlier_fraction * static_cast<double>(all.count)));
    EXPECT_LE(all.max, 1.5 * c.tol);
  }
}

TEST_P(MmFixtureTest, FreeRunningGreedyMatchesUpToFirstSmallMargin) {
  const double tol = GetParam().tol;
  for (const json& img : ref_["images"]) {
    const std::string id = img["id"];
    const auto ref_tokens = img["greedy_tokens"].get<std::vector<int32_t>>();
    size_t must_match = 0;
    while (must_match < ref_tokens.size() && img["greedy_steps"][must_match]["margin"].get<double>() > tol) {
      ++must_match;
    }
    auto prompt = build(img).to_prompt();
    ASSERT_TRUE(prompt.ok());
    GenerationRequest r;
    r.owner = "fixture";
    r.prompt = *prompt;
    r.max_tokens = static_cast<int32_t>(ref_tokens.size());
    r.ignore_eos = true;
    auto c = engine_->run_to_completion(std::move(r));
    ASSERT_TRUE(c.ok()) << c.status().to_string();
    ASSERT_EQ(c->tokens.size(), ref_tokens.size()) << id;
    for (size_t k = 0; k < must_match; ++k) ASSERT_EQ(c->tokens[k], ref_tokens[k]) << id << " step " << k;
  }
}

INSTANTIATE_TEST_SUITE_P(AllTypes, MmFixtureTest, ::testing::ValuesIn(kCases), print_case);

}  // namespace
}  // namespace teamvl::engine
