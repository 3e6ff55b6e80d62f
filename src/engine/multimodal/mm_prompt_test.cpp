// Multimodal prompt assembly on the demo model's vocabulary (no fixtures
// needed): chunk layout around image markers, M-RoPE positions, image token
// counts, errors; and an end-to-end run of the demo text model with a random
// mmproj's image rows (chunked prefill equals one-shot, the image matters).
#include "engine/multimodal/mm_prompt.h"

#include <gtest/gtest.h>

#include <cmath>

#include "engine/engine.h"
#include "engine/vision/image_embedder.h"
#include "engine/vision/vision_test_util.h"

namespace teamvl::engine {
namespace {

std::shared_ptr<const ImageEmbedding> fake_image(int32_t gx, int32_t gy, int32_t dim, float value) {
  auto e = std::make_shared<ImageEmbedding>();
  e->grid_x = gx;
  e->grid_y = gy;
  e->n_tokens = gx * gy;
  e->dim = dim;
  e->rows.assign(static_cast<size_t>(e->n_tokens) * dim, value);
  return e;
}

class MmPromptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string path = testing::demo_model_path();
    ASSERT_FALSE(path.empty());
    auto f = GgufFile::open(path);
    ASSERT_TRUE(f.ok());
    file_ = std::move(f).value();
    auto t = Tokenizer::from_gguf(*file_);
    ASSERT_TRUE(t.ok()) << t.status().to_string();
    tok_ = std::move(t).value();
  }
  int32_t id(const char* s) { return *tok_->special_id(s); }
  std::unique_ptr<GgufFile> file_;
  std::unique_ptr<Tokenizer> tok_;
};

TEST_F(MmPromptTest, ChunksPositionsAndCounts) {
  const std::string text = "<|im_start|>user\n<__media__>What is this?<__media__>and this<|im_end|>\n";
  const std::vector<std::shared_ptr<const ImageEmbedding>> images = {fake_image(3, 2, 8, 1.0f),
                                                                     fake_image(2, 4, 8, 2.0f)};
  EXPECT_EQ(count_image_slots(text), 2);
  auto p = build_mm_prompt(text, images, *tok_);
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  ASSERT_EQ(p->chunks.size(), 5u);
  const auto& c = p->chunks;
  EXPECT_EQ(c[0].kind, MmChunk::Kind::kText);
  EXPECT_EQ(c[0].tokens, tok_->encode("<|im_start|>user\n<|vision_start|>", true));
  EXPECT_EQ(c[0].tokens.back(), id("<|vision_start|>"));
  EXPECT_EQ(c[1].kind, MmChunk::Kind::kImage);
  EXPECT_EQ(c[1].pos0, static_cast<int32_t>(c[0].tokens.size()));
  EXPECT_EQ(c[2].tokens.front(), id("<|vision_end|>"));
  EXPECT_EQ(c[2].tokens.back(), id("<|vision_start|>"));
  EXPECT_EQ(c[2].pos0, c[1].pos0 + 3);  // max(3, 2)
  EXPECT_EQ(c[3].pos0, c[2].pos0 + static_cast<int32_t>(c[2].tokens.size()));
  EXPECT_EQ(c[4].pos0, c[3].pos0 + 4);  // max(2, 4)
  EXPECT_EQ(p->n_image_tokens, 6 + 8);
  EXPECT_EQ(p->n_text_tokens,
            static_cast<int32_t>(c[0].tokens.size() + c[2].tokens.size() + c[4].tokens.size()));
  EXPECT_EQ(p->n_pos, c[4].pos0 + static_cast<int32_t>(c[4].tokens.size()));
  EXPECT_EQ(p->n_images(), 2);
  // Image token i of a gx x gy grid: (p0, p0 + i / gx, p0 + i % gx, 0).
  const auto pos = c[3].positions();
  ASSERT_EQ(pos.size(), 8u);
  const int32_t p0 = c[3].pos0;
  for (int32_t i = 0; i < 8; ++i) {
    EXPECT_EQ(pos[i], (std::array<int32_t, 4>{p0, p0 + i / 2, p0 + i % 2, 0})) << i;
  }
  // The runner's prompt has the same rows and positions.
  auto prompt = p->to_prompt();
  ASSERT_TRUE(prompt.ok()) << prompt.status().to_string();
  ASSERT_EQ(prompt->size(), p->n_tokens());
  int32_t row = 0;
  for (const MmChunk& ch : c) {
    const auto ps = ch.positions();
    for (int32_t i = 0; i < ch.n_tokens(); ++i, ++row) {
      EXPECT_EQ((*prompt)[row].pos, ps[i]);
      if (ch.kind == MmChunk::Kind::kText) {
        EXPECT_EQ((*prompt)[row].token, ch.tokens[i]);
      } else {
        ASSERT_NE(prompt->embedding(row), nullptr);
        EXPECT_EQ(prompt->embedding(row)[0], ch.image->rows[0]);
      }
    }
  }
  EXPECT_EQ(prompt->next_pos(), p->n_pos);
}

TEST_F(MmPromptTest, TemplatePlaceholderIsAnImageSlot) {
  const std::string text = "a<|vision_start|><|image_pad|><|vision_end|>b";
  auto p = build_mm_prompt(text, std::vector{fake_image(1, 1, 4, 0.0f)}, *tok_);
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  ASSERT_EQ(p->chunks.size(), 3u);
  EXPECT_EQ(p->chunks[0].tokens, tok_->encode("a<|vision_start|>", true));
  EXPECT_EQ(p->chunks[2].tokens, tok_->encode("<|vision_end|>b", true));
  // No image at all: one text chunk.
  auto t = build_mm_prompt("just text", {}, *tok_);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->chunks.size(), 1u);
  EXPECT_EQ(t->n_image_tokens, 0);
}

