// Tokenizer against llama.cpp's reference tokenizations of the shared
// fixtures (../shared/fixtures/qwen3vl-tiny/tokenizer): the tiny model's
// vocabulary and the real Qwen3 vocabulary, both special-token modes, pieces
// and detokenization, streaming, and a 1 MB timing.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/gguf/gguf.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/utf8.h"

namespace teamvl::engine {
namespace {

using nlohmann::json;

const std::string kDir = std::string(TEAMVL_FIXTURES_DIR) + "/qwen3vl-tiny";

std::string hex(const std::string& bytes) {
  std::string out;
  char buf[3];
  for (unsigned char c : bytes) {
    std::snprintf(buf, sizeof(buf), "%02x", c);
    out += buf;
  }
  return out;
}

// Tokenizers are expensive to build (the real vocab has 151k merges): one per
// file for the whole test binary.
const Tokenizer* load_tokenizer(const std::string& model_file) {
  static std::map<std::string, std::unique_ptr<Tokenizer>> cache;
  auto it = cache.find(model_file);
  if (it != cache.end()) return it->second.get();
  auto file = GgufFile::open(kDir + "/models/" + model_file);
  EXPECT_TRUE(file.ok()) << file.status().to_string();
  if (!file.ok()) return nullptr;
  auto tok = Tokenizer::from_gguf(**file);
  EXPECT_TRUE(tok.ok()) << tok.status().to_string();
  if (!tok.ok()) return nullptr;
  return (cache[model_file] = std::move(*tok)).get();
}

json load_json(const std::string& rel) {
  std::ifstream in(kDir + "/" + rel);
  return json::parse(in);
}

struct VocabCase {
  const char* fixture;  // tokenizer/tokenize.<name>.json
  const char* model;    // models/<file>
};

void PrintTo(const VocabCase& c, std::ostream* os) { *os << c.fixture; }

class TokenizerFixtureTest : public ::testing::TestWithParam<VocabCase> {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kDir + "/tokenizer/cases.json")) {
      GTEST_SKIP() << "fixtures not found at " << kDir << " (../shared/fixtures is absent)";
    }
    tok_ = load_tokenizer(GetParam().model);
    ASSERT_NE(tok_, nullptr);
    ref_ = load_json(std::string("tokenizer/") + GetParam().fixture);
  }
  const Tokenizer* tok_ = nullptr;
  json ref_;
};

TEST_P(TokenizerFixtureTest, VocabSizeMatches) {
  EXPECT_EQ(tok_->n_vocab(), ref_["n_vocab"].get<int>());
}

TEST_P(TokenizerFixtureTest, IdsWithParseSpecial) {
  for (const json& c : ref_["cases"]) {
    const std::string text = c["text"];
    EXPECT_EQ(tok_->encode(text, /*parse_special=*/true), c["ids"].get<std::vector<int32_t>>())
        << "case " << c["name"];
  }
}

TEST_P(TokenizerFixtureTest, IdsWithoutParseSpecial) {
  for (const json& c : ref_["cases"]) {
    const std::string text = c["text"];
    EXPECT_EQ(tok_->encode(text, /*parse_special=*/false),
              c["ids_no_special"].get<std::vector<int32_t>>())
        << "case " << c["name"];
  }
}

TEST_P(TokenizerFixtureTest, PiecesAndDetokenizeRoundTrip) {
  for (const json& c : ref_["cases"]) {
    const auto ids = c["ids"].get<std::vector<int32_t>>();
    const auto pieces = c["pieces_hex"].get<std::vector<std::string>>();
    ASSERT_EQ(ids.size(), pieces.size()) << "case " << c["name"];
    for (size_t i = 0; i < ids.size(); ++i) {
      EXPECT_EQ(hex(tok_->token_piece(ids[i])), pieces[i]) << "case " << c["name"] << " token " << i;
    }
    EXPECT_EQ(hex(tok_->decode(ids)), c["detok_hex"].get<std::string>()) << "case " << c["name"];
    EXPECT_EQ(hex(tok_->decode(ids)), c["text_hex"].get<std::string>()) << "case " << c["name"];
  }
}

TEST_P(TokenizerFixtureTest, StreamingNeverEmitsInvalidUtf8) {
  for (const json& c : ref_["cases"]) {
    const std::string text = c["text"];
    StreamDecoder stream(*tok_);
    std::string joined;
    for (int32_t id : c["ids"].get<std::vector<int32_t>>()) {
      const std::string part = stream.feed(id);
      EXPECT_TRUE(is_valid_utf8(part)) << "case " << c["name"];
      joined += part;
    }
    joined += stream.flush();
    EXPECT_EQ(joined, text) << "case " << c["name"];
  }
}

