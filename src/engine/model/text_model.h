// The Qwen3-VL text decoder (arch `qwen3vl`; plain `qwen3` also loads).
// Weights stay in their GGUF types inside the file mapping (no dequantized
// copy; only the tiny 1-D norm vectors are converted when not F32).
// A loaded TextModel is immutable: several runners may share it. forward()
// writes only to the caller's KvCache and ForwardScratch.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "engine/kernels/matmul.h"
#include "engine/kv_cache/kv_cache.h"
#include "engine/model/batch.h"
#include "engine/model/hparams.h"
#include "engine/model/rope.h"

namespace teamvl::engine {

class GgufFile;
class ThreadPool;

// Weights of one decoder layer; (in -> out) shapes, matrices as GGUF {in, out}.
struct LayerWeights {
  const float* attn_norm = nullptr;  // (n_embd)
  WeightView wq;                     // (n_embd -> n_head * head_dim)
  WeightView wk;                     // (n_embd -> n_head_kv * head_dim)
  WeightView wv;                     // (n_embd -> n_head_kv * head_dim)
  const float* q_norm = nullptr;     // (head_dim), RMSNorm per head on Q
  const float* k_norm = nullptr;     // (head_dim), RMSNorm per head on K
  WeightView wo;                     // (n_head * head_dim -> n_embd)
  const float* ffn_norm = nullptr;   // (n_embd)
  WeightView ffn_gate;               // (n_embd -> n_ff)
  WeightView ffn_up;                 // (n_embd -> n_ff)
  WeightView ffn_down;               // (n_ff -> n_embd)
};

// Reusable activation buffers for forward(); grows to the largest batch seen.
// One per thread that calls forward().
struct ForwardScratch {
  std::vector<float> x, norm, q, k, v, attn, gate, up, out_rows;
  std::vector<float> rope;  // [n_tokens][head_dim] cos/sin
  std::vector<int32_t> logit_rows;
  std::vector<const int32_t*> tables;  // per token: its sequence's block table
  std::vector<std::pair<int32_t, int32_t>> tiles;  // attention tiles [begin, end) of batch tokens
};

class TextModel {
 public:
  // Checks architecture, hyper-parameters and every tensor (presence, shape,
  // supported type): errors say what was expected and what was found.
  // `file` must outlive the model.
  static Result<std::unique_ptr<TextModel>> load(const GgufFile& file);

  const TextHparams& hparams() const { return hp_; }
  const GgufFile& file() const { return file_; }
  // Bytes of weights streamed per forward pass (for GB/s reports).
  int64_t weight_bytes() const { return weight_bytes_; }
  // KV bytes per token (all layers, K and V, F32).
  int64_t kv_bytes_per_token() const;

  // Runs `batch` through the decoder. K/V of every token are written to `kv`;
  // for each token with logits=true, in batch order, n_vocab floats go to
  // `logits` (which must hold that many rows). InvalidArgument for an
  // out-of-range token id or a slot that is not reserved.
  Status forward(std::span<const BatchToken> batch, KvCache& kv, ThreadPool& pool, ForwardScratch& scratch,
                 float* logits) const;

 private:
  TextModel(const GgufFile& file, TextHparams hp) : file_(file), hp_(std::move(hp)) {}
  Status load_tensors();
  Result<WeightView> matrix(const std::string& name, int64_t in, int64_t out);
  Result<const float*> vector(const std::string& name, int64_t n);
  Status check_batch(std::span<const BatchToken> batch, const KvCache& kv) const;
  void embed(std::span<const BatchToken> batch, float* x) const;
  void attention(std::span<const BatchToken> batch, int32_t layer, KvCache& kv, ThreadPool& pool,
                 ForwardScratch& s) const;

  const GgufFile& file_;
  TextHparams hp_;
  RopeConfig rope_;
  WeightView token_embd_;   // (n_embd x n_vocab): row per token
  const float* output_norm_ = nullptr;  // (n_embd)
  WeightView output_;       // (n_embd -> n_vocab); token_embd when tied
  std::vector<LayerWeights> layers_;
  std::vector<std::vector<float>> owned_vectors_;  // norm weights converted to F32
  int64_t weight_bytes_ = 0;
};

}  // namespace teamvl::engine
