#include "engine/model/text_model.h"

#include <cmath>
#include <cstring>
#include <unordered_map>

#include "engine/gguf/gguf.h"
#include "engine/kernels/thread_pool.h"
#include "engine/model/attention.h"
#include "engine/tensor/quants.h"

namespace teamvl::engine {
namespace {

std::string shape_string(const std::vector<int64_t>& ne) {
  std::string s = "{";
  for (size_t i = 0; i < ne.size(); ++i) s += (i ? ", " : "") + std::to_string(ne[i]);
  return s + "}";
}

// y = (x / rms(x)) * w over each of n_rows rows of n floats, as ggml computes
// it (squares summed in double, the scale in float). x and y may alias.
void rms_norm_rows(const float* x, const float* w, int64_t n_rows, int64_t n, float eps, float* y) {
  for (int64_t r = 0; r < n_rows; ++r) {
    const float* xr = x + r * n;
    float* yr = y + r * n;
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(xr[i] * xr[i]);
    const float mean = static_cast<float>(sum / static_cast<double>(n));
    const float scale = 1.0f / std::sqrt(mean + eps);
    for (int64_t i = 0; i < n; ++i) yr[i] = (xr[i] * scale) * w[i];
  }
}

void add_rows(float* x, const float* d, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] += d[i];
}

// Splits [0, n) over the pool in chunks of at least `grain` items.
template <typename Fn>
void parallel(ThreadPool& pool, int64_t n, int64_t grain, Fn&& fn) {
  if (n <= grain || pool.size() <= 1) {
    fn(int64_t{0}, n);
    return;
  }
  pool.parallel_for(n, [&](int64_t begin, int64_t end) { fn(begin, end); });
}

}  // namespace

Result<std::unique_ptr<TextModel>> TextModel::load(const GgufFile& file) {
  TEAMVL_ASSIGN_OR_RETURN(TextHparams hp, read_text_hparams(file));
  auto model = std::unique_ptr<TextModel>(new TextModel(file, std::move(hp)));
  TEAMVL_RETURN_IF_ERROR(model->load_tensors());
  return model;
}

int64_t TextModel::kv_bytes_per_token() const {
  return static_cast<int64_t>(hp_.n_layer) * 2 * hp_.kv_dim() * static_cast<int64_t>(sizeof(float));
}

Result<WeightView> TextModel::matrix(const std::string& name, int64_t in, int64_t out) {
  const GgufTensorInfo* t = file_.find_tensor(name);
  const std::string expected = out == 1 ? shape_string({in}) : shape_string({in, out});
  if (!t) return Status::InvalidArgument("tensor '" + name + "' is missing (expected shape " + expected + ")");
  std::vector<int64_t> ne = t->ne;
  while (ne.size() > 2 && ne.back() == 1) ne.pop_back();
  if (ne.size() == 1) ne.push_back(1);
  if (ne != std::vector<int64_t>{in, out}) {
    return Status::InvalidArgument("tensor '" + name + "': expected shape " + expected + ", found " +
                                   shape_string(t->ne));
  }
  if (!is_supported_type(t->type)) {
    return Status::InvalidArgument("tensor '" + name + "': type " + type_name(t->type) +
                                   " is not supported (expected f32, f16, bf16, q8_0, q4_0, q4_K, q5_K or q6_K)");
  }
  if (in % block_size(t->type) != 0) {
    return Status::InvalidArgument("tensor '" + name + "': row of " + std::to_string(in) +
                                   " elements is not a multiple of the " + type_name(t->type) + " block size");
  }
  weight_bytes_ += static_cast<int64_t>(t->n_bytes);
  return WeightView{t->type, in, out, file_.tensor_data(*t)};
}

Result<const float*> TextModel::vector(const std::string& name, int64_t n) {
  TEAMVL_ASSIGN_OR_RETURN(WeightView w, matrix(name, n, 1));
  if (w.type == GgmlType::kF32 && reinterpret_cast<uintptr_t>(w.data) % alignof(float) == 0) {
    return static_cast<const float*>(w.data);
  }
  owned_vectors_.emplace_back(n);
  TEAMVL_RETURN_IF_ERROR(dequantize_row(w.type, w.data, owned_vectors_.back().data(), n));
  return static_cast<const float*>(owned_vectors_.back().data());
}

