#include "engine/vision/vision_hparams.h"

#include <cmath>

#include "engine/gguf/gguf.h"

namespace teamvl::engine {
namespace {

std::string where(const GgufFile& f) { return "mmproj file " + f.path() + ": "; }

// `key` as a positive integer; `fallback` < 0 means the key is required.
Result<int32_t> read_dim(const GgufFile& f, const std::string& key, int64_t fallback = -1) {
  if (!f.find(key)) {
    if (fallback >= 0) return static_cast<int32_t>(fallback);
    return Status::InvalidArgument(where(f) + "metadata key '" + key + "' is missing (expected a positive integer)");
  }
  auto v = f.get_int(key);
  if (!v.ok()) return Status::InvalidArgument(where(f) + v.status().message());
  if (*v <= 0 || *v > (int64_t{1} << 24)) {
    return Status::InvalidArgument(where(f) + "metadata key '" + key + "': expected a positive integer, found " +
                                   std::to_string(*v));
  }
  return static_cast<int32_t>(*v);
}

// Three floats (image mean / std); the default when absent.
Result<std::array<float, 3>> read_rgb(const GgufFile& f, const std::string& key, std::array<float, 3> fallback) {
  if (!f.find(key)) return fallback;
  auto v = f.get_float_array(key);
  if (!v.ok()) return Status::InvalidArgument(where(f) + v.status().message());
  if (v->size() != 3) {
    return Status::InvalidArgument(where(f) + "metadata key '" + key + "': expected 3 values, found " +
                                   std::to_string(v->size()));
  }
  std::array<float, 3> out{};
  for (int c = 0; c < 3; ++c) {
    out[c] = static_cast<float>((*v)[c]);
    if (!std::isfinite(out[c])) return Status::InvalidArgument(where(f) + "metadata key '" + key + "': not finite");
  }
  return out;
}

Status read_deepstack(const GgufFile& f, VisionHparams& h) {
  const std::string key = "clip.vision.is_deepstack_layers";
  if (!f.find(key)) return Status::Ok();  // no DeepStack
  auto flags = f.get_bool_array(key);
  if (!flags.ok()) return Status::InvalidArgument(where(f) + flags.status().message());
  if (static_cast<int32_t>(flags->size()) != h.n_layer) {
    return Status::InvalidArgument(where(f) + "metadata key '" + key + "': expected " + std::to_string(h.n_layer) +
                                   " flags (one per block), found " + std::to_string(flags->size()));
  }
  for (int32_t il = 0; il < h.n_layer; ++il) {
    if ((*flags)[il]) h.deepstack_layers.push_back(il);
  }
  return Status::Ok();
}

}  // namespace

PreprocessParams VisionHparams::preprocess_params(int max_side) const {
  PreprocessParams p;
  p.patch_size = patch_size;
  p.merge_size = merge_size;
  p.min_pixels = min_pixels;
  p.max_pixels = max_pixels;
  p.mean = image_mean;
  p.std = image_std;
  p.max_side = max_side;
  return p;
}

std::string VisionHparams::to_string() const {
  std::string s = "projector=" + projector + " n_embd=" + std::to_string(n_embd) + " n_layer=" +
                  std::to_string(n_layer) + " n_head=" + std::to_string(n_head) + " n_ff=" + std::to_string(n_ff) +
                  " patch=" + std::to_string(patch_size) + " merge=" + std::to_string(merge_size) +
                  " pos_grid=" + std::to_string(n_pos_side) + "x" + std::to_string(n_pos_side) +
                  " projection_dim=" + std::to_string(projection_dim) + " deepstack=[";
  for (size_t i = 0; i < deepstack_layers.size(); ++i) {
    s += (i ? "," : "") + std::to_string(deepstack_layers[i]);
  }
  return s + "] n_embd_out=" + std::to_string(n_embd_out());
}

Result<VisionHparams> read_vision_hparams(const GgufFile& f) {
  VisionHparams h;
  if (!f.find("general.architecture")) {
    return Status::InvalidArgument(where(f) + "expected metadata key general.architecture = clip, found none");
  }
  auto arch = f.get_string("general.architecture");
  if (!arch.ok()) return Status::InvalidArgument(where(f) + arch.status().message());
  if (*arch != "clip") {
    const std::string hint = *arch == "qwen3vl" || *arch == "qwen3"
                                 ? " (this is a text model: pass it as the model, and the mmproj file as --mmproj)"
                                 : "";
    return Status::InvalidArgument(where(f) + "expected architecture 'clip' (a vision projector), found '" + *arch +
                                   "'" + hint);
  }
  if (f.find("clip.has_vision_encoder")) {
    auto has = f.get_bool("clip.has_vision_encoder");
    if (!has.ok() || !*has) {
      return Status::InvalidArgument(where(f) + "expected clip.has_vision_encoder = true, found false");
    }
  }
  // Older converters wrote the projector type under clip.vision.projector_type.
  const char* proj_key = f.find("clip.projector_type") ? "clip.projector_type" : "clip.vision.projector_type";
  if (!f.find(proj_key)) {
    return Status::InvalidArgument(where(f) + "expected clip.projector_type = qwen3vl_merger, found none");
  }
  auto proj = f.get_string(proj_key);
  if (!proj.ok()) return Status::InvalidArgument(where(f) + proj.status().message());
  h.projector = *proj;
  if (h.projector != "qwen3vl_merger") {
    return Status::InvalidArgument(where(f) + "expected projector type 'qwen3vl_merger' (Qwen3-VL), found '" +
                                   h.projector + "'");
  }
  if (f.find("general.name")) {
    auto name = f.get_string("general.name");
    if (name.ok()) h.name = *name;
  }
  TEAMVL_ASSIGN_OR_RETURN(h.n_embd, read_dim(f, "clip.vision.embedding_length"));
  TEAMVL_ASSIGN_OR_RETURN(h.n_layer, read_dim(f, "clip.vision.block_count"));
  TEAMVL_ASSIGN_OR_RETURN(h.n_head, read_dim(f, "clip.vision.attention.head_count"));
  TEAMVL_ASSIGN_OR_RETURN(h.n_ff, read_dim(f, "clip.vision.feed_forward_length"));
  TEAMVL_ASSIGN_OR_RETURN(h.patch_size, read_dim(f, "clip.vision.patch_size"));
  TEAMVL_ASSIGN_OR_RETURN(h.merge_size, read_dim(f, "clip.vision.spatial_merge_size", 2));
  if (f.find("clip.vision.attention.layer_norm_epsilon")) {
    auto eps = f.get_float("clip.vision.attention.layer_norm_epsilon");
    if (!eps.ok()) return Status::InvalidArgument(where(f) + eps.status().message());
    h.eps = static_cast<float>(*eps);
  }
  if (!(h.eps > 0.0f) || !std::isfinite(h.eps)) {
    return Status::InvalidArgument(where(f) + "expected a positive layer_norm_epsilon, found " + std::to_string(h.eps));
  }
  if (h.n_embd % h.n_head != 0) {
    return Status::InvalidArgument(where(f) + "expected embedding_length (" + std::to_string(h.n_embd) +
                                   ") to be a multiple of head_count (" + std::to_string(h.n_head) + ")");
  }
  if (h.head_dim() % 4 != 0) {
    return Status::InvalidArgument(where(f) + "expected a head dimension divisible by 4 (2-D RoPE), found " +
                                   std::to_string(h.head_dim()));
  }
  if (h.merge_size > 8 || h.patch_size > 256) {
    return Status::InvalidArgument(where(f) + "patch_size " + std::to_string(h.patch_size) + " / merge size " +
                                   std::to_string(h.merge_size) + " out of range");
  }
  TEAMVL_ASSIGN_OR_RETURN(h.image_mean, read_rgb(f, "clip.vision.image_mean", h.image_mean));
  TEAMVL_ASSIGN_OR_RETURN(h.image_std, read_rgb(f, "clip.vision.image_std", h.image_std));
  for (float s : h.image_std) {
    if (s == 0.0f) return Status::InvalidArgument(where(f) + "clip.vision.image_std has a zero entry");
  }
  TEAMVL_RETURN_IF_ERROR(read_deepstack(f, h));
  // Optional pixel bounds (newer converters); llama.cpp's Qwen-VL defaults otherwise.
  const int64_t block = int64_t{h.patch_size} * h.merge_size * h.patch_size * h.merge_size;
  h.min_pixels = 8 * block;
  h.max_pixels = 4096 * block;
  if (f.find("clip.vision.image_min_pixels")) {
    TEAMVL_ASSIGN_OR_RETURN(h.min_pixels, read_dim(f, "clip.vision.image_min_pixels"));
  }
  if (f.find("clip.vision.image_max_pixels")) {
    TEAMVL_ASSIGN_OR_RETURN(h.max_pixels, read_dim(f, "clip.vision.image_max_pixels"));
  }
  if (h.min_pixels > h.max_pixels) {
    return Status::InvalidArgument(where(f) + "image_min_pixels exceeds image_max_pixels");
  }

  // The position grid from its tensor: {n_embd, side*side}.
  const GgufTensorInfo* pos = f.find_tensor("v.position_embd.weight");
  if (!pos) return Status::InvalidArgument(where(f) + "tensor 'v.position_embd.weight' is missing");
  const int64_t n_pos = pos->ne.size() == 2 ? pos->ne[1] : 0;
  const auto side = static_cast<int32_t>(std::lround(std::sqrt(static_cast<double>(n_pos))));
  if (pos->ne.size() != 2 || pos->ne[0] != h.n_embd || n_pos <= 0 || int64_t{side} * side != n_pos) {
    return Status::InvalidArgument(where(f) + "tensor 'v.position_embd.weight': expected shape {" +
                                   std::to_string(h.n_embd) + ", side*side}, found a different shape");
  }
  h.n_pos_side = side;
  if (f.find("clip.vision.image_size")) {
    TEAMVL_ASSIGN_OR_RETURN(int32_t image_size, read_dim(f, "clip.vision.image_size"));
    if (image_size != side * h.patch_size) {
      return Status::InvalidArgument(where(f) + "expected clip.vision.image_size = " +
                                     std::to_string(side * h.patch_size) + " (position grid " + std::to_string(side) +
                                     " x patch " + std::to_string(h.patch_size) + "), found " +
                                     std::to_string(image_size));
    }
  }
  // The output width from the merger's last layer when the key is absent.
  const GgufTensorInfo* out = f.find_tensor("mm.2.weight");
  const int64_t out_rows = out && out->ne.size() == 2 ? out->ne[1] : 0;
  TEAMVL_ASSIGN_OR_RETURN(h.projection_dim, read_dim(f, "clip.vision.projection_dim", out_rows > 0 ? out_rows : -1));
  return h;
}

}  // namespace teamvl::engine
