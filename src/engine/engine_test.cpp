// The engine facade: loading (and refusing bad files with clear errors),
// prompts through the chat template, generation, evaluation, accounting.
#include "engine/engine.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "engine/model/test_models.h"

namespace teamvl::engine {
namespace {

std::string write_bytes(const std::string& name, const std::vector<char>& bytes) {
  const std::string path = (testing::scratch_dir() / name).string();
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

std::vector<char> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}

Result<std::unique_ptr<Engine>> load(const std::string& path) {
  EngineOptions o;
  o.model_path = path;
  o.n_threads = 1;
  o.n_ctx = 256;
  return Engine::load(o);
}

TEST(EngineTest, LoadsTheDemoModelAndGenerates) {
  auto e = load(testing::demo_model_path("Q8_0"));
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  Engine& engine = **e;
  EXPECT_TRUE(engine.is_demo());
  EXPECT_EQ(engine.options().n_ctx, 256);
  ChatMessage m{"user", "Hello! How can I help?", {}, {}};
  const std::string prompt = engine.render_chat({m});
  EXPECT_EQ(prompt, "<|im_start|>user\nHello! How can I help?<|im_end|>\n<|im_start|>assistant\n");
  GenerationRequest r;
  r.owner = "alice";
  r.prompt = Prompt(engine.tokenize(prompt, true));
  r.max_tokens = 8;
  r.ignore_eos = true;
  auto c = engine.run_to_completion(r);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->tokens.size(), 8u);
  EXPECT_EQ(c->reason, FinishReason::kMaxTokens);
  EXPECT_EQ(c->n_prompt, r.prompt.size());
  EXPECT_GT(c->prefill_seconds, 0.0);
  EXPECT_EQ(c->text, engine.tokenizer().decode(c->tokens, false));
  // Finished: the owner holds nothing live, only reusable cache.
  EXPECT_EQ(engine.owner_usage("alice").bytes, 0);
  EXPECT_GT(engine.owner_usage("alice").cached_bytes, 0);
}

TEST(EngineTest, EvaluateMatchesGenerationLogits) {
  auto e = load(testing::demo_model_path("F32"));
  ASSERT_TRUE(e.ok());
  const std::vector<int32_t> ids = (*e)->tokenize("The river flows from the mountains to the sea.", true);
  auto logits = (*e)->evaluate(ids);
  ASSERT_TRUE(logits.ok());
  const int32_t V = (*e)->hparams().n_vocab;
  ASSERT_EQ(logits->size(), ids.size() * V);
  // Greedy token after the prompt = argmax of the last row.
  GenerationRequest r;
  r.prompt = Prompt(ids);
  r.max_tokens = 1;
  auto c = (*e)->run_to_completion(r);
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->tokens.size(), 1u);
  EXPECT_EQ(c->tokens[0], argmax(std::span<const float>(logits->data() + (ids.size() - 1) * V, V)));
  // Out-of-range ids are refused.
  EXPECT_EQ((*e)->evaluate({1, V}).status().code(), StatusCode::kInvalidArgument);
}

TEST(EngineTest, BadFilesAreClearErrors) {
  const std::vector<char> good = read_bytes(testing::demo_model_path("F32"));
  ASSERT_GT(good.size(), 4096u);
  struct Case {
    const char* name;
    std::vector<char> bytes;
    std::string message;
  };
  std::vector<Case> cases;
  cases.push_back({"truncated", std::vector<char>(good.begin(), good.begin() + good.size() / 2), "truncated"});
  cases.push_back({"header_only", std::vector<char>(good.begin(), good.begin() + 20), ""});
  std::vector<char> bad_magic = good;
  bad_magic[0] = 'X';
  cases.push_back({"bad_magic", bad_magic, ""});
  std::vector<char> bad_count = good;
  for (int i = 16; i < 24; ++i) bad_count[i] = '\x7f';  // absurd metadata count
  cases.push_back({"bad_kv_count", bad_count, ""});
  cases.push_back({"empty", {}, ""});
  for (const Case& c : cases) {
    auto e = load(write_bytes(std::string(c.name) + ".gguf", c.bytes));
    ASSERT_FALSE(e.ok()) << c.name;
    EXPECT_FALSE(e.status().message().empty()) << c.name;
    if (!c.message.empty()) {
      EXPECT_NE(e.status().message().find(c.message), std::string::npos) << e.status().message();
    }
  }
  auto missing = load((testing::scratch_dir() / "does-not-exist.gguf").string());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

TEST(EngineTest, FixtureVocabOnlyAndProjectorFilesAreRefused) {
  const std::string dir = testing::tiny_fixtures_dir();
  if (dir.empty()) GTEST_SKIP() << "fixtures not found: skipping";
  auto vocab = load(dir + "/models/qwen3-vocab.gguf");
  ASSERT_FALSE(vocab.ok());
  EXPECT_NE(vocab.status().message().find("token_embd.weight"), std::string::npos) << vocab.status().message();
  auto mmproj = load(dir + "/models/mmproj-qwen3vl-tiny-a-F32.gguf");
  ASSERT_FALSE(mmproj.ok());
  EXPECT_NE(mmproj.status().message().find("expected architecture qwen3vl"), std::string::npos)
      << mmproj.status().message();
  auto real = load(dir + "/models/qwen3vl-tiny-a-Q4_K_M.gguf");
  ASSERT_TRUE(real.ok()) << real.status().to_string();
  EXPECT_FALSE((*real)->is_demo());
}

TEST(EngineTest, BudgetsAndUsageAreVisiblePerOwner) {
  auto e = load(testing::demo_model_path("F32"));
  ASSERT_TRUE(e.ok());
  Engine& engine = **e;
  const int64_t bb = engine.kv_cache().block_bytes();
  engine.set_owner_budget("x", 10 * bb);
  Runner& r = engine.runner();
  GenerationRequest q;
  q.owner = "x";
  q.prompt = Prompt(engine.tokenize("The river flows from the mountains to the sea. Along the way it passes.", true));
  q.max_tokens = 50;
  q.ignore_eos = true;
  ASSERT_TRUE(r.add(q).ok());
  r.step();
  const KvOwnerUsage u = engine.owner_usage("x");
  EXPECT_GT(u.blocks, 0);
  EXPECT_EQ(u.bytes, u.blocks * bb);
  EXPECT_EQ(u.budget_bytes, 10 * bb);
  EXPECT_EQ(u.sequences, 1);
  bool listed = false;
  for (const auto& a : engine.all_owner_usage()) listed |= a.owner == "x";
  EXPECT_TRUE(listed);
  EXPECT_EQ(engine.pool_usage().used_blocks, u.blocks);
}

}  // namespace
}  // namespace teamvl::engine
