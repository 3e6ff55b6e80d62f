// The text model on generated demo models: loading (hparams, every file type),
// bad files (wrong architecture, missing tensor or key, wrong shape), forward
// pass input checks, batch composition, and DeepStack / embedding inputs.
#include "engine/model/text_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>

#include "engine/gguf/gguf.h"
#include "engine/kernels/thread_pool.h"
#include "engine/model/demo_vocab.h"
#include "engine/model/test_models.h"
#include "engine/tensor/quants.h"
#include "engine/tokenizer/tokenizer.h"

namespace teamvl::engine {
namespace {

std::unique_ptr<GgufFile> open_file(const std::string& path) {
  auto f = GgufFile::open(path);
  EXPECT_TRUE(f.ok()) << f.status().to_string();
  return f.ok() ? std::move(f).value() : nullptr;
}

// Copies a GGUF file, letting `edit` change metadata and tensors on the way.
struct Edit {
  std::function<void(GgufWriter&)> metadata;             // after all keys are copied
  std::function<bool(const GgufTensorInfo&)> keep;       // false drops a tensor
  std::function<std::vector<int64_t>(const GgufTensorInfo&)> shape;  // replaces ne (same bytes)
};
std::string rewrite(const std::string& src, const std::string& name, const Edit& edit) {
  auto f = open_file(src);
  GgufWriter w;
  for (const std::string& k : f->keys()) w.set(k, *f->find(k));
  if (edit.metadata) edit.metadata(w);
  for (const GgufTensorInfo& t : f->tensors()) {
    if (edit.keep && !edit.keep(t)) continue;
    std::vector<int64_t> ne = edit.shape ? edit.shape(t) : t.ne;
    EXPECT_TRUE(w.add_tensor(t.name, t.type, ne, f->tensor_data(t), t.n_bytes).ok()) << t.name;
  }
  const std::string out = (testing::scratch_dir() / name).string();
  EXPECT_TRUE(w.write(out).ok());
  return out;
}

Status load_status(const std::string& path) {
  auto f = GgufFile::open(path);
  if (!f.ok()) return f.status();
  auto m = TextModel::load(**f);
  return m.ok() ? Status::Ok() : m.status();
}

TEST(TextModelTest, DemoModelLoadsWithItsHparams) {
  const std::string path = testing::demo_model_path("F32");
  ASSERT_FALSE(path.empty());
  auto f = open_file(path);
  auto m = TextModel::load(*f);
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  const TextHparams& h = (*m)->hparams();
  EXPECT_EQ(h.arch, "qwen3vl");
  EXPECT_EQ(h.name, kDemoModelName);
  EXPECT_EQ(h.n_embd, 256);
  EXPECT_EQ(h.n_layer, 4);
  EXPECT_EQ(h.n_head, 4);
  EXPECT_EQ(h.n_head_kv, 2);
  EXPECT_EQ(h.head_dim, 64);
  EXPECT_EQ(h.n_ff, 512);
  EXPECT_EQ(h.n_deepstack, 3);
  EXPECT_TRUE(h.mrope);
  EXPECT_EQ(h.rope_sections, (std::array<int32_t, 4>{12, 10, 10, 0}));
  EXPECT_TRUE(h.tied_output);
  EXPECT_EQ(h.n_vocab % 64, 0);
  EXPECT_EQ((*m)->kv_bytes_per_token(), 4 * 2 * 128 * 4);
  EXPECT_GT((*m)->weight_bytes(), 4 * 256 * 256 * 4);
}

TEST(TextModelTest, DemoVocabularyIsAWorkingQwenTokenizer) {
  auto f = open_file(testing::demo_model_path("F32"));
  auto tok = Tokenizer::from_gguf(*f);
  ASSERT_TRUE(tok.ok()) << tok.status().to_string();
  const std::string text = "Hello! How can I help you today? 你好，世界 😊 def add(a, b):";
  std::vector<int32_t> ids = (*tok)->encode(text, true);
  EXPECT_LT(ids.size(), text.size() / 2) << "merges should shorten common text";
  EXPECT_EQ((*tok)->decode(ids), text);
  auto im_end = (*tok)->special_id("<|im_end|>");
  ASSERT_TRUE(im_end.has_value());
  EXPECT_EQ((*tok)->eos_id(), *im_end);
  EXPECT_TRUE((*tok)->is_eog(*im_end));
  EXPECT_EQ((*tok)->encode("<|im_start|>user", true).front(), *(*tok)->special_id("<|im_start|>"));
  auto tpl = f->get_string("tokenizer.chat_template");
  ASSERT_TRUE(tpl.ok());
  EXPECT_EQ(*tpl, qwen3vl_chat_template());
}

TEST(TextModelTest, ChatTemplateTextEqualsTheFixtureModels) {
  const std::string dir = testing::tiny_fixtures_dir();
  if (dir.empty()) GTEST_SKIP() << "fixtures not found: skipping";
  auto f = open_file(dir + "/models/qwen3vl-tiny-a-F32.gguf");
  EXPECT_EQ(*f->get_string("tokenizer.chat_template"), qwen3vl_chat_template());
}

TEST(TextModelTest, EveryDemoFileTypeLoads) {
  for (const char* type : {"F16", "BF16", "Q8_0", "Q4_0", "Q6_K", "Q5_K_M", "Q4_K_M"}) {
    const std::string path = testing::demo_model_path(type);
    ASSERT_FALSE(path.empty()) << type;
    EXPECT_TRUE(load_status(path).ok()) << type << ": " << load_status(path).to_string();
  }
  auto f = open_file(testing::demo_model_path("Q4_K_M"));
  EXPECT_EQ(f->find_tensor("token_embd.weight")->type, GgmlType::kQ6_K);
  EXPECT_EQ(f->find_tensor("blk.0.attn_q.weight")->type, GgmlType::kQ4_K);
  EXPECT_EQ(f->find_tensor("blk.3.ffn_down.weight")->type, GgmlType::kQ6_K);
  EXPECT_EQ(f->find_tensor("blk.1.ffn_down.weight")->type, GgmlType::kQ4_K);
}

TEST(TextModelTest, BadFilesGiveExpectedVersusFound) {
  const std::string demo = testing::demo_model_path("F32");
  struct Case {
    const char* name;
    Edit edit;
    const char* message;  // must appear in the error
  };
  std::vector<Case> cases;
  auto meta = [](std::function<void(GgufWriter&)> fn) {
    Edit e;
    e.metadata = std::move(fn);
    return e;
  };
  Edit drop_k;
  drop_k.keep = [](const GgufTensorInfo& t) { return t.name != "blk.1.attn_k.weight"; };
  Edit reshape_q;
  reshape_q.shape = [](const GgufTensorInfo& t) {
    return t.name == "blk.2.attn_q.weight" ? std::vector<int64_t>{512, 128} : t.ne;
  };
  cases.push_back({"wrong_arch", meta([](GgufWriter& w) { w.set_string("general.architecture", "llama"); }),
                   "expected architecture qwen3vl (or qwen3), found 'llama'"});
  cases.push_back({"mmproj_arch", meta([](GgufWriter& w) { w.set_string("general.architecture", "clip"); }),
                   "vision projector"});
  cases.push_back({"missing_tensor", drop_k, "tensor 'blk.1.attn_k.weight' is missing"});
  cases.push_back({"wrong_shape", reshape_q,
                   "tensor 'blk.2.attn_q.weight': expected shape {256, 256}, found {512, 128}"});
  cases.push_back({"bad_sections",
                   meta([](GgufWriter& w) { w.set_int32_array("qwen3vl.rope.dimension_sections", {30, 10, 10, 0}); }),
                   "expected sections summing to at most head_dim/2 = 32, found 50"});
  cases.push_back({"gqa_mismatch", meta([](GgufWriter& w) { w.set_uint32("qwen3vl.attention.head_count_kv", 3); }),
                   "multiple of head_count_kv, found 3"});
  cases.push_back({"wrong_key_type", meta([](GgufWriter& w) { w.set_string("qwen3vl.block_count", "four"); }),
                   "expected an integer, found string"});
  for (const Case& c : cases) {
    const std::string path = rewrite(demo, std::string(c.name) + ".gguf", c.edit);
    Status st = load_status(path);
    EXPECT_FALSE(st.ok()) << c.name;
    EXPECT_NE(st.message().find(c.message), std::string::npos) << c.name << ": " << st.message();
  }
}

TEST(TextModelTest, MissingMetadataKeyIsNamed) {
  // Rebuild without embedding_length: the writer has no erase, so copy by hand.
  auto f = open_file(testing::demo_model_path("F32"));
  GgufWriter w;
  for (const std::string& k : f->keys())
    if (k != "qwen3vl.embedding_length") w.set(k, *f->find(k));
  for (const auto& t : f->tensors()) ASSERT_TRUE(w.add_tensor(t.name, t.type, t.ne, f->tensor_data(t), t.n_bytes).ok());
  const std::string path = (testing::scratch_dir() / "no_embd_len.gguf").string();
  ASSERT_TRUE(w.write(path).ok());
  Status st = load_status(path);
  EXPECT_NE(st.message().find("'qwen3vl.embedding_length' is missing"), std::string::npos) << st.message();
}

TEST(TextModelTest, PlainQwen3ArchitectureLoadsWithoutMrope) {
  // The demo file relabelled as arch qwen3: keys renamed, no M-RoPE sections.
  auto f = open_file(testing::demo_model_path("F32"));
  GgufWriter w;
  for (const std::string& k : f->keys()) {
    if (k == "qwen3vl.rope.dimension_sections" || k == "qwen3vl.n_deepstack_layers") continue;
    std::string key = k.rfind("qwen3vl.", 0) == 0 ? "qwen3." + k.substr(8) : k;
    w.set(key, *f->find(k));
  }
  w.set_string("general.architecture", "qwen3");
  for (const auto& t : f->tensors()) ASSERT_TRUE(w.add_tensor(t.name, t.type, t.ne, f->tensor_data(t), t.n_bytes).ok());
  const std::string path = (testing::scratch_dir() / "qwen3.gguf").string();
  ASSERT_TRUE(w.write(path).ok());
  auto q = open_file(path);
  auto m = TextModel::load(*q);
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  EXPECT_EQ((*m)->hparams().arch, "qwen3");
  EXPECT_FALSE((*m)->hparams().mrope);
  EXPECT_EQ((*m)->hparams().n_deepstack, 0);
  EXPECT_EQ((*m)->hparams().n_embd_inp(), 256);
}

class ForwardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = open_file(testing::demo_model_path("F32"));
    ASSERT_TRUE(file_);
    auto m = TextModel::load(*file_);
    ASSERT_TRUE(m.ok()) << m.status().to_string();
    model_ = std::move(m).value();
    const TextHparams& h = model_->hparams();
    KvCacheConfig c{h.n_layer, h.n_head_kv, h.head_dim, 16, 64 << 20};
    kv_ = std::move(KvCache::create(c)).value();
  }

