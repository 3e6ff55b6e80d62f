#include "engine/runner/prompt.h"

#include <algorithm>
#include <cstring>

namespace teamvl::engine {
namespace {

uint64_t hash_floats(const std::vector<float>& v) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a over the bytes
  const auto* p = reinterpret_cast<const unsigned char*>(v.data());
  for (size_t i = 0; i < v.size() * sizeof(float); ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

}  // namespace

void Prompt::add_text(std::span<const int32_t> ids) {
  for (int32_t id : ids) {
    PromptToken t;
    t.token = id;
    t.pos = {next_pos_, next_pos_, next_pos_, 0};
    tokens_.push_back(t);
    ++next_pos_;
  }
}

Status Prompt::add_image(std::shared_ptr<const std::vector<float>> rows, int32_t width, int32_t grid_x,
                         int32_t grid_y, uint64_t content_hash) {
  if (!rows || width <= 0 || grid_x <= 0 || grid_y <= 0) {
    return Status::InvalidArgument("image needs rows, a positive width and a positive grid");
  }
  const int64_t n = static_cast<int64_t>(grid_x) * grid_y;
  if (static_cast<int64_t>(rows->size()) != n * width) {
    return Status::InvalidArgument("image rows: expected " + std::to_string(n) + " x " + std::to_string(width) +
                                   " floats, found " + std::to_string(rows->size()));
  }
  PromptImage img;
  img.width = width;
  img.content_hash = content_hash ? content_hash : hash_floats(*rows);
  img.rows = std::move(rows);
  const int32_t index = static_cast<int32_t>(images_.size());
  images_.push_back(std::move(img));
  const int32_t p0 = next_pos_;
  for (int32_t i = 0; i < n; ++i) {
    PromptToken t;
    t.image = index;
    t.row = i;
    t.pos = {p0, p0 + i / grid_x, p0 + i % grid_x, 0};
    tokens_.push_back(t);
  }
  next_pos_ = p0 + std::max(grid_x, grid_y);
  return Status::Ok();
}

const float* Prompt::embedding(int32_t i) const {
  const PromptToken& t = tokens_[i];
  if (t.image < 0) return nullptr;
  const PromptImage& img = images_[t.image];
  return img.rows->data() + static_cast<int64_t>(t.row) * img.width;
}

TokenKey Prompt::key(int32_t i) const {
  const PromptToken& t = tokens_[i];
  TokenKey k;
  k.pos = t.pos;
  if (t.image < 0) {
    k.content = static_cast<uint32_t>(t.token);
  } else {  // image rows: high bit set so they never equal a token id
    k.content = (images_[t.image].content_hash * 0x9e3779b97f4a7c15ull + static_cast<uint64_t>(t.row)) |
                (uint64_t{1} << 63);
  }
  return k;
}

std::vector<TokenKey> Prompt::keys() const {
  std::vector<TokenKey> out(tokens_.size());
  for (int32_t i = 0; i < size(); ++i) out[i] = key(i);
  return out;
}

std::vector<int32_t> Prompt::text_ids() const {
  std::vector<int32_t> out;
  for (const PromptToken& t : tokens_) {
    if (t.image < 0) out.push_back(t.token);
  }
  return out;
}

}  // namespace teamvl::engine
