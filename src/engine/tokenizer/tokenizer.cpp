#include "engine/tokenizer/tokenizer.h"

#include <algorithm>
#include <cstdio>

#include "engine/tokenizer/bpe.h"
#include "engine/tokenizer/pre_tokenizer.h"
#include "engine/tokenizer/utf8.h"

namespace teamvl::engine {
namespace {

using namespace token_attr;

// A NORMAL token's text is GPT-2 byte-mapped: map each code point back to its
// byte. A code point outside the map is kept visible the way llama.cpp does.
std::string decode_byte_level(const std::string& text) {
  const ByteUnicodeMap& bmap = ByteUnicodeMap::get();
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    const uint32_t cp = decode_utf8_lenient(text, &pos);
    const int b = bmap.utf8_cp_to_byte(cp);
    if (b >= 0) {
      out.push_back(static_cast<char>(b));
      continue;
    }
    std::string utf8;
    append_utf8(cp, &utf8);
    out += "[UNK_BYTE_0x";
    for (char c : utf8) {
      char hex[3];
      std::snprintf(hex, sizeof(hex), "%02x", static_cast<uint8_t>(c));
      out += hex;
    }
    out += text + "]";
  }
  return out;
}

// llama.cpp's token_to_piece(special = true).
std::string render_piece(const Vocab& v, int32_t id) {
  const uint32_t a = v.attrs[id];
  if (a & (kControl | kUnknown | kUserDefined)) return v.texts[id];
  if (a & kNormal) return decode_byte_level(v.texts[id]);
  const std::string& t = v.texts[id];
  if ((a & kByte) && t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>') {
    return std::string(1, static_cast<char>(std::stoi(t.substr(3, 2), nullptr, 16)));
  }
  return {};  // UNUSED and UNDEFINED tokens render as nothing
}

}  // namespace

struct Tokenizer::Internals {
  std::unique_ptr<PreTokenizer> pre;
  BpeModel bpe;
};

Tokenizer::~Tokenizer() = default;

Result<std::unique_ptr<Tokenizer>> Tokenizer::create(const VocabSpec& spec) {
  TEAMVL_ASSIGN_OR_RETURN(Vocab vocab, resolve_vocab(spec));
  TEAMVL_ASSIGN_OR_RETURN(std::unique_ptr<PreTokenizer> pre, PreTokenizer::create_qwen2());
  std::unique_ptr<Tokenizer> t(new Tokenizer());
  t->in_ = std::make_unique<Internals>();
  t->in_->pre = std::move(pre);
  t->in_->bpe = BpeModel::build(vocab, spec.merges);
  t->pieces_.resize(vocab.size());
  for (int32_t id = 0; id < vocab.size(); ++id) t->pieces_[id] = render_piece(vocab, id);
  t->vocab_ = std::move(vocab);
  return t;
}

std::vector<Tokenizer::Fragment> Tokenizer::partition_special(std::string_view text,
                                                              bool parse_special) const {
  std::vector<Fragment> frags{{-1, 0, text.size()}};
  std::vector<Fragment> next;
  // Longest special tokens first; each splits the raw fragments left so far.
  for (int32_t id : vocab_.special_order) {
    if (!parse_special && (vocab_.attrs[id] & (kControl | kUnknown))) continue;
    const std::string& st = vocab_.texts[id];
    if (text.find(st) == std::string_view::npos) continue;
    next.clear();
    for (const Fragment& f : frags) {
      if (f.token >= 0) {
        next.push_back(f);
        continue;
      }
      const std::string_view window = text.substr(0, f.offset + f.length);
      size_t start = f.offset;
      for (size_t m; (m = window.find(st, start)) != std::string_view::npos; start = m + st.size()) {
        if (m > start) next.push_back({-1, start, m - start});
        next.push_back({id, m, st.size()});
      }
      if (start < f.offset + f.length) next.push_back({-1, start, f.offset + f.length - start});
    }
    frags.swap(next);
  }
  return frags;
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool parse_special) const {
  std::vector<int32_t> out;
  if (text.empty()) return out;
  out.reserve(text.size() / 3 + 4);
  BpeModel::Scratch scratch;
  for (const Fragment& f : partition_special(text, parse_special)) {
    if (f.token >= 0) {
      out.push_back(f.token);
      continue;
    }
    in_->pre->for_each_word(text.substr(f.offset, f.length), [&](std::string_view word) {
      in_->bpe.encode_word(word, &out, &scratch);
    });
  }
  return out;
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool render_special) const {
  std::string out;
  for (int32_t id : ids) {
    if (!vocab_.valid(id)) continue;
    if (!render_special && (vocab_.attrs[id] & (kControl | kUnknown))) continue;
    out += pieces_[id];
  }
  return out;
}

std::string Tokenizer::token_piece(int32_t id, bool render_special) const {
  const int32_t one[1] = {id};
  return decode(one, render_special);
}

const std::string& Tokenizer::token_text(int32_t id) const {
  static const std::string kEmpty;
  return vocab_.valid(id) ? vocab_.texts[id] : kEmpty;
}

std::optional<int32_t> Tokenizer::special_id(std::string_view text) const {
  const auto id = vocab_.find(std::string(text));
  if (!id || !(vocab_.attrs[*id] & (kControl | kUserDefined | kUnknown))) return std::nullopt;
  return id;
}

bool Tokenizer::is_eog(int32_t id) const {
  return std::binary_search(vocab_.eog_ids.begin(), vocab_.eog_ids.end(), id);
}

bool Tokenizer::is_control(int32_t id) const { return (attrs(id) & kControl) != 0; }

uint32_t Tokenizer::attrs(int32_t id) const { return vocab_.valid(id) ? vocab_.attrs[id] : 0; }

}  // namespace teamvl::engine