  // Logits of the last token of `ids` run as one sequence from slot 0.
  std::vector<float> run(const std::vector<int32_t>& ids, const std::vector<const float*>& embd = {}) {
    auto seq = *kv_->open("t");
    EXPECT_TRUE(kv_->reserve(seq, static_cast<int32_t>(ids.size())).ok());
    std::vector<BatchToken> b;
    for (size_t i = 0; i < ids.size(); ++i) {
      BatchToken t;
      t.seq = seq;
      t.index = static_cast<int32_t>(i);
      t.token = ids[i];
      if (i < embd.size() && embd[i]) {
        t.token = -1;
        t.embd = embd[i];
      }
      const int32_t p = static_cast<int32_t>(i);
      t.pos = {p, p, p, 0};
      t.logits = i + 1 == ids.size();
      b.push_back(t);
    }
    std::vector<float> logits(model_->hparams().n_vocab);
    Status st = model_->forward(b, *kv_, pool_, scratch_, logits.data());
    EXPECT_TRUE(st.ok()) << st.to_string();
    kv_->release(seq);
    return logits;
  }

  std::unique_ptr<GgufFile> file_;
  std::unique_ptr<TextModel> model_;
  std::unique_ptr<KvCache> kv_;
  ThreadPool pool_{1};
  ForwardScratch scratch_;
};

