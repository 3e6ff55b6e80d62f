#include "engine/model/demo_model.h"

#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "engine/gguf/gguf.h"
#include "engine/model/demo_vocab.h"
#include "engine/tensor/quants.h"

namespace teamvl::engine {
namespace {

struct FileTypeInfo {
  const char* name;
  uint32_t gguf_id;   // general.file_type
  GgmlType base;      // most 2-D weights
  bool k_mixed;       // Q6_K for token_embd and some attn_v/ffn_down
};

constexpr FileTypeInfo kFileTypes[] = {
    {"F32", 0, GgmlType::kF32, false},     {"F16", 1, GgmlType::kF16, false},
    {"BF16", 32, GgmlType::kBF16, false},  {"Q8_0", 7, GgmlType::kQ8_0, false},
    {"Q4_0", 2, GgmlType::kQ4_0, false},   {"Q6_K", 18, GgmlType::kQ6_K, false},
    {"Q5_K_M", 17, GgmlType::kQ5_K, true}, {"Q4_K_M", 15, GgmlType::kQ4_K, true},
};

// llama-quantize's rule for the layers whose attn_v/ffn_down get more bits.
uint64_t fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

bool use_more_bits(int32_t il, int32_t n) { return il < n / 8 || il >= 7 * n / 8 || (il - n / 8) % 3 == 2; }

// A type the row length allows: K-quants need 256-element rows, the others 32.
GgmlType fit_type(GgmlType t, int64_t cols) {
  if (cols % block_size(t) == 0) return t;
  if (cols % 32 == 0) return GgmlType::kQ8_0;
  return GgmlType::kF16;
}

class NormalGen {
 public:
  explicit NormalGen(uint64_t seed) : rng_(seed) {}
  float next() {  // Box-Muller, one value per call
    if (have_spare_) {
      have_spare_ = false;
      return spare_;
    }
    double u1 = (static_cast<double>(rng_() >> 11) + 0.5) * (1.0 / 9007199254740992.0);
    double u2 = static_cast<double>(rng_() >> 11) * (1.0 / 9007199254740992.0);
    double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = static_cast<float>(r * std::sin(2.0 * std::numbers::pi * u2));
    have_spare_ = true;
    return static_cast<float>(r * std::cos(2.0 * std::numbers::pi * u2));
  }

 private:
  std::mt19937_64 rng_;
  float spare_ = 0.0f;
  bool have_spare_ = false;
};

class Builder {
 public:
  Builder(const DemoModelSpec& spec, GgufWriter& w) : spec_(spec), w_(w) {}

  // A weight with ne = {cols, rows}: values mean + std * N(0, 1), row by row.
  Status add(const std::string& name, GgmlType type, int64_t cols, int64_t rows, float mean, float std) {
    type = fit_type(type, cols);
    NormalGen gen(spec_.seed ^ fnv1a(name));
    const size_t rb = row_bytes(type, cols);
    std::vector<uint8_t> data(rb * rows);
    std::vector<float> row(cols);
    for (int64_t r = 0; r < rows; ++r) {
      for (auto& x : row) x = mean + std * gen.next();
      TEAMVL_RETURN_IF_ERROR(quantize_row(type, row.data(), data.data() + rb * r, cols));
    }
    std::vector<int64_t> ne = rows == 1 ? std::vector<int64_t>{cols} : std::vector<int64_t>{cols, rows};
    return w_.add_tensor(name, type, std::move(ne), std::move(data));
  }

