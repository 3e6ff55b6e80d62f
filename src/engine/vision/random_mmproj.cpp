#include "engine/vision/random_mmproj.h"

#include <cmath>

#include "engine/gguf/gguf.h"
#include "engine/tensor/quants.h"

namespace teamvl::engine {
namespace {

// A fast deterministic generator: splitmix64 with a sum-of-uniforms normal
// (plenty for random weights; hundreds of millions of draws in seconds).
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Approximately N(0, 1): the sum of four uniforms, centered and scaled.
  float normal() {
    const uint64_t a = next(), b = next();
    const float u = static_cast<float>((a & 0xFFFFFFFF) + (a >> 32) + (b & 0xFFFFFFFF) + (b >> 32)) / 4294967296.0f;
    return (u - 2.0f) * 1.7320508f;
  }

 private:
  uint64_t s_;
};

class Builder {
 public:
  Builder(const RandomMmprojSpec& spec, GgufWriter& w) : spec_(spec), w_(w), rng_(spec.seed) {}

  // F32 values ~ mean + N(0, sd^2).
  std::vector<float> values(int64_t n, float mean, float sd) {
    std::vector<float> v(n);
    for (auto& x : v) x = mean + sd * rng_.normal();
    return v;
  }
  Status vec(const std::string& name, int64_t n, float mean, float sd) {
    const std::vector<float> v = values(n, mean, sd);
    return w_.add_tensor(name, GgmlType::kF32, {n}, v.data(), v.size() * sizeof(float));
  }
  // A matrix of shape `ne` (ne[0] contiguous) in the spec's weight type.
  Status mat(const std::string& name, std::vector<int64_t> ne, GgmlType type) {
    const int64_t cols = ne[0];
    int64_t rows = 1;
    for (size_t i = 1; i < ne.size(); ++i) rows *= ne[i];
    const size_t rb = row_bytes(type, cols);
    std::vector<uint8_t> data(rb * rows);
    std::vector<float> row;
    for (int64_t r = 0; r < rows; ++r) {
      row = values(cols, 0.0f, 0.02f);
      TEAMVL_RETURN_IF_ERROR(quantize_row(type, row.data(), data.data() + r * rb, cols));
    }
    return w_.add_tensor(name, type, std::move(ne), std::move(data));
  }
  Status linear(const std::string& stem, int64_t in, int64_t out) {
    TEAMVL_RETURN_IF_ERROR(mat(stem + ".weight", {in, out}, spec_.type));
    return vec(stem + ".bias", out, 0.0f, 0.02f);
  }
  Status norm(const std::string& stem, int64_t n) {
    TEAMVL_RETURN_IF_ERROR(vec(stem + ".weight", n, 1.0f, 0.05f));
    return vec(stem + ".bias", n, 0.0f, 0.02f);
  }

 private:
  const RandomMmprojSpec& spec_;
  GgufWriter& w_;
  Rng rng_;
};

Status check(const RandomMmprojSpec& s) {
  if (s.type != GgmlType::kF32 && s.type != GgmlType::kF16 && s.type != GgmlType::kBF16 &&
      s.type != GgmlType::kQ8_0) {
    return Status::InvalidArgument("random mmproj: weight type must be F32, F16, BF16 or Q8_0, got " +
                                   type_name(s.type));
  }
  if (s.n_embd <= 0 || s.n_layer <= 0 || s.n_head <= 0 || s.n_ff <= 0 || s.patch_size <= 0 || s.merge_size <= 0 ||
      s.n_pos_side <= 0 || s.projection_dim <= 0 || s.n_embd % s.n_head != 0 || (s.n_embd / s.n_head) % 4 != 0) {
    return Status::InvalidArgument("random mmproj: inconsistent shapes");
  }
  const int64_t bs = block_size(s.type);
  const int64_t M = int64_t{s.n_embd} * s.merge_size * s.merge_size;
  if (s.n_embd % bs || s.n_ff % bs || M % bs || (3 * s.patch_size * s.patch_size) % bs) {
    return Status::InvalidArgument("random mmproj: widths must be multiples of " + std::to_string(bs) + " for " +
                                   type_name(s.type));
  }
  for (int32_t l : s.deepstack_layers) {
    if (l < 0 || l >= s.n_layer) return Status::InvalidArgument("random mmproj: DeepStack layer out of range");
  }
  return Status::Ok();
}

}  // namespace

RandomMmprojSpec qwen3vl_2b_vision_spec(GgmlType type) {
  RandomMmprojSpec s;
  s.name = "Qwen3-VL-2B vision shapes (random weights)";
  s.type = type;
  s.n_embd = 1024;
  s.n_layer = 24;
  s.n_head = 16;
  s.n_ff = 4096;
  s.patch_size = 16;
  s.merge_size = 2;
  s.n_pos_side = 48;
  s.projection_dim = 2048;
  s.deepstack_layers = {5, 11, 17};
  return s;
}

