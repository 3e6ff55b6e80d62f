#include "engine/model/demo_vocab.h"

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <tuple>

#include "engine/tokenizer/pre_tokenizer.h"
#include "engine/tokenizer/utf8.h"

namespace teamvl::engine {
namespace {

// Text the merges are learned from: a bit of everything a chat sees.
constexpr const char* kCorpus[] = {
    "The team shares one machine with one model. Everyone works at the same time, and nobody waits "
    "behind somebody else's long document. The answer streams back as it is generated, one token at a time.",
    "Describe the weather today in one sentence. It is sunny and warm in the morning, with a light wind "
    "from the west, and the evening will be cool and clear.",
    "Hello! How can I help you today? I can answer questions, summarize text, describe images, "
    "and write code. Please tell me what you would like to do.",
    "The river flows from the mountains to the sea. Along the way it passes through forests, fields, "
    "villages, and cities. In winter the lake freezes, and in summer people swim, fish, and sail.",
    "def add(a, b):\n    return a + b\n\nfor i in range(10):\n    print(i, add(i, i))\n",
    "int main(int argc, char** argv) {\n  std::vector<int> values = {1, 2, 3};\n  return 0;\n}\n",
    "{\"name\": \"teamvl\", \"version\": 1, \"items\": [\"image\", \"text\", \"pdf\"], \"enabled\": true}",
    "你好，世界！请介绍一下你自己。我是一个视觉语言模型，可以回答问题，也可以描述图片。",
    "今天天气很好，我们一起去公园散步吧。这张图片里有一只猫和一只狗。",
    "Please summarize the following text in three sentences, and then translate the summary into French. "
    "The report explains how the system schedules requests from different members of the team, how memory "
    "is shared between them, and what an administrator can change when the machine is busy.",
    "Question: What is the capital of France? Answer: The capital of France is Paris. Question: Which "
    "planet is the largest? Answer: Jupiter is the largest planet in our solar system.",
    "import numpy as np\nclass Model:\n    def __init__(self, size):\n        self.size = size\n\n"
    "    def forward(self, x):\n        return np.tanh(x @ self.weights)\n",
    "SELECT name, count(*) FROM tasks WHERE status = 'done' GROUP BY name ORDER BY count(*) DESC;",
    "Numbers: 0 1 2 3 4 5 6 7 8 9 10 12 24 100 2024 3.14 1,000",
    "Emoji are fine too 😊 👋 🎉 ✅ and so is punctuation: (a) [b] {c} <d> \"e\" 'f' - _ / \\ | ~ ! ? ; :",
    "A picture of a cat sitting on a red chair next to a window. The image shows a small dog, a tree, "
    "a car on the street, and two people walking in the park.",
};

// Qwen3's added tokens in id order; true = CONTROL, false = USER_DEFINED.
const std::pair<const char*, bool> kAddedTokens[] = {
    {"<|endoftext|>", true},     {"<|im_start|>", true},     {"<|im_end|>", true},
    {"<|object_ref_start|>", true}, {"<|object_ref_end|>", true}, {"<|box_start|>", true},
    {"<|box_end|>", true},       {"<|quad_start|>", true},   {"<|quad_end|>", true},
    {"<|vision_start|>", true},  {"<|vision_end|>", true},   {"<|vision_pad|>", true},
    {"<|image_pad|>", true},     {"<|video_pad|>", true},    {"<tool_call>", false},
    {"</tool_call>", false},     {"<|fim_prefix|>", true},   {"<|fim_middle|>", true},
    {"<|fim_suffix|>", true},    {"<|fim_pad|>", true},      {"<|repo_name|>", true},
    {"<|file_sep|>", true},      {"<tool_response>", false}, {"</tool_response>", false},
    {"<think>", false},          {"</think>", false},
};

// The 256 byte tokens in GPT-2 order: printable bytes first, then the rest.
std::vector<uint8_t> gpt2_byte_order() {
  std::vector<uint8_t> order;
  auto printable = [](int b) { return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE); };
  for (int b = 0; b < 256; ++b) if (printable(b)) order.push_back(static_cast<uint8_t>(b));
  for (int b = 0; b < 256; ++b) if (!printable(b)) order.push_back(static_cast<uint8_t>(b));
  return order;
}

using Word = std::vector<std::string>;  // symbols (mapped-unicode strings)

// Learns up to n merges, most frequent pair first (ties: smallest pair text).
std::vector<std::pair<std::string, std::string>> learn_merges(std::map<Word, int64_t> words, int32_t n) {
  std::vector<std::pair<std::string, std::string>> merges;
  while (static_cast<int32_t>(merges.size()) < n) {
    std::map<std::pair<std::string, std::string>, int64_t> counts;
    for (const auto& [w, f] : words)
      for (size_t i = 0; i + 1 < w.size(); ++i) counts[{w[i], w[i + 1]}] += f;
    const std::pair<std::string, std::string>* best = nullptr;
    int64_t best_count = 0;
    for (const auto& [pair, c] : counts) {
      if (c > best_count) {
        best = &pair;
        best_count = c;
      }
    }
    if (!best) break;
    const auto merge = *best;
    merges.push_back(merge);
    std::map<Word, int64_t> next;
    for (const auto& [w, f] : words) {
      Word out;
      for (size_t i = 0; i < w.size(); ++i) {
        if (i + 1 < w.size() && w[i] == merge.first && w[i + 1] == merge.second) {
          out.push_back(merge.first + merge.second);
          ++i;
        } else {
          out.push_back(w[i]);
        }
      }
      next[out] += f;
    }
    words.swap(next);
  }
  return merges;
}

Result<DemoVocab> build_uncached(int32_t n_merges, int32_t n_vocab);

}  // namespace