INSTANTIATE_TEST_SUITE_P(Vocabs, TokenizerFixtureTest,
                         ::testing::Values(VocabCase{"tokenize.tiny-a.json", "qwen3vl-tiny-a-F32.gguf"},
                                           VocabCase{"tokenize.qwen3-vocab.json", "qwen3-vocab.gguf"}),
                         [](const ::testing::TestParamInfo<VocabCase>& info) {
                           return std::string(info.index == 0 ? "TinyA" : "Qwen3Vocab");
                         });

class Qwen3VocabTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kDir + "/models/qwen3-vocab.gguf")) {
      GTEST_SKIP() << "fixtures not found at " << kDir << " (../shared/fixtures is absent)";
    }
    tok_ = load_tokenizer("qwen3-vocab.gguf");
    ASSERT_NE(tok_, nullptr);
  }
  const Tokenizer* tok_ = nullptr;
};

TEST_F(Qwen3VocabTest, SpecialIdsAndEndOfGeneration) {
  EXPECT_EQ(tok_->eos_id(), 151645);
  EXPECT_EQ(tok_->bos_id(), 151643);
  EXPECT_EQ(tok_->special_id("<|im_start|>"), 151644);
  EXPECT_EQ(tok_->special_id("<|vision_start|>"), 151652);
  EXPECT_EQ(tok_->special_id("<|image_pad|>"), 151655);
  EXPECT_EQ(tok_->special_id("<think>"), 151667);
  EXPECT_EQ(tok_->special_id("hello"), std::nullopt);   // a normal token
  EXPECT_EQ(tok_->special_id("[PAD151700]"), std::nullopt);  // unused
  // </s> (128247) is a NORMAL token that llama.cpp re-types as CONTROL + EOG.
  EXPECT_TRUE(tok_->is_control(128247));
  const std::vector<int32_t> eog = {128247, 151643, 151645, 151662, 151663, 151664};
  EXPECT_EQ(tok_->eog_ids(), eog);
  EXPECT_FALSE(tok_->is_eog(151644));
  EXPECT_FALSE(tok_->add_bos());
}

TEST_F(Qwen3VocabTest, RenderSpecialFalseDropsControlButKeepsUserDefined) {
  const auto ids = tok_->encode("<|im_start|>user\n<think>hi</think><|im_end|>", true);
  EXPECT_EQ(tok_->decode(ids, /*render_special=*/false), "user\n<think>hi</think>");
}

// Chinese and emoji through the real vocabulary: many characters are split
// across byte-level tokens, so single tokens decode to partial UTF-8.
TEST_F(Qwen3VocabTest, StreamDecoderHoldsSplitCharacters) {
  const std::string text = "今天天气很好🙂👨‍👩‍👧 火锅🍲！émoji ❤️ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢";
  const auto ids = tok_->encode(text, false);
  StreamDecoder stream(*tok_);
  std::string joined;
  int held = 0;
  for (int32_t id : ids) {
    if (!is_valid_utf8(tok_->token_piece(id))) ++held;
    const std::string part = stream.feed(id);
    ASSERT_TRUE(is_valid_utf8(part)) << "token " << id;
    joined += part;
  }
  joined += stream.flush();
  EXPECT_EQ(joined, text);
  EXPECT_GT(held, 0) << "expected some tokens that are partial characters";
}

TEST_F(Qwen3VocabTest, SlowEncodesOneMegabyteQuickly) {
  // Mixed English, code, Chinese and emoji, repeated to 1 MiB.
  const std::string unit =
      "The vision encoder splits the image into patches of 16x16 pixels. "
      "视觉编码器把图片切成小块。It's 2025; we'll see! 😀👍🏽\n"
      "def add(a, b):\n    return a + b\n\n";
  std::string text;
  while (text.size() < (1u << 20)) text += unit;
  const auto t0 = std::chrono::steady_clock::now();
  const auto ids = tok_->encode(text, true);
  const auto t1 = std::chrono::steady_clock::now();
  const double ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
  std::printf("[ timing ] encode %zu bytes -> %zu tokens in %.1f ms (%.1f MB/s)\n", text.size(),
              ids.size(), ms, text.size() / 1e3 / ms);
  EXPECT_EQ(tok_->decode(ids), text);
}

}  // namespace
}  // namespace teamvl::engine
