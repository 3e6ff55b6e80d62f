// The text <-> token-id interface of the engine: byte-level BPE read from a
// GGUF (`tokenizer.ggml.*`) with the Qwen2 pre-tokenizer and special tokens,
// matching llama.cpp's llama_tokenize / llama_detokenize id for id.
// A Tokenizer is immutable after creation; every method is const and safe to
// call from many threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "engine/tokenizer/vocab.h"

namespace teamvl::engine {

class GgufFile;

class Tokenizer {
 public:
  // Reads tokenizer.ggml.{model,pre,tokens,token_type,merges,*_token_id,
  // add_*_token} from a model (or vocab-only) GGUF. InvalidArgument when a
  // key is missing, has the wrong type, or names an unsupported tokenizer.
  static Result<std::unique_ptr<Tokenizer>> from_gguf(const GgufFile& file);
  // Builds from plain vectors (tests, tools).
  static Result<std::unique_ptr<Tokenizer>> create(const VocabSpec& spec);
  ~Tokenizer();
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // Text to ids, as llama_tokenize(add_special = false). With parse_special,
  // CONTROL tokens written in the text (e.g. "<|im_start|>") become their ids;
  // without it only USER_DEFINED ones (e.g. "<think>") do. UNUSED tokens are
  // never matched. Malformed UTF-8 is tokenized as llama.cpp does (U+FFFD).
  std::vector<int32_t> encode(std::string_view text, bool parse_special) const;

  // Ids to bytes, as llama_detokenize(remove_special = false). CONTROL tokens
  // are written as their text only when render_special; USER_DEFINED always;
  // UNUSED never. Out-of-range ids are skipped. The result is the raw bytes
  // and may end inside a UTF-8 character: stream with StreamDecoder instead.
  std::string decode(std::span<const int32_t> ids, bool render_special = true) const;

  // Bytes of one token (empty for out-of-range ids); see decode().
  std::string token_piece(int32_t id, bool render_special = true) const;
  // The token's text as stored in the vocabulary ("Ġhello", "<|im_end|>").
  const std::string& token_text(int32_t id) const;

  int32_t n_vocab() const { return vocab_.size(); }
  // -1 when the vocabulary has none.
  int32_t eos_id() const { return vocab_.eos_id; }
  int32_t bos_id() const { return vocab_.bos_id; }
  int32_t pad_id() const { return vocab_.pad_id; }
  // The id of a special (CONTROL, USER_DEFINED or UNKNOWN) token spelled
  // exactly `text`, e.g. special_id("<|vision_start|>").
  std::optional<int32_t> special_id(std::string_view text) const;
  // End of generation: <|im_end|>, <|endoftext|>, the FIM pad/repo/sep tokens,
  // eos, and any other token llama.cpp treats so.
  bool is_eog(int32_t id) const;
  const std::vector<int32_t>& eog_ids() const { return vocab_.eog_ids; }
  bool is_control(int32_t id) const;
  // token_attr bits (see vocab.h); 0 for out-of-range ids.
  uint32_t attrs(int32_t id) const;
  // Whether the GGUF asks callers to add bos/eos around a prompt (false for Qwen).
  bool add_bos() const { return vocab_.add_bos; }
  bool add_eos() const { return vocab_.add_eos; }

 private:
  struct Fragment {
    int32_t token;  // >= 0: a matched special token; -1: raw text
    size_t offset;
    size_t length;
  };
  Tokenizer() = default;
  std::vector<Fragment> partition_special(std::string_view text, bool parse_special) const;

  Vocab vocab_;
  std::vector<std::string> pieces_;  // decoded bytes per id, specials rendered
  struct Internals;
  std::unique_ptr<Internals> in_;    // pre-tokenizer and BPE model
};

// Turns ids into text as they are generated, releasing only complete UTF-8
// characters: a character split across tokens is held until it is whole, and
// bytes that can never form one are replaced by U+FFFD. One per sequence; not
// thread-safe. The Tokenizer must outlive it.
class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tokenizer, bool render_special = true);

  // Text completed by this token (often empty mid-character).
  std::string feed(int32_t id);
  std::string feed(std::span<const int32_t> ids);
  // End of stream: whatever is held, with an unfinished character as U+FFFD.
  std::string flush();
  // Bytes held back waiting for the rest of a character (0..3).
  size_t pending_bytes() const { return pending_.size(); }
  void reset() { pending_.clear(); }

 private:
  const Tokenizer* tokenizer_;
  bool render_special_;
  std::string pending_;
};

}  // namespace teamvl::engine