Result<DemoVocab> build_demo_vocab(int32_t n_merges, int32_t n_vocab) {
  // Learning merges takes a moment: remember the last vocabulary built.
  static std::mutex mu;
  static std::optional<std::tuple<int32_t, int32_t, DemoVocab>> last;
  std::lock_guard lock(mu);
  if (last && std::get<0>(*last) == n_merges && std::get<1>(*last) == n_vocab) return std::get<2>(*last);
  TEAMVL_ASSIGN_OR_RETURN(DemoVocab v, build_uncached(n_merges, n_vocab));
  last.emplace(n_merges, n_vocab, v);
  return v;
}

namespace {

Result<DemoVocab> build_uncached(int32_t n_merges, int32_t n_vocab) {
  const ByteUnicodeMap& bmap = ByteUnicodeMap::get();
  TEAMVL_ASSIGN_OR_RETURN(auto pre, PreTokenizer::create_qwen2());
  std::map<Word, int64_t> words;
  for (const char* text : kCorpus) {
    for (const std::string& w : pre->split(text)) {
      Word symbols;
      for (unsigned char c : w) symbols.push_back(bmap.byte_to_utf8(c));
      words[symbols]++;
    }
  }
  DemoVocab v;
  for (uint8_t b : gpt2_byte_order()) {
    v.tokens.push_back(bmap.byte_to_utf8(b));
    v.token_types.push_back(1);
  }
  std::set<std::string> seen(v.tokens.begin(), v.tokens.end());
  for (const auto& [l, r] : learn_merges(std::move(words), n_merges)) {
    v.merges.push_back(l + " " + r);
    if (!seen.insert(l + r).second) continue;  // the same text reached by another merge order
    v.tokens.push_back(l + r);
    v.token_types.push_back(1);
  }
  for (const auto& [text, control] : kAddedTokens) {
    if (std::string(text) == "<|endoftext|>") v.endoftext_id = static_cast<int32_t>(v.tokens.size());
    if (std::string(text) == "<|im_end|>") v.im_end_id = static_cast<int32_t>(v.tokens.size());
    v.tokens.push_back(text);
    v.token_types.push_back(control ? 3 : 4);
  }
  const int32_t real = static_cast<int32_t>(v.tokens.size());
  int32_t total = n_vocab > 0 ? n_vocab : (real + 63) / 64 * 64;
  if (total < real) {
    return Status::InvalidArgument("demo vocabulary needs at least " + std::to_string(real) + " tokens, asked for " +
                                   std::to_string(n_vocab));
  }
  for (int32_t id = real; id < total; ++id) {
    v.tokens.push_back("[PAD" + std::to_string(id) + "]");
    v.token_types.push_back(5);
  }
  v.chat_template = qwen3vl_chat_template();
  return v;
}

}  // namespace

}  // namespace teamvl::engine
