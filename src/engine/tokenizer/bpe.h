// Byte-level BPE merging for one pre-tokenized word, exactly as llama.cpp does
// it: the word's bytes become GPT-2 symbols, then the adjacent pair with the
// lowest merge rank (leftmost on ties) is merged until no ranked pair is left.
// Symbols are interned to integer ids at build time, so the merge loop does
// hash lookups on id pairs instead of string concatenations.
// Immutable after build(): encode_word() may run on many threads at once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/tokenizer/vocab.h"

namespace teamvl::engine {

class BpeModel {
 public:
  // Reusable buffers for encode_word(); one per thread / per encode call.
  struct Scratch {
    struct Symbol {
      int32_t sym;   // interned symbol id, -1 once merged into its left neighbour
      int32_t prev;  // index of the previous live symbol, -1 at the start
      int32_t next;  // index of the next live symbol, -1 at the end
    };
    struct Pair {
      int32_t rank;
      int32_t left;   // index of the left symbol
      int32_t right;  // index of the right symbol
      int32_t left_sym, right_sym;
      int32_t result;  // symbol id the pair merges into
    };
    std::vector<Symbol> symbols;
    std::vector<Pair> heap;
  };

  // Interns the vocabulary and parses "left right" merges (rank = index; a
  // repeated pair keeps its first rank; a merge without a separating space is
  // ignored, as in llama.cpp).
  static BpeModel build(const Vocab& vocab, const std::vector<std::string>& merges);

  // Appends the token ids of `word` (raw bytes, not yet byte-mapped) to `out`.
  void encode_word(std::string_view word, std::vector<int32_t>* out, Scratch* scratch) const;

  size_t n_merges() const { return merges_.size(); }

 private:
  struct Merge {
    int32_t rank;
    int32_t result;  // interned symbol id of left+right
  };
  static uint64_t key(int32_t l, int32_t r) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(l)) << 32) | static_cast<uint32_t>(r);
  }
  void emit(int32_t sym, std::vector<int32_t>* out) const;
  void push_pair(Scratch* s, int32_t left, int32_t right) const;

  int32_t n_vocab_ = 0;
  // Symbol ids below n_vocab_ are vocabulary tokens; the rest are merge
  // results missing from the vocabulary ("virtual" symbols).
  std::vector<std::string> virtual_texts_;    // text of symbol n_vocab_ + i
  std::unordered_map<uint64_t, Merge> merges_;
  int32_t byte_sym_[256] = {};                // initial symbol of each byte
  int32_t single_char_token_[256] = {};       // token whose text is that one byte, or -1
};

}  // namespace teamvl::engine