Status TextModel::load_tensors() {
  const TextHparams& h = hp_;
  rope_.head_dim = h.head_dim;
  rope_.base = h.rope_base;
  rope_.mrope = h.mrope;
  rope_.sections = h.rope_sections;
  owned_vectors_.reserve(4 * h.n_layer + 1);  // pointers into it must stay valid

  TEAMVL_ASSIGN_OR_RETURN(token_embd_, matrix("token_embd.weight", h.n_embd, h.n_vocab));
  TEAMVL_ASSIGN_OR_RETURN(output_norm_, vector("output_norm.weight", h.n_embd));
  if (h.tied_output) {
    output_ = token_embd_;
  } else {
    TEAMVL_ASSIGN_OR_RETURN(output_, matrix("output.weight", h.n_embd, h.n_vocab));
  }
  layers_.resize(h.n_layer);
  for (int32_t il = 0; il < h.n_layer; ++il) {
    const std::string p = "blk." + std::to_string(il) + ".";
    LayerWeights& L = layers_[il];
    TEAMVL_ASSIGN_OR_RETURN(L.attn_norm, vector(p + "attn_norm.weight", h.n_embd));
    TEAMVL_ASSIGN_OR_RETURN(L.wq, matrix(p + "attn_q.weight", h.n_embd, h.q_dim()));
    TEAMVL_ASSIGN_OR_RETURN(L.wk, matrix(p + "attn_k.weight", h.n_embd, h.kv_dim()));
    TEAMVL_ASSIGN_OR_RETURN(L.wv, matrix(p + "attn_v.weight", h.n_embd, h.kv_dim()));
    TEAMVL_ASSIGN_OR_RETURN(L.q_norm, vector(p + "attn_q_norm.weight", h.head_dim));
    TEAMVL_ASSIGN_OR_RETURN(L.k_norm, vector(p + "attn_k_norm.weight", h.head_dim));
    TEAMVL_ASSIGN_OR_RETURN(L.wo, matrix(p + "attn_output.weight", h.q_dim(), h.n_embd));
    TEAMVL_ASSIGN_OR_RETURN(L.ffn_norm, vector(p + "ffn_norm.weight", h.n_embd));
    TEAMVL_ASSIGN_OR_RETURN(L.ffn_gate, matrix(p + "ffn_gate.weight", h.n_embd, h.n_ff));
    TEAMVL_ASSIGN_OR_RETURN(L.ffn_up, matrix(p + "ffn_up.weight", h.n_embd, h.n_ff));
    TEAMVL_ASSIGN_OR_RETURN(L.ffn_down, matrix(p + "ffn_down.weight", h.n_ff, h.n_embd));
  }
  return Status::Ok();
}

Status TextModel::check_batch(std::span<const BatchToken> batch, const KvCache& kv) const {
  const KvCacheConfig& c = kv.config();
  if (c.n_layer != hp_.n_layer || c.n_kv_head != hp_.n_head_kv || c.head_dim != hp_.head_dim) {
    return Status::InvalidArgument("KV cache shape does not match the model");
  }
  std::unordered_map<KvSeqId, int32_t> reserved;
  for (const BatchToken& t : batch) {
    if (!t.embd && (t.token < 0 || t.token >= hp_.n_vocab)) {
      return Status::InvalidArgument("token id " + std::to_string(t.token) + " is out of range [0, " +
                                     std::to_string(hp_.n_vocab) + ")");
    }
    auto it = reserved.find(t.seq);
    if (it == reserved.end()) it = reserved.emplace(t.seq, kv.seq_reserved(t.seq)).first;
    if (t.index < 0 || t.index >= it->second) {
      return Status::InvalidArgument("KV slot " + std::to_string(t.index) + " of sequence " +
                                     std::to_string(t.seq) + " is not reserved");
    }
  }
  return Status::Ok();
}

