// Tokenizer on a tiny vocabulary built here (always runs, no fixtures):
// merge order, special tokens in both modes, detokenization, llama.cpp's
// load-time rules, streaming, and the GGUF path through GgufWriter.
#include "engine/tokenizer/tokenizer.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "engine/gguf/gguf.h"
#include "engine/tokenizer/utf8.h"

namespace teamvl::engine {
namespace {

using Ids = std::vector<int32_t>;

// Ids 0..255 are the byte tokens in byte order (id == byte value), then merge
// results, then special tokens.
VocabSpec tiny_spec() {
  VocabSpec s;
  const ByteUnicodeMap& m = ByteUnicodeMap::get();
  for (int b = 0; b < 256; ++b) {
    s.tokens.push_back(m.byte_to_utf8(static_cast<uint8_t>(b)));
    s.token_types.push_back(static_cast<int32_t>(GgufTokenType::kNormal));
  }
  const auto add = [&](const std::string& text, GgufTokenType type) {
    s.tokens.push_back(text);
    s.token_types.push_back(static_cast<int32_t>(type));
  };
  for (const char* t : {"he", "ll", "hell", "hello", "\xC4\xA0w", "or", "\xC4\xA0wor", "\xC4\xA0worl",
                        "\xC4\xA0world", "bc", "ab", "aa", "\xC4\xA0zz"}) {
    add(t, GgufTokenType::kNormal);
  }
  s.merges = {"h e", "l l", "he ll", "hell o", "\xC4\xA0 w", "o r", "\xC4\xA0w or", "\xC4\xA0wor l",
              "\xC4\xA0worl d", "b c", "a b", "a a",
              "\xC4\xA0 z",        // result "Ġz" is not a token
              "\xC4\xA0z z"};      // ... but it still merges on into "Ġzz"
  add("<|endoftext|>", GgufTokenType::kControl);
  add("<|im_start|>", GgufTokenType::kControl);
  add("<|im_end|>", GgufTokenType::kControl);
  add("<|im", GgufTokenType::kControl);  // a shorter special overlapping a longer one
  add("<think>", GgufTokenType::kUserDefined);
  add("[PAD300]", GgufTokenType::kUnused);
  add("</s>", GgufTokenType::kNormal);   // llama.cpp re-types it CONTROL (and EOG)
  return s;
}

class TinyTokenizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spec_ = tiny_spec();
    spec_.eos_id = id_of("<|im_end|>");
    auto t = Tokenizer::create(spec_);
    ASSERT_TRUE(t.ok()) << t.status().to_string();
    tok_ = std::move(*t);
  }
  int32_t id_of(const std::string& text) const {
    for (size_t i = 0; i < spec_.tokens.size(); ++i) {
      if (spec_.tokens[i] == text) return static_cast<int32_t>(i);
    }
    ADD_FAILURE() << "no token " << text;
    return -1;
  }
  static Ids bytes(const std::string& s) {
    Ids ids;
    for (unsigned char c : s) ids.push_back(c);
    return ids;
  }
  VocabSpec spec_;
  std::unique_ptr<Tokenizer> tok_;
};

