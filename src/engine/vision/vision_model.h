// The Qwen3-VL vision encoder (mmproj GGUF, projector qwen3vl_merger):
// patch embedding, interpolated learned position embedding, 2-D RoPE,
// pre-LayerNorm ViT blocks with full attention and GELU MLP, DeepStack
// mergers tapping some blocks, post-LayerNorm and the 2x2 patch merger.
// Weights stay in their GGUF types (F32/F16/BF16/Q8_0) inside the file
// mapping; on AVX-512 CPUs F32/F16/BF16 matrices also get a copy repacked for
// the packed GEMM (same size as the original).
// A loaded VisionModel is immutable: encode() may run from several threads
// (each call has its own buffers; a shared ThreadPool serializes their jobs).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/image/preprocess.h"
#include "engine/kernels/cpu_features.h"
#include "engine/kernels/matmul.h"
#include "engine/vision/vision_gemm.h"
#include "engine/vision/vision_hparams.h"

namespace teamvl::engine {

class GgufFile;
class ThreadPool;

// One image's encoder output: n_tokens rows (raster order over the merged
// grid, x fastest) of `dim` floats = [merger output | DeepStack slice 1 | ...],
// the layout llama.cpp feeds the text model (vision/*.embd.f32).
struct ImageEmbedding {
  int32_t n_tokens = 0;
  int32_t dim = 0;
  int32_t grid_x = 0;  // merged tokens per row
  int32_t grid_y = 0;  // merged rows
  std::vector<float> rows;
  uint64_t content_hash = 0;  // identifies the input image (prefix-cache keys); 0 = unknown

  int64_t bytes() const { return static_cast<int64_t>(rows.size() * sizeof(float)); }
  const float* row(int32_t t) const { return rows.data() + static_cast<int64_t>(t) * dim; }
};

// y = x W^T + b with W {cols = in, rows = out} in its GGUF type.
struct VisionLinear {
  WeightView w;
  const float* bias = nullptr;  // (out), may be nullptr
  PanelWeight packed;           // empty unless repacked for the packed GEMM
};

struct VisionNorm {
  const float* weight = nullptr;
  const float* bias = nullptr;
};

// Shapes with D = n_embd, F = n_ff.
struct VisionBlock {
  VisionNorm ln1;                  // (D)
  VisionLinear qkv;                // (D -> 3D), Q | K | V rows; empty when split
  VisionLinear q, k, v;            // (D -> D) each, when the file has them split
  VisionLinear attn_out;           // (D -> D)
  VisionNorm ln2;                  // (D)
  VisionLinear ffn_up;             // (D -> F)
  VisionLinear ffn_down;           // (F -> D)
};

// A merger MLP over merged tokens (M = merge^2 * D, P = projection_dim).
struct VisionMerger {
  int32_t layer = -1;              // ViT block it taps (DeepStack); -1 for the main merger
  VisionNorm norm;                 // (M) DeepStack only; the main merger uses post_ln (D)
  VisionLinear fc1;                // (M -> M)
  VisionLinear fc2;                // (M -> P)
};

struct VisionLoadOptions {
  // Kernel family; a level the CPU lacks falls back to the best it has.
  SimdLevel level = simd_level();
};

// Called with intermediate tensors under llama.cpp's names ("inp_pos_emb",
// "ln1-0", "Qcur_rope-0", "Kcur_rope-0", "attn_out-N", "ffn_out-N",
// "layer_out-N", "norm_b-L" for DeepStack layer L, "norm_b-<n_layer>" after
// post_ln): `rows` rows of `row_len` floats, patches in merge order.
using VisionDebugFn = std::function<void(const std::string& name, const float* data, int64_t rows, int64_t row_len)>;

class VisionModel {
 public:
  // Checks hparams and every tensor (presence, shape, supported type); errors
  // say what was expected and what was found. `file` must outlive the model.
  static Result<std::unique_ptr<VisionModel>> load(const GgufFile& file, const VisionLoadOptions& options = {});
  // Opens `path` and loads it; the model owns the mapping.
  static Result<std::unique_ptr<VisionModel>> open(const std::string& path, const VisionLoadOptions& options = {});
  ~VisionModel();

  const VisionHparams& hparams() const { return hp_; }
  const GgufFile& file() const { return file_; }
  SimdLevel level() const { return level_; }
  // Preprocessing matching this model, with our longest-side cap.
  PreprocessParams preprocess_params(int max_side = 768) const { return hp_.preprocess_params(max_side); }
  // Bytes of weights (as stored) and of the repacked copies.
  int64_t weight_bytes() const { return weight_bytes_; }
  int64_t packed_bytes() const { return packed_bytes_; }
  // Multiply-adds x 2 of one encode of an image with `n_patches` patches (for GFLOP/s reports).
  double flops(int64_t n_patches) const;

  // Runs the encoder on a preprocessed image (made with preprocess_params()).
  // InvalidArgument when its size does not fit the model's patch grid.
  Result<ImageEmbedding> encode(const PreprocessedImage& image, ThreadPool& pool,
                                const VisionDebugFn& debug = {}) const;

 private:
  friend class VisionEncoderRun;
  VisionModel(const GgufFile& file, VisionHparams hp, SimdLevel level);
  Status load_tensors();
  Result<VisionLinear> linear(const std::string& name, int64_t in, int64_t out, bool bias = true);
  Result<VisionLinear> linear_f16(const std::string& name, int64_t in, int64_t out);
  void pack(VisionLinear& L);
  Result<const float*> vector(const std::string& name, int64_t n);
  Result<VisionNorm> norm(const std::string& prefix, int64_t n);

  std::unique_ptr<GgufFile> owned_file_;  // set by open()
  const GgufFile& file_;
  VisionHparams hp_;
  SimdLevel level_;
  // (3 * p * p -> D): temporal frames 0 and 1, no bias. Held as F16 copies:
  // llama.cpp's conv_2d multiplies an F16 im2col, so both operands are fp16.
  VisionLinear patch_embd_[2];
  const float* patch_bias_ = nullptr;   // (D)
  const float* pos_embd_ = nullptr;     // (D x side^2), row = gy * side + gx
  std::vector<VisionBlock> blocks_;
  VisionNorm post_ln_;                  // (D)
  VisionMerger merger_;                 // mm.0 / mm.2
  std::vector<VisionMerger> deepstack_; // in layer order
  std::vector<std::vector<float>> owned_vectors_;  // 1-D tensors converted to F32
  std::vector<std::vector<uint16_t>> owned_f16_;   // patch kernels rounded to F16
  int64_t weight_bytes_ = 0;
  int64_t packed_bytes_ = 0;
};

}  // namespace teamvl::engine
