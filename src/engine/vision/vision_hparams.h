// Hyper-parameters of a Qwen3-VL vision tower + merger ("mmproj" GGUF as
// llama.cpp's converter writes it: general.architecture = clip,
// clip.projector_type = qwen3vl_merger). Plain data; copy freely.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/image/preprocess.h"

namespace teamvl::engine {

class GgufFile;

struct VisionHparams {
  std::string projector;          // clip.projector_type ("qwen3vl_merger")
  std::string name;               // general.name (may be empty)
  int32_t n_embd = 0;             // ViT width (clip.vision.embedding_length)
  int32_t n_layer = 0;            // ViT blocks
  int32_t n_head = 0;
  int32_t n_ff = 0;               // MLP inner size
  int32_t patch_size = 0;         // pixels per patch side
  int32_t merge_size = 2;         // merge x merge patches -> one output token
  int32_t n_pos_side = 0;         // side of the learned position grid (rows = side^2)
  int32_t projection_dim = 0;     // output width per slice = text n_embd
  float eps = 1e-6f;              // LayerNorm epsilon
  std::vector<int32_t> deepstack_layers;  // ViT layers whose output feeds a DeepStack merger, ascending
  std::array<float, 3> image_mean{0.5f, 0.5f, 0.5f};
  std::array<float, 3> image_std{0.5f, 0.5f, 0.5f};
  int64_t min_pixels = 8 * 32 * 32;     // llama.cpp's Qwen-VL default: 8 merged tokens
  int64_t max_pixels = 4096 * 32 * 32;  // 4096 merged tokens

  int32_t head_dim() const { return n_head > 0 ? n_embd / n_head : 0; }
  int32_t n_deepstack() const { return static_cast<int32_t>(deepstack_layers.size()); }
  // Width of one merged token before the merger MLP (merge^2 patch rows).
  int32_t merged_dim() const { return n_embd * merge_size * merge_size; }
  // Width of one output row: merger output then one slice per DeepStack layer
  // (the text model's n_embd_inp).
  int32_t n_embd_out() const { return projection_dim * (1 + n_deepstack()); }
  // Preprocessing for this model with our longest-side cap (0 = none).
  PreprocessParams preprocess_params(int max_side = 768) const;
  // One-line summary for logs and CLI output.
  std::string to_string() const;
};

// Reads and checks the hyper-parameters: architecture clip with a vision
// encoder, projector qwen3vl_merger, consistent sizes. InvalidArgument says what
// was expected and what was found. The position-grid side and projection_dim
// are taken from the tensor table when their keys are absent.
Result<VisionHparams> read_vision_hparams(const GgufFile& file);

}  // namespace teamvl::engine