double max_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0;
  for (size_t i = 0; i < a.size(); ++i) d = std::max(d, std::fabs(static_cast<double>(a[i]) - b[i]));
  return d;
}

TEST_F(ForwardTest, RejectsOutOfRangeTokensAndUnreservedSlots) {
  auto seq = *kv_->open("t");
  ASSERT_TRUE(kv_->reserve(seq, 4).ok());
  std::vector<float> logits(model_->hparams().n_vocab);
  for (int32_t bad : {-1, model_->hparams().n_vocab}) {
    BatchToken t;
    t.seq = seq;
    t.token = bad;
    Status st = model_->forward(std::vector<BatchToken>{t}, *kv_, pool_, scratch_, logits.data());
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(st.message().find("out of range"), std::string::npos);
  }
  BatchToken t;
  t.seq = seq;
  t.token = 1;
  t.index = 16;  // only one block (16 slots) reserved
  EXPECT_EQ(model_->forward(std::vector<BatchToken>{t}, *kv_, pool_, scratch_, logits.data()).code(),
            StatusCode::kInvalidArgument);
  kv_->release(seq);
}

TEST_F(ForwardTest, TwoSequencesInOneBatchMatchSeparateRuns) {
  const std::vector<int32_t> a = {10, 20, 30, 40, 50, 60, 70};
  const std::vector<int32_t> b = {5, 6, 7, 8, 9, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 11, 12, 13, 14};
  const std::vector<float> la = run(a), lb = run(b);
  auto sa = *kv_->open("x"), sb = *kv_->open("y");
  ASSERT_TRUE(kv_->reserve(sa, 7).ok());
  ASSERT_TRUE(kv_->reserve(sb, 18).ok());
  std::vector<BatchToken> batch;
  // Interleave the two sequences' tokens in one pass.
  for (size_t i = 0; i < b.size(); ++i) {
    for (int s = 0; s < 2; ++s) {
      const auto& ids = s ? b : a;
      if (i >= ids.size()) continue;
      BatchToken t;
      t.seq = s ? sb : sa;
      t.index = static_cast<int32_t>(i);
      t.token = ids[i];
      t.pos = {t.index, t.index, t.index, 0};
      t.logits = i + 1 == ids.size();
      batch.push_back(t);
    }
  }
  const int32_t V = model_->hparams().n_vocab;
  std::vector<float> logits(2 * V);
  ASSERT_TRUE(model_->forward(batch, *kv_, pool_, scratch_, logits.data()).ok());
  // Rows come in batch order: a's last token (i=6) precedes b's (i=17).
  EXPECT_LT(max_diff(std::vector<float>(logits.begin(), logits.begin() + V), la), 1e-4);
  EXPECT_LT(max_diff(std::vector<float>(logits.begin() + V, logits.end()), lb), 1e-4);
}

