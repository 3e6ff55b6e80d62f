#include "engine/multimodal/mm_prompt.h"

#include <algorithm>

#include "engine/tokenizer/tokenizer.h"

namespace teamvl::engine {
namespace {

std::string placeholder(const MmPromptOptions& o) { return o.vision_start + "<|image_pad|>" + o.vision_end; }

// Splits at every marker or placeholder (whichever comes first at each point).
std::vector<std::string_view> split_slots(std::string_view text, const MmPromptOptions& o) {
  const std::string ph = placeholder(o);
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t a = o.marker.empty() ? std::string_view::npos : text.find(o.marker, start);
    const size_t b = text.find(ph, start);
    const size_t at = std::min(a, b);
    if (at == std::string_view::npos) break;
    parts.push_back(text.substr(start, at - start));
    start = at + (at == a ? o.marker.size() : ph.size());
  }
  parts.push_back(text.substr(start));
  return parts;
}

}  // namespace

int32_t MmChunk::n_tokens() const {
  return kind == Kind::kText ? static_cast<int32_t>(tokens.size()) : (image ? image->n_tokens : 0);
}

int32_t MmChunk::n_pos() const {
  return kind == Kind::kText ? static_cast<int32_t>(tokens.size())
                             : (image ? std::max(image->grid_x, image->grid_y) : 0);
}

std::vector<std::array<int32_t, 4>> MmChunk::positions() const {
  std::vector<std::array<int32_t, 4>> out;
  if (kind == Kind::kText) {
    for (int32_t i = 0; i < n_tokens(); ++i) out.push_back({pos0 + i, pos0 + i, pos0 + i, 0});
  } else if (image) {
    for (int32_t i = 0; i < image->n_tokens; ++i) {
      out.push_back({pos0, pos0 + i / image->grid_x, pos0 + i % image->grid_x, 0});
    }
  }
  return out;
}

int32_t MmPrompt::n_images() const {
  return static_cast<int32_t>(
      std::count_if(chunks.begin(), chunks.end(), [](const MmChunk& c) { return c.kind == MmChunk::Kind::kImage; }));
}

Result<Prompt> MmPrompt::to_prompt() const {
  Prompt p;
  for (const MmChunk& c : chunks) {
    if (c.kind == MmChunk::Kind::kText) {
      p.add_text(c.tokens);
      continue;
    }
    // Rows shared with the embedding (aliasing pointer: no copy).
    std::shared_ptr<const std::vector<float>> rows(c.image, &c.image->rows);
    TEAMVL_RETURN_IF_ERROR(p.add_image(rows, c.image->dim, c.image->grid_x, c.image->grid_y, c.image->content_hash));
  }
  return p;
}

int32_t count_image_slots(std::string_view text, const MmPromptOptions& options) {
  return static_cast<int32_t>(split_slots(text, options).size()) - 1;
}

Result<MmPrompt> build_mm_prompt(std::string_view text, std::span<const std::shared_ptr<const ImageEmbedding>> images,
                                 const Tokenizer& tokenizer, const MmPromptOptions& options) {
  const std::vector<std::string_view> parts = split_slots(text, options);
  const size_t slots = parts.size() - 1;
  if (slots != images.size()) {
    return Status::InvalidArgument("prompt has " + std::to_string(slots) + " image marker(s) (" + options.marker +
                                   "), but " + std::to_string(images.size()) + " image(s) were given");
  }
  if (slots > 0 && (!tokenizer.special_id(options.vision_start) || !tokenizer.special_id(options.vision_end))) {
    return Status::InvalidArgument("the model's vocabulary has no " + options.vision_start + " / " +
                                   options.vision_end + " tokens: it cannot take images");
  }
  int32_t width = 0;
  for (const auto& img : images) {
    if (!img || img->n_tokens <= 0 || img->grid_x <= 0 || img->grid_y <= 0 || img->dim <= 0 ||
        img->rows.size() != static_cast<size_t>(img->n_tokens) * img->dim ||
        img->n_tokens != img->grid_x * img->grid_y) {
      return Status::InvalidArgument("image embedding is empty or inconsistent");
    }
    if (width && img->dim != width) {
      return Status::InvalidArgument("image embeddings of different widths (" + std::to_string(width) + " and " +
                                     std::to_string(img->dim) + ")");
    }
    width = img->dim;
  }
  MmPrompt out;
  int32_t pos = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string piece;
    if (i > 0) piece += options.vision_end;
    piece += parts[i];
    if (i < slots) piece += options.vision_start;
    if (!piece.empty()) {
      MmChunk c;
      c.pos0 = pos;
      c.tokens = tokenizer.encode(piece, options.parse_special);
      if (!c.tokens.empty()) {
        pos += c.n_pos();
        out.n_text_tokens += c.n_tokens();
        out.chunks.push_back(std::move(c));
      }
    }
    if (i < slots) {
      MmChunk c;
      c.kind = MmChunk::Kind::kImage;
      c.pos0 = pos;
      c.image = images[i];
      pos += c.n_pos();
      out.n_image_tokens += c.n_tokens();
      out.chunks.push_back(std::move(c));
    }
  }
  out.n_pos = pos;
  return out;
}

Status check_vision_fits_text(const VisionHparams& vision, const TextHparams& text) {
  if (vision.projection_dim != text.n_embd) {
    return Status::InvalidArgument("mmproj output width " + std::to_string(vision.projection_dim) +
                                   " does not match the text model: expected n_embd " + std::to_string(text.n_embd));
  }
  if (vision.n_deepstack() != text.n_deepstack) {
    return Status::InvalidArgument("mmproj has " + std::to_string(vision.n_deepstack()) +
                                   " DeepStack layers, the text model expects " + std::to_string(text.n_deepstack));
  }
  return Status::Ok();
}

}  // namespace teamvl::engine
