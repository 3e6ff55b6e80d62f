// Opens the llama.cpp-compatible fixture models (skipped when absent) and checks
// metadata and tensor tables against the shapes documented in their README.
#include <gtest/gtest.h>

#include <filesystem>

#include "engine/gguf/gguf.h"

namespace teamvl::engine {
namespace {

std::string models_dir() { return std::string(TEAMVL_FIXTURES_DIR) + "/qwen3vl-tiny/models"; }

#define SKIP_WITHOUT_FIXTURES()                                                  \
  if (!std::filesystem::exists(models_dir()))                                    \
  GTEST_SKIP() << "fixtures not found at " << models_dir()

struct TextModelCase {
  const char* file;
  int64_t file_type;
  GgmlType q_type;     // blk.0.attn_q.weight
  GgmlType embd_type;  // token_embd.weight
};

TEST(GgufFixtureTest, TextModelsHaveTheDocumentedTensorTable) {
  SKIP_WITHOUT_FIXTURES();
  const TextModelCase cases[] = {
      {"qwen3vl-tiny-a-F32.gguf", 0, GgmlType::kF32, GgmlType::kF32},
      {"qwen3vl-tiny-a-F16.gguf", 1, GgmlType::kF16, GgmlType::kF16},
      {"qwen3vl-tiny-a-BF16.gguf", 32, GgmlType::kBF16, GgmlType::kBF16},
      {"qwen3vl-tiny-a-Q8_0.gguf", 7, GgmlType::kQ8_0, GgmlType::kQ8_0},
      {"qwen3vl-tiny-a-Q6_K.gguf", 18, GgmlType::kQ6_K, GgmlType::kQ6_K},
      {"qwen3vl-tiny-a-Q5_K_M.gguf", 17, GgmlType::kQ5_K, GgmlType::kQ6_K},
      {"qwen3vl-tiny-a-Q4_K_M.gguf", 15, GgmlType::kQ4_K, GgmlType::kQ6_K},
  };
  for (const TextModelCase& c : cases) {
    SCOPED_TRACE(c.file);
    auto r = GgufFile::open(models_dir() + "/" + c.file);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    const GgufFile& f = **r;
    EXPECT_EQ(f.version(), 3u);
    EXPECT_EQ(f.alignment(), 32u);
    EXPECT_EQ(*f.get_string("general.architecture"), "qwen3vl");
    EXPECT_EQ(*f.get_int("general.file_type"), c.file_type);
    EXPECT_EQ(*f.get_int("qwen3vl.embedding_length"), 256);
    EXPECT_EQ(*f.get_int("qwen3vl.block_count"), 4);
    EXPECT_EQ(*f.get_int_array("qwen3vl.rope.dimension_sections"),
              (std::vector<int64_t>{12, 10, 10, 0}));
    EXPECT_NEAR(*f.get_float("qwen3vl.attention.layer_norm_rms_epsilon"), 1e-6, 1e-12);
    EXPECT_EQ(f.get_string_array("tokenizer.ggml.tokens")->size(), 3072u);
    EXPECT_EQ(f.get_int_array("tokenizer.ggml.token_type")->size(), 3072u);
    EXPECT_EQ(f.get_string_array("tokenizer.ggml.merges")->size(), 2715u);
    EXPECT_EQ(f.tensors().size(), 1u + 1u + 4u * 11u);  // embd, output_norm, 11 per block
    EXPECT_EQ(f.find_tensor("output.weight"), nullptr);  // tied
    struct Shape {
      std::string name;
      std::vector<int64_t> ne;
    };
    const Shape shapes[] = {
        {"token_embd.weight", {256, 3072}},      {"output_norm.weight", {256}},
        {"blk.0.attn_q.weight", {256, 256}},     {"blk.1.attn_k.weight", {256, 128}},
        {"blk.2.attn_v.weight", {256, 128}},     {"blk.3.attn_q_norm.weight", {64}},
        {"blk.3.attn_output.weight", {256, 256}}, {"blk.0.ffn_gate.weight", {256, 512}},
        {"blk.1.ffn_up.weight", {256, 512}},     {"blk.2.ffn_down.weight", {512, 256}},
    };
    for (const Shape& s : shapes) {
      const GgufTensorInfo* t = f.find_tensor(s.name);
      ASSERT_NE(t, nullptr) << s.name;
      EXPECT_EQ(t->ne, s.ne) << s.name;
      EXPECT_EQ(t->n_bytes, row_bytes(t->type, t->ne[0]) * static_cast<size_t>(t->n_elements() / t->ne[0]));
    }
    EXPECT_EQ(f.find_tensor("blk.0.attn_q.weight")->type, c.q_type);
    EXPECT_EQ(f.find_tensor("token_embd.weight")->type, c.embd_type);
    EXPECT_EQ(f.find_tensor("output_norm.weight")->type, GgmlType::kF32);
    for (const GgufTensorInfo& t : f.tensors()) {
      EXPECT_TRUE(is_supported_type(t.type)) << t.name << " " << type_name(t.type);
      EXPECT_LE(f.data_offset() + t.offset + t.n_bytes, f.file_size());
    }
  }
}

TEST(GgufFixtureTest, VisionProjectorsAndVocabOpen) {
  SKIP_WITHOUT_FIXTURES();
  for (const char* name : {"mmproj-qwen3vl-tiny-a-F32.gguf", "mmproj-qwen3vl-tiny-a-F16.gguf"}) {
    SCOPED_TRACE(name);
    auto r = GgufFile::open(models_dir() + "/" + name);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    const GgufFile& f = **r;
    EXPECT_EQ(*f.get_string("general.architecture"), "clip");
    EXPECT_EQ(*f.get_string("clip.projector_type"), "qwen3vl_merger");
    EXPECT_EQ(*f.get_bool_array("clip.vision.is_deepstack_layers"),
              (std::vector<bool>{false, true, true, true, false}));
    EXPECT_EQ(*f.get_float_array("clip.vision.image_mean"), (std::vector<double>{0.5, 0.5, 0.5}));
    const GgufTensorInfo* pe = f.find_tensor("v.patch_embd.weight");
    ASSERT_NE(pe, nullptr);
    EXPECT_EQ(pe->ne, (std::vector<int64_t>{16, 16, 3, 64}));
    EXPECT_EQ(f.find_tensor("v.position_embd.weight")->type, GgmlType::kF32);
    EXPECT_NE(f.find_tensor("v.deepstack.3.fc2.weight"), nullptr);
  }
  auto v = GgufFile::open(models_dir() + "/qwen3-vocab.gguf");
  ASSERT_TRUE(v.ok()) << v.status().to_string();
  EXPECT_EQ((*v)->tensors().size(), 0u);
  EXPECT_EQ((*v)->get_string_array("tokenizer.ggml.tokens")->size(), 151936u);
  EXPECT_EQ((*v)->get_string_array("tokenizer.ggml.merges")->size(), 151387u);
}

}  // namespace
}  // namespace teamvl::engine