void TextModel::embed(std::span<const BatchToken> batch, float* x) const {
  const int64_t n = hp_.n_embd;
  const size_t row = row_bytes(token_embd_.type, n);
  for (size_t t = 0; t < batch.size(); ++t) {
    float* xt = x + t * n;
    if (batch[t].embd) {
      std::memcpy(xt, batch[t].embd, sizeof(float) * n);  // main slice of the input row
    } else {
      const auto* src = static_cast<const uint8_t*>(token_embd_.data) + row * batch[t].token;
      (void)dequantize_row(token_embd_.type, src, xt, n);  // type checked at load
    }
  }
}

void TextModel::attention(std::span<const BatchToken> batch, int32_t layer, KvCache& kv, ThreadPool& pool,
                          ForwardScratch& s) const {
  const int32_t hd = hp_.head_dim;
  const int32_t n_group = hp_.n_head / hp_.n_head_kv;
  // Tiles: runs of consecutive tokens of one sequence (a prefill chunk), so one
  // pass over the cached K/V serves ~8 query vectors (tokens x group heads).
  const int32_t tile_tokens = std::max(1, 8 / n_group);
  s.tiles.clear();
  for (int32_t t = 0; t < static_cast<int32_t>(batch.size());) {
    int32_t end = t + 1;
    while (end < static_cast<int32_t>(batch.size()) && end - t < tile_tokens && batch[end].seq == batch[t].seq &&
           batch[end].index == batch[end - 1].index + 1) {
      ++end;
    }
    s.tiles.push_back({t, end});
    t = end;
  }
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const int64_t n_items = static_cast<int64_t>(s.tiles.size()) * hp_.n_head_kv;
  parallel(pool, n_items, 1, [&](int64_t begin, int64_t end) {
    thread_local std::vector<float> scores;
    std::vector<const float*> q;
    std::vector<float*> out;
    std::vector<int32_t> len;
    for (int64_t item = begin; item < end; ++item) {
      const auto [t0, t1] = s.tiles[item / hp_.n_head_kv];
      const int32_t g = static_cast<int32_t>(item % hp_.n_head_kv);
      q.clear();
      out.clear();
      len.clear();
      for (int32_t t = t0; t < t1; ++t) {
        for (int32_t h = g * n_group; h < (g + 1) * n_group; ++h) {
          const int64_t off = static_cast<int64_t>(t) * hp_.q_dim() + static_cast<int64_t>(h) * hd;
          q.push_back(s.q.data() + off);
          out.push_back(s.attn.data() + off);
          len.push_back(batch[t].index + 1);
        }
      }
      AttentionArgs a;
      a.kv = &kv;
      a.blocks = s.tables[t0];
      a.layer = layer;
      a.kv_head = g;
      a.head_dim = hd;
      a.scale = scale;
      scores.resize(q.size() * static_cast<size_t>(batch[t1 - 1].index + 1));
      attend(a, q.data(), out.data(), len.data(), static_cast<int32_t>(q.size()), scores.data());
    }
  });
}

