#include "engine/tokenizer/bpe.h"

#include <algorithm>

#include "engine/tokenizer/utf8.h"

namespace teamvl::engine {
namespace {

// Min-heap order on (rank, left index): the best pair is the lowest rank, and
// among equal ranks the leftmost one.
struct PairAfter {
  bool operator()(const BpeModel::Scratch::Pair& a, const BpeModel::Scratch::Pair& b) const {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  }
};

}  // namespace

BpeModel BpeModel::build(const Vocab& vocab, const std::vector<std::string>& merges) {
  BpeModel m;
  m.n_vocab_ = vocab.size();
  std::unordered_map<std::string, int32_t> virtual_ids;
  const auto intern = [&](const std::string& text) -> int32_t {
    if (auto id = vocab.find(text)) return *id;
    auto [it, inserted] = virtual_ids.emplace(text, m.n_vocab_ + static_cast<int32_t>(m.virtual_texts_.size()));
    if (inserted) m.virtual_texts_.push_back(text);
    return it->second;
  };
  const ByteUnicodeMap& bmap = ByteUnicodeMap::get();
  for (int b = 0; b < 256; ++b) {
    m.byte_sym_[b] = intern(bmap.byte_to_utf8(static_cast<uint8_t>(b)));
    m.single_char_token_[b] = vocab.find(std::string(1, static_cast<char>(b))).value_or(-1);
  }
  m.merges_.reserve(merges.size());
  for (size_t i = 0; i < merges.size(); ++i) {
    const std::string& line = merges[i];
    const size_t sp = line.find(' ', 1);
    if (sp == std::string::npos || sp + 1 >= line.size()) continue;  // can never match a pair
    const std::string left = line.substr(0, sp);
    const std::string right = line.substr(sp + 1);
    const int32_t l = intern(left);
    const int32_t r = intern(right);
    const int32_t res = intern(left + right);
    m.merges_.emplace(key(l, r), Merge{static_cast<int32_t>(i), res});
  }
  return m;
}

void BpeModel::push_pair(Scratch* s, int32_t left, int32_t right) const {
  if (left < 0 || right < 0) return;
  const int32_t ls = s->symbols[left].sym;
  const int32_t rs = s->symbols[right].sym;
  const auto it = merges_.find(key(ls, rs));
  if (it == merges_.end()) return;
  s->heap.push_back({it->second.rank, left, right, ls, rs, it->second.result});
  std::push_heap(s->heap.begin(), s->heap.end(), PairAfter());
}

void BpeModel::emit(int32_t sym, std::vector<int32_t>* out) const {
  if (sym < n_vocab_) {
    out->push_back(sym);
    return;
  }
  // A merge result that is not a token: llama.cpp falls back to the tokens
  // spelled by each single byte of its text, dropping bytes that have none.
  for (char c : virtual_texts_[sym - n_vocab_]) {
    const int32_t t = single_char_token_[static_cast<uint8_t>(c)];
    if (t >= 0) out->push_back(t);
  }
}

void BpeModel::encode_word(std::string_view word, std::vector<int32_t>* out, Scratch* s) const {
  const int32_t n = static_cast<int32_t>(word.size());
  if (n == 0) return;
  if (n == 1) {
    emit(byte_sym_[static_cast<uint8_t>(word[0])], out);
    return;
  }
  auto& syms = s->symbols;
  syms.resize(n);
  for (int32_t i = 0; i < n; ++i) {
    syms[i] = {byte_sym_[static_cast<uint8_t>(word[i])], i - 1, i + 1 < n ? i + 1 : -1};
  }
  s->heap.clear();
  for (int32_t i = 1; i < n; ++i) push_pair(s, i - 1, i);

  while (!s->heap.empty()) {
    std::pop_heap(s->heap.begin(), s->heap.end(), PairAfter());
    const Scratch::Pair p = s->heap.back();
    s->heap.pop_back();
    Scratch::Symbol& l = syms[p.left];
    Scratch::Symbol& r = syms[p.right];
    // Stale pair: one side was merged away or has grown since it was queued.
    if (l.sym != p.left_sym || r.sym != p.right_sym || l.next != p.right) continue;
    l.sym = p.result;
    r.sym = -1;
    l.next = r.next;
    if (r.next >= 0) syms[r.next].prev = p.left;
    push_pair(s, l.prev, p.left);
    push_pair(s, p.left, l.next);
  }
  for (int32_t i = 0; i >= 0; i = syms[i].next) emit(syms[i].sym, out);
}

}  // namespace teamvl::engine