 private:
  const DemoModelSpec& spec_;
  GgufWriter& w_;
};

Status check_spec(const DemoModelSpec& s) {
  if (s.n_embd <= 0 || s.n_layer <= 0 || s.n_head <= 0 || s.n_head_kv <= 0 || s.head_dim <= 0 || s.n_ff <= 0) {
    return Status::InvalidArgument("demo model: every dimension must be positive");
  }
  if (s.n_head % s.n_head_kv != 0) return Status::InvalidArgument("demo model: n_head must be a multiple of n_head_kv");
  if (s.n_deepstack < 0 || s.n_deepstack >= s.n_layer) {
    return Status::InvalidArgument("demo model: n_deepstack must be in [0, n_layer)");
  }
  int32_t sum = 0;
  for (int32_t v : s.rope_sections) sum += v;
  if (sum <= 0 || sum > s.head_dim / 2) return Status::InvalidArgument("demo model: rope sections must sum to <= head_dim/2");
  if (s.n_embd % 32 != 0 || s.n_ff % 32 != 0 || (s.n_head * s.head_dim) % 32 != 0) {
    return Status::InvalidArgument("demo model: n_embd, n_ff and n_head*head_dim must be multiples of 32");
  }
  return Status::Ok();
}

}  // namespace

DemoModelSpec qwen3vl_2b_spec(const std::string& file_type) {
  DemoModelSpec s;
  s.name = "TeamVL benchmark model (Qwen3-VL-2B shapes, random weights)";
  s.file_type = file_type;
  s.n_vocab = 151936;
  s.n_embd = 2048;
  s.n_layer = 28;
  s.n_head = 16;
  s.n_head_kv = 8;
  s.head_dim = 128;
  s.n_ff = 6144;
  s.n_deepstack = 3;
  s.rope_sections = {24, 20, 20, 0};
  s.rope_base = 5000000.0f;
  s.n_ctx = 262144;
  s.tied_output = true;
  return s;
}

Status write_demo_model(const DemoModelSpec& s, const std::string& path) {
  const FileTypeInfo* ft = nullptr;
  for (const auto& f : kFileTypes) {
    if (s.file_type == f.name) ft = &f;
  }
  if (!ft) {
    return Status::InvalidArgument("unknown model file type '" + s.file_type +
                                   "' (expected F32, F16, BF16, Q8_0, Q4_0, Q6_K, Q5_K_M or Q4_K_M)");
  }
  TEAMVL_RETURN_IF_ERROR(check_spec(s));
  TEAMVL_ASSIGN_OR_RETURN(DemoVocab vocab, build_demo_vocab(s.n_merges, s.n_vocab));
  const int64_t n_vocab = static_cast<int64_t>(vocab.tokens.size());

  GgufWriter w;
  const std::string a = "qwen3vl";
  w.set_string("general.architecture", a);
  w.set_string("general.type", "model");
  w.set_string("general.name", s.name);
  w.set_uint32("general.file_type", ft->gguf_id);
  w.set_uint32("general.quantization_version", 2);
  w.set_uint32(a + ".block_count", s.n_layer);
  w.set_uint32(a + ".context_length", s.n_ctx);
  w.set_uint32(a + ".embedding_length", s.n_embd);
  w.set_uint32(a + ".feed_forward_length", s.n_ff);
  w.set_uint32(a + ".attention.head_count", s.n_head);
  w.set_uint32(a + ".attention.head_count_kv", s.n_head_kv);
  w.set_int32_array(a + ".rope.dimension_sections",
                    {s.rope_sections[0], s.rope_sections[1], s.rope_sections[2], s.rope_sections[3]});
  w.set_float32(a + ".rope.freq_base", s.rope_base);
  w.set_float32(a + ".attention.layer_norm_rms_epsilon", 1e-6f);
  w.set_uint32(a + ".attention.key_length", s.head_dim);
  w.set_uint32(a + ".attention.value_length", s.head_dim);
  w.set_uint32(a + ".n_deepstack_layers", s.n_deepstack);
  w.set_string("tokenizer.ggml.model", "gpt2");
  w.set_string("tokenizer.ggml.pre", "qwen2");
  w.set_string_array("tokenizer.ggml.tokens", vocab.tokens);
  w.set_int32_array("tokenizer.ggml.token_type", vocab.token_types);
  w.set_string_array("tokenizer.ggml.merges", vocab.merges);
  w.set_uint32("tokenizer.ggml.eos_token_id", vocab.im_end_id);
  w.set_uint32("tokenizer.ggml.padding_token_id", vocab.endoftext_id);
  w.set_uint32("tokenizer.ggml.bos_token_id", vocab.endoftext_id);
  w.set_bool("tokenizer.ggml.add_bos_token", false);
  w.set_string("tokenizer.chat_template", vocab.chat_template);

  // Same distributions as the fixture models: weights N(0, 0.05^2),
  // token_embd N(0, 0.02^2), norms 1 + N(0, 0.05^2) (output_norm times 4).
  Builder b(s, w);
  const GgmlType base = ft->base;
  const GgmlType more = ft->k_mixed ? GgmlType::kQ6_K : base;
  const int64_t E = s.n_embd, Q = static_cast<int64_t>(s.n_head) * s.head_dim,
                KV = static_cast<int64_t>(s.n_head_kv) * s.head_dim, F = s.n_ff;
  TEAMVL_RETURN_IF_ERROR(b.add("token_embd.weight", more, E, n_vocab, 0.0f, 0.02f));
  TEAMVL_RETURN_IF_ERROR(b.add("output_norm.weight", GgmlType::kF32, E, 1, 4.0f, 0.2f));
  if (!s.tied_output) TEAMVL_RETURN_IF_ERROR(b.add("output.weight", more, E, n_vocab, 0.0f, 0.02f));
  for (int32_t il = 0; il < s.n_layer; ++il) {
    const std::string p = "blk." + std::to_string(il) + ".";
    const GgmlType vd = use_more_bits(il, s.n_layer) ? more : base;
    TEAMVL_RETURN_IF_ERROR(b.add(p + "attn_norm.weight", GgmlType::kF32, E, 1, 1.0f, 0.05f));
    TEAMVL_RETURN_IF_ERROR(b.add(p + "attn_q.weight", base, E, Q, 0.0f, 0.05f));
    TEAMVL_RETURN_IF_ERROR(b.add(p + "attn_k.weight", base, E, KV, 0.0f, 0.05f));
    TEAMVL_RETURN_IF_ERROR(b.add(p + "attn_v.weight", vd, E, KV, 0.0f, 0.05f));
    TEAMVL_RETURN_IF_ERROR(b.add(p + "attn_q_norm.weight", GgmlType::kF32, s.head_dim, 1, 1.0f, 0.05f));
    TEAMVL_RETURN_IF_ERROR(b.add(p + "attn_k_norm.weight", GgmlType::kF32, s.head_dim, 1, 1.0f, 0.05f));
    TEAMVL_RETURN_IF_ERROR(b.add(p + "attn_output.weight", base, Q, E, 0.0f, 0.05f));
    TEAMVL_RETURN_IF_ERROR(b.add(p + "ffn_norm.weight", GgmlType::kF32, E, 1, 1.0f, 0.05f));
    TEAMVL_RETURN_IF_ERROR(b.add(p + "ffn_gate.weight", base, E, F, 0.0f, 0.05f));
    TEAMVL_RETURN_IF_ERROR(b.add(p + "ffn_up.weight", base, E, F, 0.0f, 0.05f));
    TEAMVL_RETURN_IF_ERROR(b.add(p + "ffn_down.weight", vd, F, E, 0.0f, 0.05f));
  }
  return w.write(path);
}

}  // namespace teamvl::engine