TEST_F(ForwardTest, EmbeddingInputEqualsTokenInputAndDeepStackIsAdded) {
  const TextHparams& h = model_->hparams();
  const std::vector<int32_t> ids = {100, 200, 300, 400};
  const std::vector<float> by_id = run(ids);
  // Input rows: token 200's embedding, DeepStack slices zero.
  std::vector<float> row(h.n_embd_inp(), 0.0f);
  const GgufTensorInfo* te = file_->find_tensor("token_embd.weight");
  ASSERT_TRUE(dequantize_row(te->type, file_->tensor_data(*te) + row_bytes(te->type, h.n_embd) * 200, row.data(),
                             h.n_embd)
                  .ok());
  const std::vector<float> by_row = run(ids, {nullptr, row.data()});
  EXPECT_LT(max_diff(by_id, by_row), 1e-5);
  // A non-zero DeepStack slice changes the result.
  for (int32_t i = h.n_embd; i < 2 * h.n_embd; ++i) row[i] = 0.5f;
  const std::vector<float> with_ds = run(ids, {nullptr, row.data()});
  EXPECT_GT(max_diff(by_id, with_ds), 1e-3);
}

TEST(RopeTest, ImropeSectionsPickTheComponent) {
  RopeConfig c;
  c.head_dim = 64;
  c.base = 10000.0f;
  c.mrope = true;
  c.sections = {12, 10, 10, 0};
  std::vector<float> cs(64);
  rope_cache(c, {7, 7, 7, 0}, cs.data());
  // Pair 31 falls past every section: component e (0 for text) -> no rotation.
  EXPECT_EQ(cs[62], 1.0f);
  EXPECT_EQ(cs[63], 0.0f);
  // Pairs 0, 1, 2 use t, h, w; with (1, 2, 3) the angles are 1, 2*s, 3*s^2.
  rope_cache(c, {1, 2, 3, 0}, cs.data());
  const float s = std::pow(10000.0f, -2.0f / 64.0f);
  EXPECT_NEAR(cs[0], std::cos(1.0f), 1e-6);
  EXPECT_NEAR(cs[3], std::sin(2.0f * s), 1e-6);
  EXPECT_NEAR(cs[5], std::sin(3.0f * s * s), 1e-6);
  // Pair 30 (sector 30 = 3*10: past h/w sections, t section has 36): t again.
  EXPECT_NEAR(cs[61], std::sin(1.0f * std::pow(s, 30.0f)), 1e-6);
  // Plain NeoX (qwen3): every pair uses pos[0].
  c.mrope = false;
  rope_cache(c, {5, 0, 0, 0}, cs.data());
  EXPECT_NEAR(cs[63], std::sin(5.0f * std::pow(s, 31.0f)), 1e-6);
}

TEST(RopeTest, RotationPairsFirstAndSecondHalf) {
  RopeConfig c;
  c.head_dim = 4;
  const float cos_sin[4] = {0.0f, 1.0f, 1.0f, 0.0f};  // pair 0: 90 degrees; pair 1: none
  float x[4] = {1.0f, 2.0f, 3.0f, 4.0f};             // pairs (x0, x2) and (x1, x3)
  rope_apply(c, cos_sin, x, 1);
  EXPECT_FLOAT_EQ(x[0], -3.0f);
  EXPECT_FLOAT_EQ(x[2], 1.0f);
  EXPECT_FLOAT_EQ(x[1], 2.0f);
  EXPECT_FLOAT_EQ(x[3], 4.0f);
}

}  // namespace
}  // namespace teamvl::engine
