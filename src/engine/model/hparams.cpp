#include "engine/model/hparams.h"

#include <cmath>

#include "engine/gguf/gguf.h"

namespace teamvl::engine {
namespace {

// Reads `<arch>.<key>` as a positive int32; `fallback` < 0 means required.
Result<int32_t> read_dim(const GgufFile& f, const std::string& arch, const char* key, int64_t fallback = -1) {
  const std::string full = arch + "." + key;
  if (!f.find(full)) {
    if (fallback >= 0) return static_cast<int32_t>(fallback);
    return Status::InvalidArgument("model file " + f.path() + ": metadata key '" + full +
                                   "' is missing (expected a positive integer)");
  }
  TEAMVL_ASSIGN_OR_RETURN(int64_t v, f.get_int(full));
  if (v <= 0 || v > (int64_t{1} << 30)) {
    return Status::InvalidArgument("metadata key '" + full + "': expected a positive integer, found " +
                                   std::to_string(v));
  }
  return static_cast<int32_t>(v);
}

Result<double> read_float(const GgufFile& f, const std::string& key, double fallback) {
  if (!f.find(key)) return fallback;
  return f.get_float(key);
}

}  // namespace

std::string TextHparams::to_string() const {
  std::string s = "arch=" + arch + " n_vocab=" + std::to_string(n_vocab) + " n_embd=" + std::to_string(n_embd) +
                  " n_layer=" + std::to_string(n_layer) + " n_head=" + std::to_string(n_head) +
                  " n_head_kv=" + std::to_string(n_head_kv) + " head_dim=" + std::to_string(head_dim) +
                  " n_ff=" + std::to_string(n_ff) + " rope_base=" + std::to_string(rope_base);
  if (mrope) {
    s += " rope_sections=[" + std::to_string(rope_sections[0]) + "," + std::to_string(rope_sections[1]) + "," +
         std::to_string(rope_sections[2]) + "," + std::to_string(rope_sections[3]) + "]";
  }
  s += " n_deepstack=" + std::to_string(n_deepstack) + " n_ctx_train=" + std::to_string(n_ctx_train);
  s += tied_output ? " output=tied" : " output=separate";
  return s;
}

Result<TextHparams> read_text_hparams(const GgufFile& f) {
  TextHparams h;
  if (!f.find("general.architecture")) {
    return Status::InvalidArgument("model file " + f.path() +
                                   ": expected metadata key general.architecture = qwen3vl, found none");
  }
  TEAMVL_ASSIGN_OR_RETURN(h.arch, f.get_string("general.architecture"));
  if (h.arch != "qwen3vl" && h.arch != "qwen3") {
    std::string hint = h.arch == "clip" ? " (this is a vision projector file: pass it as the mmproj, and the text "
                                          "model as the model)"
                                        : "";
    return Status::InvalidArgument("model file " + f.path() + ": expected architecture qwen3vl (or qwen3), found '" +
                                   h.arch + "'" + hint);
  }
  if (f.find("general.name")) {
    auto name = f.get_string("general.name");
    if (name.ok()) h.name = *name;
  }
  const std::string& a = h.arch;
  TEAMVL_ASSIGN_OR_RETURN(h.n_embd, read_dim(f, a, "embedding_length"));
  TEAMVL_ASSIGN_OR_RETURN(h.n_layer, read_dim(f, a, "block_count"));
  TEAMVL_ASSIGN_OR_RETURN(h.n_head, read_dim(f, a, "attention.head_count"));
  TEAMVL_ASSIGN_OR_RETURN(h.n_head_kv, read_dim(f, a, "attention.head_count_kv", h.n_head));
  TEAMVL_ASSIGN_OR_RETURN(h.head_dim, read_dim(f, a, "attention.key_length", h.n_embd / h.n_head));
  TEAMVL_ASSIGN_OR_RETURN(int32_t v_dim, read_dim(f, a, "attention.value_length", h.head_dim));
  TEAMVL_ASSIGN_OR_RETURN(h.n_ff, read_dim(f, a, "feed_forward_length"));
  TEAMVL_ASSIGN_OR_RETURN(h.n_ctx_train, read_dim(f, a, "context_length", 4096));
  TEAMVL_ASSIGN_OR_RETURN(double eps, read_float(f, a + ".attention.layer_norm_rms_epsilon", 1e-6));
  TEAMVL_ASSIGN_OR_RETURN(double base, read_float(f, a + ".rope.freq_base", 10000.0));
  h.rms_eps = static_cast<float>(eps);
  h.rope_base = static_cast<float>(base);
  if (v_dim != h.head_dim) {
    return Status::InvalidArgument("metadata: expected attention.value_length == key_length (" +
                                   std::to_string(h.head_dim) + "), found " + std::to_string(v_dim));
  }
  if (h.n_head % h.n_head_kv != 0) {
    return Status::InvalidArgument("metadata: expected head_count (" + std::to_string(h.n_head) +
                                   ") to be a multiple of head_count_kv, found " + std::to_string(h.n_head_kv));
  }
  if (h.head_dim % 2 != 0) {
    return Status::InvalidArgument("metadata: expected an even head dimension, found " + std::to_string(h.head_dim));
  }
  if (!(h.rms_eps > 0.0f) || !(h.rope_base > 0.0f) || !std::isfinite(h.rope_base)) {
    return Status::InvalidArgument("metadata: expected positive rms epsilon and rope.freq_base");
  }
  if (f.find(a + ".rope.dimension_count")) {
    TEAMVL_ASSIGN_OR_RETURN(int64_t n_rot, f.get_int(a + ".rope.dimension_count"));
    if (n_rot != h.head_dim) {
      return Status::InvalidArgument("metadata: expected rope.dimension_count == head dim (" +
                                     std::to_string(h.head_dim) + "), found " + std::to_string(n_rot));
    }
  }
  if (a == "qwen3vl") {
    h.mrope = true;
    const std::string key = a + ".rope.dimension_sections";
    if (!f.find(key)) return Status::InvalidArgument("metadata key '" + key + "' is missing (expected int32[4])");
    TEAMVL_ASSIGN_OR_RETURN(auto sec, f.get_int_array(key));
    if (sec.size() < 3 || sec.size() > 4) {
      return Status::InvalidArgument("metadata key '" + key + "': expected 4 values, found " +
                                     std::to_string(sec.size()));
    }
    int64_t sum = 0;
    for (size_t i = 0; i < sec.size(); ++i) {
      if (sec[i] < 0 || sec[i] > h.head_dim) return Status::InvalidArgument("metadata key '" + key + "': bad value");
      h.rope_sections[i] = static_cast<int32_t>(sec[i]);
      sum += sec[i];
    }
    if (sum <= 0 || sum > h.head_dim / 2) {
      return Status::InvalidArgument("metadata key '" + key + "': expected sections summing to at most head_dim/2 = " +
                                     std::to_string(h.head_dim / 2) + ", found " + std::to_string(sum));
    }
    TEAMVL_ASSIGN_OR_RETURN(h.n_deepstack, read_dim(f, a, "n_deepstack_layers", 0));
    if (h.n_deepstack >= h.n_layer) {
      return Status::InvalidArgument("metadata: expected n_deepstack_layers < block_count (" +
                                     std::to_string(h.n_layer) + "), found " + std::to_string(h.n_deepstack));
    }
  }
  const GgufTensorInfo* embd = f.find_tensor("token_embd.weight");
  if (!embd) return Status::InvalidArgument("model file " + f.path() + ": tensor 'token_embd.weight' is missing");
  if (embd->ne.size() != 2 || embd->ne[0] != h.n_embd || embd->ne[1] <= 0 || embd->ne[1] > (int64_t{1} << 24)) {
    return Status::InvalidArgument("tensor 'token_embd.weight': expected shape {" + std::to_string(h.n_embd) +
                                   ", n_vocab}, found a different shape");
  }
  h.n_vocab = static_cast<int32_t>(embd->ne[1]);
  h.tied_output = f.find_tensor("output.weight") == nullptr;
  return h;
}

}  // namespace teamvl::engine