TEST_F(TinyTokenizerTest, MergesFollowRankThenLeftmost) {
  struct Case {
    std::string text;
    Ids ids;
  };
  const Case cases[] = {
      {"hello", {id_of("hello")}},
      {"hello world", {id_of("hello"), id_of("\xC4\xA0world")}},
      {"abc", {'a', id_of("bc")}},       // "b c" ranks before "a b"
      {"aaa", {id_of("aa"), 'a'}},       // equal ranks: the leftmost pair first
      {"aaaa", {id_of("aa"), id_of("aa")}},
      {" zz", {id_of("\xC4\xA0zz")}},    // through the non-token "Ġz"
      // A merge result missing from the vocabulary falls back to tokens of its
      // single bytes, and "Ġ" (two bytes) has none: only "z" survives.
      {" z", {'z'}},
      {"", {}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(tok_->encode(c.text, true), c.ids) << "text '" << c.text << "'";
  }
}

TEST_F(TinyTokenizerTest, SpecialTokensInBothModes) {
  const int32_t start = id_of("<|im_start|>"), end = id_of("<|im_end|>"), im = id_of("<|im");
  const int32_t think = id_of("<think>"), s = id_of("</s>");
  Ids chat_plain = bytes("<|im_start|>");  // CONTROL tokens split as text
  chat_plain.push_back(id_of("hello"));
  for (int32_t b : bytes("<|im_end|>")) chat_plain.push_back(b);
  struct Case {
    std::string text;
    Ids with_special;
    Ids without_special;
  };
  const Case cases[] = {
      {"<|im_start|>hello<|im_end|>", {start, id_of("hello"), end}, chat_plain},
      {"<|im", {im}, bytes("<|im")},                          // longest special first, then shorter
      {"a<|im_end|><|im_end|>b", {'a', end, end, 'b'}, bytes("a<|im_end|><|im_end|>b")},
      {"<|im_start|", {im, '_', 's', 't', 'a', 'r', 't', '|'}, bytes("<|im_start|")},
      {"<think>x", {think, 'x'}, {think, 'x'}},               // USER_DEFINED: matched in both modes
      {"[PAD300]", bytes("[PAD300]"), bytes("[PAD300]")},     // UNUSED: never matched
      {"</s>", {s}, bytes("</s>")},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(tok_->encode(c.text, true), c.with_special) << "text '" << c.text << "'";
    EXPECT_EQ(tok_->encode(c.text, false), c.without_special) << "text '" << c.text << "'";
    EXPECT_EQ(tok_->decode(tok_->encode(c.text, false)), c.text) << "text '" << c.text << "'";
  }
}

TEST_F(TinyTokenizerTest, DecodeRendersByTokenType) {
  const int32_t start = id_of("<|im_start|>"), think = id_of("<think>"), pad = id_of("[PAD300]");
  const Ids ids = {start, id_of("hello"), think, pad, -1, 100000, id_of("\xC4\xA0world")};
  EXPECT_EQ(tok_->decode(ids, true), "<|im_start|>hello<think> world");
  EXPECT_EQ(tok_->decode(ids, false), "hello<think> world");
  EXPECT_EQ(tok_->token_piece(id_of("\xC4\xA0world")), " world");
  EXPECT_EQ(tok_->token_piece(start, false), "");
  EXPECT_EQ(tok_->token_piece(-5), "");
  EXPECT_EQ(tok_->token_text(id_of("\xC4\xA0world")), "\xC4\xA0world");
  EXPECT_EQ(tok_->token_text(100000), "");
}

TEST_F(TinyTokenizerTest, RoundTripsAnyValidText) {
  const std::string text = "hello world — 你好，世界！ 😀 tabs\tand\r\nnewlines 123 <|im_end|>";
  EXPECT_EQ(tok_->decode(tok_->encode(text, true)), text);
  EXPECT_EQ(tok_->decode(tok_->encode(text, false)), text);
}

TEST_F(TinyTokenizerTest, MalformedUtf8BecomesReplacementCharacters) {
  EXPECT_EQ(tok_->decode(tok_->encode("a\xFF", false)), "a\xEF\xBF\xBD");
  EXPECT_EQ(tok_->decode(tok_->encode("\xE4\xBD", false)), "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_F(TinyTokenizerTest, EndOfGenerationAndSpecialIds) {
  EXPECT_EQ(tok_->eos_id(), id_of("<|im_end|>"));
  EXPECT_TRUE(tok_->is_eog(id_of("<|im_end|>")));
  EXPECT_TRUE(tok_->is_eog(id_of("<|endoftext|>")));  // by name
  EXPECT_TRUE(tok_->is_eog(id_of("</s>")));
  EXPECT_TRUE(tok_->is_control(id_of("</s>")));       // re-typed
  EXPECT_FALSE(tok_->is_eog(id_of("<|im_start|>")));
  EXPECT_FALSE(tok_->is_eog(-1));
  EXPECT_EQ(tok_->special_id("<|im_start|>"), id_of("<|im_start|>"));
  EXPECT_EQ(tok_->special_id("<think>"), id_of("<think>"));
  EXPECT_EQ(tok_->special_id("hello"), std::nullopt);
  EXPECT_EQ(tok_->special_id("[PAD300]"), std::nullopt);
  EXPECT_EQ(tok_->attrs(id_of("hello")), token_attr::kNormal);
  EXPECT_EQ(tok_->attrs(id_of("</s>")), token_attr::kNormal | token_attr::kControl);
}

TEST_F(TinyTokenizerTest, ConcurrentEncodeAgreesWithSerial) {
  const std::vector<std::string> texts = {"hello world aaa abc", "<|im_start|>hello<|im_end|>",
                                          "你好 😀 zz \xFF", std::string(5000, 'a')};
  std::vector<Ids> serial;
  for (const auto& t : texts) serial.push_back(tok_->encode(t, true));
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&, k] {
      for (int rep = 0; rep < 50; ++rep) {
        for (size_t i = 0; i < texts.size(); ++i) {
          if (tok_->encode(texts[i], true) != serial[i]) ++mismatches[k];
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

TEST(VocabRulesTest, DefaultsAndWorkarounds) {
  VocabSpec s = tiny_spec();
  Result<Vocab> v = resolve_vocab(s);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->eos_id, 11);  // llama.cpp's gpt2 default when the GGUF has no eos id
  EXPECT_EQ(v->bos_id, 11);

  s.eos_id = 5000;  // out of range: the default stays
  EXPECT_EQ(resolve_vocab(s)->eos_id, 11);

  VocabSpec small;
  small.tokens = {"a", "b"};
  EXPECT_EQ(resolve_vocab(small)->eos_id, -1);  // default out of range: none

  // With "<|tool_response>" present, "</s>" is plain text again (gemma4 rule).
  s = tiny_spec();
  s.tokens.push_back("<|tool_response>");
  s.token_types.push_back(static_cast<int32_t>(GgufTokenType::kControl));
  v = resolve_vocab(s);
  ASSERT_TRUE(v.ok());
  const int32_t slash_s = *v->find("</s>");
  EXPECT_EQ(v->attrs[slash_s], token_attr::kNormal);
  EXPECT_FALSE(std::binary_search(v->eog_ids.begin(), v->eog_ids.end(), slash_s));

  // Empty tokens are renamed, FIM tokens found by name become EOG.
  s = tiny_spec();
  s.tokens.push_back("");
  s.tokens.push_back("<|fim_pad|>");
  s.token_types.push_back(1);
  s.token_types.push_back(1);
  v = resolve_vocab(s);
  ASSERT_TRUE(v.ok());
  const int32_t n = static_cast<int32_t>(s.tokens.size());
  EXPECT_EQ(v->texts[n - 2], "[EMPTY_" + std::to_string(n - 2) + "]");
  EXPECT_EQ(v->fim_pad_id, n - 1);
  EXPECT_TRUE(v->attrs[n - 1] & token_attr::kControl);
  EXPECT_TRUE(std::binary_search(v->eog_ids.begin(), v->eog_ids.end(), n - 1));
}

TEST(VocabRulesTest, RejectsUnusableSpecs) {
  struct Case {
    const char* what;
    void (*mutate)(VocabSpec*);
    const char* message;
  };
  const Case cases[] = {
      {"model", [](VocabSpec* s) { s->model = "llama"; }, "expected 'gpt2'"},
      {"pre", [](VocabSpec* s) { s->pre = "llama3"; }, "expected 'qwen2'"},
      {"no tokens", [](VocabSpec* s) { s->tokens.clear(); s->token_types.clear(); }, "non-empty"},
      {"short types", [](VocabSpec* s) { s->token_types.resize(3); }, "token_type"},
      {"duplicate", [](VocabSpec* s) { s->tokens.push_back("hello"); s->token_types.push_back(1); },
       "duplicate token 'hello'"},
  };
  for (const Case& c : cases) {
    VocabSpec s = tiny_spec();
    c.mutate(&s);
    auto t = Tokenizer::create(s);
    ASSERT_FALSE(t.ok()) << c.what;
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument) << c.what;
    EXPECT_NE(t.status().message().find(c.message), std::string::npos)
        << c.what << ": " << t.status().message();
  }
}

TEST_F(TinyTokenizerTest, StreamDecoderReleasesOnlyWholeCharacters) {
  StreamDecoder stream(*tok_);
  std::vector<std::string> outs;
  for (int32_t id : bytes("\xC3\xA9\xF0\x9F\x98\x80!")) outs.push_back(stream.feed(id));
  const std::vector<std::string> want = {"", "\xC3\xA9", "", "", "", "\xF0\x9F\x98\x80", "!"};
  EXPECT_EQ(outs, want);
  EXPECT_EQ(stream.pending_bytes(), 0u);

  // Bytes that can never be a character are replaced at once; an unfinished
  // character is held, then replaced at the end of the stream.
  EXPECT_EQ(stream.feed(0xFF), "\xEF\xBF\xBD");
  EXPECT_EQ(stream.feed(0xE4), "");
  EXPECT_EQ(stream.pending_bytes(), 1u);
  EXPECT_EQ(stream.feed(Ids{0xBD}), "");
  EXPECT_EQ(stream.flush(), "\xEF\xBF\xBD");
  EXPECT_EQ(stream.pending_bytes(), 0u);

  // Control tokens follow render_special.
  StreamDecoder quiet(*tok_, /*render_special=*/false);
  EXPECT_EQ(quiet.feed(Ids{id_of("<|im_start|>"), id_of("hello")}), "hello");
}

class TokenizerGgufTest : public ::testing::Test {
 protected:
  void TearDown() override { std::filesystem::remove(path_); }
  static GgufWriter tiny_writer() {
    const VocabSpec s = tiny_spec();
    GgufWriter w;
    w.set_string("general.architecture", "qwen3vl");
    w.set_string("tokenizer.ggml.model", "gpt2");
    w.set_string("tokenizer.ggml.pre", "qwen2");
    w.set_string_array("tokenizer.ggml.tokens", s.tokens);
    w.set_int32_array("tokenizer.ggml.token_type", s.token_types);
    w.set_string_array("tokenizer.ggml.merges", s.merges);
    w.set_uint32("tokenizer.ggml.eos_token_id", 256 + 13 + 2);  // <|im_end|>
    w.set_uint32("tokenizer.ggml.padding_token_id", 256 + 13);  // <|endoftext|>
    w.set_bool("tokenizer.ggml.add_bos_token", false);
    return w;
  }
  Result<std::unique_ptr<Tokenizer>> load(const GgufWriter& w) {
    EXPECT_TRUE(w.write(path_).ok());
    auto f = GgufFile::open(path_);
    EXPECT_TRUE(f.ok()) << f.status().to_string();
    if (!f.ok()) return f.status();
    return Tokenizer::from_gguf(**f);
  }
  const std::string path_ = (std::filesystem::temp_directory_path() /
                             ("teamvl_tok_test_" + std::to_string(::getpid()) + ".gguf")).string();
};

TEST_F(TokenizerGgufTest, ReadsTheTokenizerKeys) {
  auto t = load(tiny_writer());
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  const Tokenizer& tok = **t;
  EXPECT_EQ(tok.n_vocab(), 256 + 13 + 7);
  EXPECT_EQ(tok.token_text(tok.eos_id()), "<|im_end|>");
  EXPECT_EQ(tok.token_text(tok.pad_id()), "<|endoftext|>");
  EXPECT_EQ(tok.encode("<|im_start|>hello world<|im_end|>", true),
            (Ids{256 + 14, 256 + 3, 256 + 8, 256 + 15}));
}

TEST_F(TokenizerGgufTest, MissingOrMistypedKeysAreClearErrors) {
  GgufWriter no_model = tiny_writer();
  no_model.set_string("tokenizer.ggml.model", "llama");
  auto t = load(no_model);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("expected 'gpt2'"), std::string::npos) << t.status().message();

  GgufWriter bad_type = tiny_writer();
  bad_type.set_int32_array("tokenizer.ggml.merges", {1, 2, 3});
  t = load(bad_type);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(t.status().message().find("tokenizer.ggml.merges"), std::string::npos) << t.status().message();

  GgufWriter no_vocab;
  no_vocab.set_string("general.architecture", "qwen3vl");
  t = load(no_vocab);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("tokenizer.ggml.model is missing"), std::string::npos);
}

}  // namespace
}  // namespace teamvl::engine