TEST_F(MmPromptTest, Errors) {
  struct Case {
    std::string text;
    std::vector<std::shared_ptr<const ImageEmbedding>> images;
    std::string expect;
  };
  auto broken = std::make_shared<ImageEmbedding>();
  const Case cases[] = {
      {"<__media__><__media__>", {fake_image(1, 1, 4, 0)}, "2 image marker(s)"},
      {"no marker", {fake_image(1, 1, 4, 0)}, "0 image marker(s)"},
      {"<__media__>", {broken}, "empty or inconsistent"},
      {"<__media__><__media__>", {fake_image(1, 1, 4, 0), fake_image(1, 1, 8, 0)}, "different widths"},
  };
  for (const Case& c : cases) {
    auto p = build_mm_prompt(c.text, c.images, *tok_);
    ASSERT_FALSE(p.ok()) << c.text;
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(p.status().message().find(c.expect), std::string::npos) << p.status().message();
  }
  VisionHparams v;
  v.projection_dim = 128;
  v.deepstack_layers = {1, 2, 3};
  TextHparams t;
  t.n_embd = 256;
  t.n_deepstack = 3;
  EXPECT_NE(check_vision_fits_text(v, t).message().find("expected n_embd 256"), std::string::npos);
  v.projection_dim = 256;
  v.deepstack_layers = {1};
  EXPECT_NE(check_vision_fits_text(v, t).message().find("DeepStack"), std::string::npos);
  v.deepstack_layers = {1, 2, 3};
  EXPECT_TRUE(check_vision_fits_text(v, t).ok());
}

// Logits of every prompt row through the runner with the given batch size.
std::vector<float> prompt_logits(Engine& engine, const Prompt& prompt, int32_t batch) {
  RunnerConfig rc;
  rc.max_batch_tokens = batch;
  auto runner = engine.create_runner(rc);
  const int32_t n_vocab = engine.hparams().n_vocab;
  std::vector<float> out(static_cast<size_t>(prompt.size()) * n_vocab);
  GenerationRequest r;
  r.owner = "mm-test";
  r.prompt = prompt;
  r.max_tokens = 0;
  r.prompt_logits = true;
  r.reuse_prefix = false;
  r.on_logits = [&](int32_t i, std::span<const float> l) {
    if (i < prompt.size()) std::copy(l.begin(), l.end(), out.begin() + static_cast<int64_t>(i) * n_vocab);
  };
  EXPECT_TRUE(runner->add(std::move(r)).ok());
  while (!runner->idle()) runner->step();
  return out;
}

TEST_F(MmPromptTest, DemoModelRunsImagePromptsEndToEnd) {
  EngineOptions eo;
  eo.model_path = testing::demo_model_path();
  eo.n_threads = 2;
  auto engine = Engine::load(eo);
  ASSERT_TRUE(engine.ok()) << engine.status().to_string();
  RandomMmprojSpec spec;
  spec.projection_dim = (*engine)->hparams().n_embd;
  spec.deepstack_layers = {0, 1, 2};
  auto vm = VisionModel::open(testing::random_mmproj_path("demo-fit", spec));
  ASSERT_TRUE(vm.ok()) << vm.status().to_string();
  ASSERT_TRUE(check_vision_fits_text((*vm)->hparams(), (*engine)->hparams()).ok());
  ImageEmbedder embedder(**vm, (*engine)->pool());
  auto img = embedder.embed_rgb(testing::pattern_image(90, 60), "mm-test", "");
  ASSERT_TRUE(img.ok()) << img.status().to_string();
  const std::string text = (*engine)->render_chat({ChatMessage{"user", "<__media__>Describe it.", {}, {}}});
  auto mm = build_mm_prompt(text, std::vector{*img}, (*engine)->tokenizer());
  ASSERT_TRUE(mm.ok()) << mm.status().to_string();
  EXPECT_EQ(mm->n_image_tokens, (*img)->n_tokens);
  auto prompt = mm->to_prompt();
  ASSERT_TRUE(prompt.ok());
  const std::vector<float> one_shot = prompt_logits(**engine, *prompt, 512);
  const std::vector<float> chunked = prompt_logits(**engine, *prompt, 5);  // splits inside the image
  double max_d = 0;
  for (size_t i = 0; i < one_shot.size(); ++i) {
    ASSERT_TRUE(std::isfinite(one_shot[i]));
    max_d = std::max(max_d, std::fabs(static_cast<double>(one_shot[i]) - chunked[i]));
  }
  EXPECT_LT(max_d, 1e-3);
  // Another image changes what comes after it.
  auto other = embedder.embed_rgb(testing::pattern_image(90, 60, 99), "mm-test", "");
  ASSERT_TRUE(other.ok());
  auto mm2 = build_mm_prompt(text, std::vector{*other}, (*engine)->tokenizer());
  ASSERT_TRUE(mm2.ok());
  const std::vector<float> l2 = prompt_logits(**engine, *mm2->to_prompt(), 512);
  const size_t last = one_shot.size() - (*engine)->hparams().n_vocab;
  double diff = 0;
  for (size_t i = last; i < one_shot.size(); ++i) diff = std::max(diff, std::fabs(double(one_shot[i]) - l2[i]));
  EXPECT_GT(diff, 1e-4);
}

}  // namespace
}  // namespace teamvl::engine
