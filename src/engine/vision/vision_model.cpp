// Loading the vision encoder: hparams, every tensor checked against the
// expected shape and type, weights viewed in place, packed copies made.
#include "engine/vision/vision_model.h"

#include <cstring>

#include "engine/gguf/gguf.h"
#include "engine/tensor/quants.h"

namespace teamvl::engine {
namespace {

std::string shape_str(const std::vector<int64_t>& ne) {
  std::string s = "{";
  for (size_t i = 0; i < ne.size(); ++i) s += (i ? ", " : "") + std::to_string(ne[i]);
  return s + "}";
}

bool is_matrix_type(GgmlType t) {
  return t == GgmlType::kF32 || t == GgmlType::kF16 || t == GgmlType::kBF16 || t == GgmlType::kQ8_0 ||
         t == GgmlType::kQ4_0 || t == GgmlType::kQ4_K || t == GgmlType::kQ5_K || t == GgmlType::kQ6_K;
}

}  // namespace

VisionModel::VisionModel(const GgufFile& file, VisionHparams hp, SimdLevel level)
    : file_(file), hp_(std::move(hp)), level_(level) {}
VisionModel::~VisionModel() = default;

Result<std::unique_ptr<VisionModel>> VisionModel::load(const GgufFile& file, const VisionLoadOptions& options) {
  TEAMVL_ASSIGN_OR_RETURN(VisionHparams hp, read_vision_hparams(file));
  SimdLevel level = simd_level_supported(options.level) ? options.level : simd_level();
  std::unique_ptr<VisionModel> m(new VisionModel(file, std::move(hp), level));
  TEAMVL_RETURN_IF_ERROR(m->load_tensors());
  return m;
}

Result<std::unique_ptr<VisionModel>> VisionModel::open(const std::string& path, const VisionLoadOptions& options) {
  TEAMVL_ASSIGN_OR_RETURN(std::unique_ptr<GgufFile> file, GgufFile::open(path));
  TEAMVL_ASSIGN_OR_RETURN(std::unique_ptr<VisionModel> m, load(*file, options));
  m->owned_file_ = std::move(file);
  return m;
}

Result<const float*> VisionModel::vector(const std::string& name, int64_t n) {
  const GgufTensorInfo* t = file_.find_tensor(name);
  if (!t) return Status::InvalidArgument("mmproj file " + file_.path() + ": tensor '" + name + "' is missing");
  if (t->n_elements() != n) {
    return Status::InvalidArgument("tensor '" + name + "': expected shape {" + std::to_string(n) + "}, found " +
                                   shape_str(t->ne));
  }
  const uint8_t* data = file_.tensor_data(*t);
  weight_bytes_ += static_cast<int64_t>(t->n_bytes);
  if (t->type == GgmlType::kF32) return reinterpret_cast<const float*>(data);
  if (t->type != GgmlType::kF16 && t->type != GgmlType::kBF16) {
    return Status::InvalidArgument("tensor '" + name + "': expected type f32, f16 or bf16, found " +
                                   type_name(t->type));
  }
  std::vector<float> v(n);
  TEAMVL_RETURN_IF_ERROR(dequantize_row(t->type, data, v.data(), n));
  owned_vectors_.push_back(std::move(v));
  return owned_vectors_.back().data();
}

Result<VisionNorm> VisionModel::norm(const std::string& prefix, int64_t n) {
  VisionNorm nm;
  TEAMVL_ASSIGN_OR_RETURN(nm.weight, vector(prefix + ".weight", n));
  TEAMVL_ASSIGN_OR_RETURN(nm.bias, vector(prefix + ".bias", n));
  return nm;
}

// `name` is a matrix tensor {in, out} (higher dims folded into `in`, as the
// patch embedding's {p, p, 3, D}); its bias is `<stem>.bias` where name is
// `<stem>.weight`.
Result<VisionLinear> VisionModel::linear(const std::string& name, int64_t in, int64_t out, bool bias) {
  const GgufTensorInfo* t = file_.find_tensor(name);
  if (!t) return Status::InvalidArgument("mmproj file " + file_.path() + ": tensor '" + name + "' is missing");
  if (t->ne.size() < 2 || t->ne.back() != out || t->n_elements() != in * out) {
    return Status::InvalidArgument("tensor '" + name + "': expected " + std::to_string(in) + " inputs x " +
                                   std::to_string(out) + " outputs, found shape " + shape_str(t->ne));
  }
  if (!is_matrix_type(t->type)) {
    return Status::InvalidArgument("tensor '" + name + "': unsupported type " + type_name(t->type) +
                                   " (expected f32, f16, bf16, q8_0, q4_0 or a k-quant)");
  }
  VisionLinear L;
  L.w = WeightView{t->type, in, out, file_.tensor_data(*t)};
  if (Status st = validate_weight(L.w); !st.ok()) {
    return Status::InvalidArgument("tensor '" + name + "': " + st.message());
  }
  weight_bytes_ += static_cast<int64_t>(t->n_bytes);
  if (bias) {
    const std::string stem = name.substr(0, name.rfind(".weight"));
    TEAMVL_ASSIGN_OR_RETURN(L.bias, vector(stem + ".bias", out));
  }
  pack(L);
  return L;
}

void VisionModel::pack(VisionLinear& L) {
  const GgmlType t = L.w.type;
  if (vision_gemm_supported(level_) && (t == GgmlType::kF32 || t == GgmlType::kF16 || t == GgmlType::kBF16)) {
    auto p = pack_weight_panels(L.w);  // cannot fail for these types and a validated shape
    if (p.ok()) {
      L.packed = std::move(p).value();
      packed_bytes_ += L.packed.bytes();
    }
  }
}

// A matrix converted to an owned F16 copy (values rounded to fp16).
Result<VisionLinear> VisionModel::linear_f16(const std::string& name, int64_t in, int64_t out) {
  TEAMVL_ASSIGN_OR_RETURN(VisionLinear src, linear(name, in, out, false));
  std::vector<uint16_t> h(static_cast<size_t>(in * out));
  std::vector<float> row(in);
  const size_t rb = row_bytes(src.w.type, in);
  for (int64_t r = 0; r < out; ++r) {
    TEAMVL_RETURN_IF_ERROR(dequantize_row(src.w.type, static_cast<const uint8_t*>(src.w.data) + r * rb, row.data(), in));
    for (int64_t k = 0; k < in; ++k) h[r * in + k] = fp32_to_fp16(row[k]);
  }
  if (!src.packed.empty()) packed_bytes_ -= src.packed.bytes();  // replaced by the F16 copy
  owned_f16_.push_back(std::move(h));
  VisionLinear L;
  L.w = WeightView{GgmlType::kF16, in, out, owned_f16_.back().data()};
  pack(L);
  return L;
}

Status VisionModel::load_tensors() {
  const VisionHparams& h = hp_;
  const int64_t D = h.n_embd, F = h.n_ff, M = h.merged_dim(), P = h.projection_dim;
  const int64_t patch_in = int64_t{3} * h.patch_size * h.patch_size;
  const GgufTensorInfo* pe = file_.find_tensor("v.patch_embd.weight");
  const std::vector<int64_t> pe_shape = {h.patch_size, h.patch_size, 3, D};
  if (pe && pe->ne != pe_shape) {
    return Status::InvalidArgument("tensor 'v.patch_embd.weight': expected shape " + shape_str(pe_shape) +
                                   ", found " + shape_str(pe->ne));
  }
  TEAMVL_ASSIGN_OR_RETURN(patch_embd_[0], linear_f16("v.patch_embd.weight", patch_in, D));
  TEAMVL_ASSIGN_OR_RETURN(patch_bias_, vector("v.patch_embd.bias", D));
  if (file_.find_tensor("v.patch_embd.weight.1")) {
    TEAMVL_ASSIGN_OR_RETURN(patch_embd_[1], linear_f16("v.patch_embd.weight.1", patch_in, D));
  }
  TEAMVL_ASSIGN_OR_RETURN(pos_embd_, vector("v.position_embd.weight", D * h.n_pos_side * h.n_pos_side));
  for (int32_t il = 0; il < h.n_layer; ++il) {
    const std::string p = "v.blk." + std::to_string(il) + ".";
    VisionBlock b;
    TEAMVL_ASSIGN_OR_RETURN(b.ln1, norm(p + "ln1", D));
    if (file_.find_tensor(p + "attn_qkv.weight")) {
      TEAMVL_ASSIGN_OR_RETURN(b.qkv, linear(p + "attn_qkv.weight", D, 3 * D));
    } else {
      TEAMVL_ASSIGN_OR_RETURN(b.q, linear(p + "attn_q.weight", D, D));
      TEAMVL_ASSIGN_OR_RETURN(b.k, linear(p + "attn_k.weight", D, D));
      TEAMVL_ASSIGN_OR_RETURN(b.v, linear(p + "attn_v.weight", D, D));
    }
    TEAMVL_ASSIGN_OR_RETURN(b.attn_out, linear(p + "attn_out.weight", D, D));
    TEAMVL_ASSIGN_OR_RETURN(b.ln2, norm(p + "ln2", D));
    TEAMVL_ASSIGN_OR_RETURN(b.ffn_up, linear(p + "ffn_up.weight", D, F));
    TEAMVL_ASSIGN_OR_RETURN(b.ffn_down, linear(p + "ffn_down.weight", F, D));
    blocks_.push_back(std::move(b));
  }
  TEAMVL_ASSIGN_OR_RETURN(post_ln_, norm("v.post_ln", D));
  TEAMVL_ASSIGN_OR_RETURN(merger_.fc1, linear("mm.0.weight", M, M));
  TEAMVL_ASSIGN_OR_RETURN(merger_.fc2, linear("mm.2.weight", M, P));
  for (int32_t layer : h.deepstack_layers) {
    const std::string p = "v.deepstack." + std::to_string(layer) + ".";
    VisionMerger ds;
    ds.layer = layer;
    TEAMVL_ASSIGN_OR_RETURN(ds.norm, norm(p + "norm", M));
    TEAMVL_ASSIGN_OR_RETURN(ds.fc1, linear(p + "fc1.weight", M, M));
    TEAMVL_ASSIGN_OR_RETURN(ds.fc2, linear(p + "fc2.weight", M, P));
    deepstack_.push_back(std::move(ds));
  }
  return Status::Ok();
}

double VisionModel::flops(int64_t n_patches) const {
  const double D = hp_.n_embd, F = hp_.n_ff, M = hp_.merged_dim(), P = hp_.projection_dim;
  const double n = static_cast<double>(n_patches), tokens = n / (hp_.merge_size * hp_.merge_size);
  const double patch = 2.0 * n * 3 * hp_.patch_size * hp_.patch_size * D * 2;  // two temporal kernels
  const double per_layer = 2.0 * n * (3 * D * D + D * D + 2 * D * F) + 4.0 * n * n * D;
  const double merger = 2.0 * tokens * (M * M + M * P) * (1 + hp_.n_deepstack());
  return patch + hp_.n_layer * per_layer + merger;
}

}  // namespace teamvl::engine