Status write_random_mmproj(const RandomMmprojSpec& s, const std::string& path) {
  TEAMVL_RETURN_IF_ERROR(check(s));
  GgufWriter w;
  w.set_string("general.architecture", "clip");
  w.set_string("general.type", "mmproj");
  w.set_string("general.name", s.name);
  w.set_uint32("general.file_type", s.type == GgmlType::kF32 ? 0 : s.type == GgmlType::kF16 ? 1
                                    : s.type == GgmlType::kBF16 ? 32 : 7);
  w.set_bool("clip.has_vision_encoder", true);
  w.set_uint32("clip.vision.projection_dim", s.projection_dim);
  w.set_uint32("clip.vision.image_size", s.n_pos_side * s.patch_size);
  w.set_uint32("clip.vision.patch_size", s.patch_size);
  w.set_uint32("clip.vision.embedding_length", s.n_embd);
  w.set_uint32("clip.vision.feed_forward_length", s.n_ff);
  w.set_uint32("clip.vision.block_count", s.n_layer);
  w.set_uint32("clip.vision.attention.head_count", s.n_head);
  w.set_float32_array("clip.vision.image_mean", {0.5f, 0.5f, 0.5f});
  w.set_float32_array("clip.vision.image_std", {0.5f, 0.5f, 0.5f});
  w.set_string("clip.projector_type", s.projector);
  w.set_bool("clip.use_gelu", true);
  w.set_uint32("clip.vision.spatial_merge_size", s.merge_size);
  w.set_float32("clip.vision.attention.layer_norm_epsilon", 1e-6f);
  std::vector<bool> ds(s.n_layer, false);
  for (int32_t l : s.deepstack_layers) ds[l] = true;
  w.set_bool_array("clip.vision.is_deepstack_layers", ds);

  Builder b(s, w);
  const int64_t D = s.n_embd, F = s.n_ff, P = s.projection_dim;
  const int64_t M = D * s.merge_size * s.merge_size;
  // The patch kernel stays F16 in quantized files (as llama.cpp's converter keeps it).
  const GgmlType patch_type = s.type == GgmlType::kQ8_0 ? GgmlType::kF16 : s.type;
  TEAMVL_RETURN_IF_ERROR(b.mat("v.patch_embd.weight", {s.patch_size, s.patch_size, 3, D}, patch_type));
  TEAMVL_RETURN_IF_ERROR(b.mat("v.patch_embd.weight.1", {s.patch_size, s.patch_size, 3, D}, patch_type));
  TEAMVL_RETURN_IF_ERROR(b.vec("v.patch_embd.bias", D, 0.0f, 0.02f));
  TEAMVL_RETURN_IF_ERROR(b.mat("v.position_embd.weight", {D, int64_t{s.n_pos_side} * s.n_pos_side}, GgmlType::kF32));
  for (int32_t il = 0; il < s.n_layer; ++il) {
    const std::string p = "v.blk." + std::to_string(il) + ".";
    TEAMVL_RETURN_IF_ERROR(b.norm(p + "ln1", D));
    if (s.fused_qkv) {
      TEAMVL_RETURN_IF_ERROR(b.linear(p + "attn_qkv", D, 3 * D));
    } else {
      for (const char* n : {"attn_q", "attn_k", "attn_v"}) TEAMVL_RETURN_IF_ERROR(b.linear(p + n, D, D));
    }
    TEAMVL_RETURN_IF_ERROR(b.linear(p + "attn_out", D, D));
    TEAMVL_RETURN_IF_ERROR(b.norm(p + "ln2", D));
    TEAMVL_RETURN_IF_ERROR(b.linear(p + "ffn_up", D, F));
    TEAMVL_RETURN_IF_ERROR(b.linear(p + "ffn_down", F, D));
  }
  for (int32_t l : s.deepstack_layers) {
    const std::string p = "v.deepstack." + std::to_string(l) + ".";
    TEAMVL_RETURN_IF_ERROR(b.norm(p + "norm", M));
    TEAMVL_RETURN_IF_ERROR(b.linear(p + "fc1", M, M));
    TEAMVL_RETURN_IF_ERROR(b.linear(p + "fc2", M, P));
  }
  TEAMVL_RETURN_IF_ERROR(b.norm("v.post_ln", D));
  TEAMVL_RETURN_IF_ERROR(b.linear("mm.0", M, M));
  TEAMVL_RETURN_IF_ERROR(b.linear("mm.2", M, P));
  return w.write(path);
}

}  // namespace teamvl::engine
