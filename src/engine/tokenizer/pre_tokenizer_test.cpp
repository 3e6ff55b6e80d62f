#include "engine/tokenizer/pre_tokenizer.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace teamvl::engine {
namespace {

using Words = std::vector<std::string>;

class PreTokenizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pt = PreTokenizer::create_qwen2();
    ASSERT_TRUE(pt.ok()) << pt.status().to_string();
    pt_ = std::move(*pt);
  }
  std::unique_ptr<PreTokenizer> pt_;
};

TEST_F(PreTokenizerTest, SplitsLikeTheQwen2Regex) {
  struct Case {
    std::string text;
    Words words;
  };
  const Case cases[] = {
      {"", {}},
      {"Hello world", {"Hello", " world"}},
      {"Hello  world", {"Hello", " ", " world"}},           // a run gives its last space to the word
      {"a   ", {"a", "   "}},                               // trailing run stays whole
      {"I'm we'll", {"I", "'m", " we", "'ll"}},
      {"DON'T 'S", {"DON", "'T", " '", "S"}},                // contractions in either case
      {"1234", {"1", "2", "3", "4"}},                        // one digit per word
      {"  123  ", {" ", " ", "1", "2", "3", "  "}},
      {"\n\n\nx\n", {"\n\n\n", "x", "\n"}},
      {"a \n  \tb", {"a", " \n", "  ", "\tb"}},              // \s*[\r\n]+ stops after the last newline
      {"Hello,world!How?", {"Hello", ",world", "!How", "?"}},
      {" !!!\n\nx", {" !!!\n\n", "x"}},                     // punctuation takes following newlines
      {"中文English混合mixed文本123", {"中文English混合mixed文本", "1", "2", "3"}},
      {"नमस्ते", {"नमस", "्त", "े"}},                         // marks are not letters
      {"a\xC2\xA0" "b", {"a", "\xC2\xA0" "b"}},              // NBSP joins the next word like a space
      {"a\xC2\x85\xC2\x85" "b", {"a", "\xC2\x85", "\xC2\x85" "b"}},  // NEL is White_Space
      {"x\xE3\x80\x80\xE3\x80\x80" "y", {"x", "\xE3\x80\x80", "\xE3\x80\x80y"}},  // U+3000 too
      // U+180E is a format character, not White_Space (PCRE2's \s says otherwise).
      {"a\xE1\xA0\x8E\xE1\xA0\x8E" "b", {"a", "\xE1\xA0\x8E\xE1\xA0\x8E", "b"}},
      {"\x01\x02 bell\x07", {"\x01\x02", " bell", "\x07"}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(pt_->split(c.text), c.words) << "text '" << c.text << "'";
  }
}

TEST_F(PreTokenizerTest, MalformedUtf8IsDecodedLikeLlamaCpp) {
  // Each bad byte becomes U+FFFD, which then behaves as punctuation.
  EXPECT_EQ(pt_->split("a\xFF" "b"), (Words{"a", "\xEF\xBF\xBD" "b"}));
  EXPECT_EQ(pt_->split("\xE4\xBD"), (Words{"\xEF\xBF\xBD\xEF\xBF\xBD"}));
  // A surrogate is kept (3 bytes, as llama.cpp re-encodes it) and splits as a
  // non-letter: the word keeps the original code point, not U+FFFD.
  EXPECT_EQ(pt_->split("\xED\xA0\x80x y"), (Words{"\xED\xA0\x80x", " y"}));
  // An overlong NUL is re-encoded as one byte.
  EXPECT_EQ(pt_->split("\xC0\x80"), (Words{std::string(1, '\0')}));
}

TEST_F(PreTokenizerTest, WordsConcatenateToTheInput) {
  const std::string text =
      "The quick brown fox — 狐狸 — jumps!!! over 13 lazy dogs.\r\n\tIt's 😀👍🏽 ok?  \n";
  std::string joined;
  for (const std::string& w : pt_->split(text)) {
    EXPECT_FALSE(w.empty());
    joined += w;
  }
  EXPECT_EQ(joined, text);
}

TEST_F(PreTokenizerTest, VeryLongRunsDoNotFail) {
  for (const std::string& run : {std::string(1 << 20, ' '), std::string(1 << 20, 'a'),
                                 std::string(1 << 20, '!'), std::string(1 << 20, '\n')}) {
    const Words words = pt_->split(run);
    ASSERT_EQ(words.size(), 1u);
    EXPECT_EQ(words[0].size(), run.size());
  }
}

}  // namespace
}  // namespace teamvl::engine
