// A sequence's input: text token ids and image embedding rows, each with its
// M-RoPE position. Positions follow llama.cpp for Qwen3-VL: a text token at
// position p gets (p, p, p, 0); an image of gx x gy merged tokens starting at p0
// gets (p0, p0 + i/gx, p0 + i%gx, 0) for token i, and the next token comes at
// p0 + max(gx, gy). Plain value type; copying shares the (immutable) image rows.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "base/status.h"
#include "engine/kv_cache/kv_cache.h"

namespace teamvl::engine {

struct PromptToken {
  int32_t token = -1;                // text token id; -1 for an image row
  int32_t image = -1;                // index into images for an image row
  int32_t row = 0;                   // row inside that image
  std::array<int32_t, 4> pos{};      // t, h, w, e
};

// Rows of one image as the vision encoder produced them.
struct PromptImage {
  std::shared_ptr<const std::vector<float>> rows;  // n_tokens x width floats
  int32_t width = 0;                               // n_embd * (1 + n_deepstack)
  uint64_t content_hash = 0;                       // identifies the image for prefix reuse
};

class Prompt {
 public:
  Prompt() = default;
  explicit Prompt(std::span<const int32_t> ids) { add_text(ids); }

  // Appends text tokens at the next positions.
  void add_text(std::span<const int32_t> ids);
  // Appends an image of grid_x * grid_y tokens (rows: that many rows of `width`
  // floats). `content_hash` of 0 is replaced by a hash of the rows.
  Status add_image(std::shared_ptr<const std::vector<float>> rows, int32_t width, int32_t grid_x,
                   int32_t grid_y, uint64_t content_hash = 0);

  int32_t size() const { return static_cast<int32_t>(tokens_.size()); }
  bool empty() const { return tokens_.empty(); }
  const PromptToken& operator[](int32_t i) const { return tokens_[i]; }
  const std::vector<PromptToken>& tokens() const { return tokens_; }
  const std::vector<PromptImage>& images() const { return images_; }
  // Position (t component) the next appended token gets.
  int32_t next_pos() const { return next_pos_; }
  // The input row of an image token (nullptr for a text token).
  const float* embedding(int32_t i) const;
  // Prefix-cache identity of token i.
  TokenKey key(int32_t i) const;
  std::vector<TokenKey> keys() const;
  // Text token ids only, in order (for penalties and display).
  std::vector<int32_t> text_ids() const;

 private:
  std::vector<PromptToken> tokens_;
  std::vector<PromptImage> images_;
  int32_t next_pos_ = 0;
};

}  // namespace teamvl::engine