Status TextModel::forward(std::span<const BatchToken> batch, KvCache& kv, ThreadPool& pool, ForwardScratch& s,
                          float* logits) const {
  if (batch.empty()) return Status::Ok();
  TEAMVL_RETURN_IF_ERROR(check_batch(batch, kv));
  const TextHparams& h = hp_;
  const int64_t T = static_cast<int64_t>(batch.size());
  const int64_t E = h.n_embd, HD = h.head_dim, QD = h.q_dim(), KD = h.kv_dim(), F = h.n_ff;
  const int32_t bs = kv.config().block_size;
  s.x.resize(T * E);
  s.norm.resize(T * std::max(E, QD));
  s.q.resize(T * QD);
  s.k.resize(T * KD);
  s.v.resize(T * KD);
  s.attn.resize(T * std::max(QD, E));
  s.gate.resize(T * F);
  s.up.resize(T * F);
  s.rope.resize(T * HD);

  // Block tables, fetched once (they do not change during the pass).
  s.tables.resize(T);
  for (int64_t t = 0; t < T; ++t) {
    s.tables[t] = (t > 0 && batch[t].seq == batch[t - 1].seq) ? s.tables[t - 1] : kv.block_table(batch[t].seq).data();
  }
  // x = embeddings                                            [T, E]
  embed(batch, s.x.data());
  // RoPE angles per token, shared by all layers                [T, HD]
  for (int64_t t = 0; t < T; ++t) rope_cache(rope_, batch[t].pos, s.rope.data() + t * HD);

  for (int32_t il = 0; il < h.n_layer; ++il) {
    const LayerWeights& L = layers_[il];
    // n = rmsnorm(x) * attn_norm                               [T, E]
    rms_norm_rows(s.x.data(), L.attn_norm, T, E, h.rms_eps, s.norm.data());
    // q = Wq n [T, n_head*HD];  k = Wk n, v = Wv n [T, n_head_kv*HD]
    matmul(L.wq, s.norm.data(), T, s.q.data(), pool);
    matmul(L.wk, s.norm.data(), T, s.k.data(), pool);
    matmul(L.wv, s.norm.data(), T, s.v.data(), pool);
    // per-head RMSNorm (q_norm, k_norm), RoPE; k, v into the cache slots
    parallel(pool, T, 16, [&](int64_t begin, int64_t end) {
      for (int64_t t = begin; t < end; ++t) {
        float* q = s.q.data() + t * QD;
        float* k = s.k.data() + t * KD;
        rms_norm_rows(q, L.q_norm, h.n_head, HD, h.rms_eps, q);
        rms_norm_rows(k, L.k_norm, h.n_head_kv, HD, h.rms_eps, k);
        rope_apply(rope_, s.rope.data() + t * HD, q, h.n_head);
        rope_apply(rope_, s.rope.data() + t * HD, k, h.n_head_kv);
        const BatchToken& b = batch[t];
        const int32_t block = s.tables[t][b.index / bs];
        const int32_t slot = b.index % bs;
        float* kb = kv.k_data(block, il);
        float* vb = kv.v_data(block, il);
        for (int32_t g = 0; g < h.n_head_kv; ++g) {
          for (int32_t d = 0; d < HD; ++d) kb[k_offset(g, d, slot, HD, bs)] = k[g * HD + d];  // K transposed
          std::memcpy(vb + v_offset(g, slot, HD, bs), s.v.data() + t * KD + g * HD, sizeof(float) * HD);
        }
      }
    });
    // attn = softmax(q k^T / sqrt(HD), causal) v               [T, n_head*HD]
    attention(batch, il, kv, pool, s);
    // x = x + Wo attn                                          [T, E]
    matmul(L.wo, s.attn.data(), T, s.norm.data(), pool);
    add_rows(s.x.data(), s.norm.data(), T * E);
    // m = rmsnorm(x) * ffn_norm;  x = x + Wdown (silu(Wgate m) * Wup m)
    rms_norm_rows(s.x.data(), L.ffn_norm, T, E, h.rms_eps, s.norm.data());
    matmul(L.ffn_gate, s.norm.data(), T, s.gate.data(), pool);
    matmul(L.ffn_up, s.norm.data(), T, s.up.data(), pool);
    parallel(pool, T * F, 1 << 14, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const float g = s.gate[i];
        s.gate[i] = (g / (1.0f + std::exp(-g))) * s.up[i];
      }
    });
    matmul(L.ffn_down, s.gate.data(), T, s.attn.data(), pool);
    add_rows(s.x.data(), s.attn.data(), T * E);
    // DeepStack: after layer il < n_deepstack, add slice il+1 of image rows
    if (il < h.n_deepstack) {
      for (int64_t t = 0; t < T; ++t) {
        if (batch[t].embd) add_rows(s.x.data() + t * E, batch[t].embd + (il + 1) * E, E);
      }
    }
  }

  // logits = output · (rmsnorm(x) * output_norm), only where asked  [R, n_vocab]
  s.logit_rows.clear();
  for (int64_t t = 0; t < T; ++t) {
    if (batch[t].logits) s.logit_rows.push_back(static_cast<int32_t>(t));
  }
  const int64_t R = static_cast<int64_t>(s.logit_rows.size());
  if (R == 0) return Status::Ok();
  s.out_rows.resize(R * E);
  for (int64_t r = 0; r < R; ++r) {
    rms_norm_rows(s.x.data() + s.logit_rows[r] * E, output_norm_, 1, E, h.rms_eps, s.out_rows.data() + r * E);
  }
  matmul(output_, s.out_rows.data(), R, logits, pool);
  return Status::Ok();
}

}  // namespace teamvl::engine
