// A rendered prompt with images turned into what the text model consumes, as
// llama.cpp's mtmd does for Qwen3-VL: the text is split at each image marker,
// each piece tokenized on its own, "<|vision_start|>" ends the piece before an
// image and "<|vision_end|>" starts the piece after it, and the image's
// embedding rows take the marker's place (no <|image_pad|> tokens are fed).
// Positions (M-RoPE t, h, w, e): text token at p gets (p, p, p, 0); token i of
// a gx x gy image starting at p0 gets (p0, p0 + i / gx, p0 + i % gx, 0); the
// text after it starts at p0 + max(gx, gy).
// Plain values; building is a pure function (thread-safe).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "engine/model/hparams.h"
#include "engine/runner/prompt.h"
#include "engine/vision/vision_model.h"

namespace teamvl::engine {

class Tokenizer;

struct MmChunk {
  enum class Kind { kText, kImage };
  Kind kind = Kind::kText;
  int32_t pos0 = 0;                             // t position of the first row
  std::vector<int32_t> tokens;                  // kText
  std::shared_ptr<const ImageEmbedding> image;  // kImage (shared, immutable)

  // Rows fed to the model and positions consumed.
  int32_t n_tokens() const;
  int32_t n_pos() const;
  // The 4 M-RoPE components of every row of the chunk.
  std::vector<std::array<int32_t, 4>> positions() const;
};

struct MmPrompt {
  std::vector<MmChunk> chunks;
  int32_t n_text_tokens = 0;
  int32_t n_image_tokens = 0;  // charged to the owner like text tokens
  int32_t n_pos = 0;           // position of the next token after the prompt

  int32_t n_tokens() const { return n_text_tokens + n_image_tokens; }
  int32_t n_images() const;
  // The runner's input (text ids and image rows with their positions).
  Result<Prompt> to_prompt() const;
};

struct MmPromptOptions {
  // Where an image goes in the text. The chat template's image placeholder
  // "<|vision_start|><|image_pad|><|vision_end|>" is accepted too.
  std::string marker = "<__media__>";
  std::string vision_start = "<|vision_start|>";
  std::string vision_end = "<|vision_end|>";
  bool parse_special = true;  // "<|im_start|>" etc. in the text become their ids
};

// Number of image slots in `text` (markers and template placeholders).
int32_t count_image_slots(std::string_view text, const MmPromptOptions& options = {});

// Builds the chunk list. InvalidArgument when the number of images differs
// from the number of slots, an image is empty or rows of different widths are
// mixed, or the vocabulary lacks the vision tokens.
Result<MmPrompt> build_mm_prompt(std::string_view text, std::span<const std::shared_ptr<const ImageEmbedding>> images,
                                 const Tokenizer& tokenizer, const MmPromptOptions& options = {});

// Checks that an mmproj feeds this text model: its output width must be the
// text model's n_embd and its DeepStack count the text model's. The error
// says what was expected and what was found.
Status check_vision_fits_text(const VisionHparams& vision, const TextHparams& text);

}  // namespace teamvl::engine
