// The vision encoder's forward pass (VisionModel::encode), one function that
// reads like the model diagram, plus the row-parallel helpers it uses.
// Shapes: N patches (merge order), D = n_embd, F = n_ff, T = N / merge^2
// output tokens, M = merge^2 * D, P = projection_dim.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/kernels/ops.h"
#include "engine/kernels/thread_pool.h"
#include "engine/vision/vision_attention.h"
#include "engine/vision/vision_gemm_internal.h"
#include "engine/vision/vision_model.h"
#include "engine/vision/vision_ops.h"

namespace teamvl::engine {

// One encode() call: its buffers and the helpers that run on the pool.
class VisionEncoderRun {
 public:
  VisionEncoderRun(const VisionModel& m, ThreadPool& pool, const VisionDebugFn& debug)
      : m_(m), h_(m.hparams()), pool_(pool), debug_(debug), isa_(vision_internal::vision_isa(m.level())) {}

  Result<ImageEmbedding> run(const PreprocessedImage& image);

 private:
  // y (rows x out, row stride ldy) = x (rows x in, contiguous) W^T + b.
  void linear(const VisionLinear& L, const float* x, int64_t rows, float* y, int64_t ldy) {
    if (!L.packed.empty()) {
      vision_gemm(L.packed, x, L.w.cols, rows, y, ldy, L.bias, a_scratch_, pool_, m_.level());
      return;
    }
    matmul_strided(L.w, x, rows, y, ldy, pool_, m_.level());
    if (L.bias) {
      pool_.parallel_for(rows, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) add(y + i * ldy, L.bias, y + i * ldy, L.w.rows);
      });
    }
  }
  void layernorm_rows(const float* x, int64_t rows, int64_t n, const VisionNorm& nm, float* y) {
    pool_.parallel_for(rows, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) layernorm(x + i * n, nm.weight, nm.bias, y + i * n, n, h_.eps);
    });
  }
  void gelu(float* x, int64_t n) {
    pool_.parallel_for(n, 4096, [&](int64_t b, int64_t e) { isa_.gelu(x + b, e - b); });
  }
  void add_into(float* x, const float* y, int64_t n) {
    pool_.parallel_for(n, 4096, [&](int64_t b, int64_t e) { add(x + b, y + b, x + b, e - b); });
  }
  void dump(const std::string& name, const float* data, int64_t rows, int64_t row_len) {
    if (debug_) debug_(name, data, rows, row_len);
  }
  // Merger MLP on T merged rows (x: T x M) into columns [col, col + P) of out.
  void merger(const VisionMerger& mg, const float* x, int64_t T, float* out, int64_t col);
  void attention_block(const VisionBlock& b, int32_t il, int64_t N);

  const VisionModel& m_;
  const VisionHparams& h_;
  ThreadPool& pool_;
  const VisionDebugFn& debug_;
  const vision_internal::VisionIsa& isa_;

  std::vector<float> x_, cur_, y_, wide_, a_scratch_, rope_, merged_;
  VisionAttentionScratch attn_scratch_;
  ImageEmbedding out_;
};

void VisionEncoderRun::merger(const VisionMerger& mg, const float* x, int64_t T, float* out, int64_t col) {
  const int64_t M = h_.merged_dim();
  merged_.resize(static_cast<size_t>(2 * T * M));
  float* normed = merged_.data();
  float* hidden = normed + T * M;
  const float* in = x;
  if (mg.norm.weight) {
    layernorm_rows(x, T, M, mg.norm, normed);
    dump("norm_b-" + std::to_string(mg.layer), normed, T, M);
    in = normed;
  }
  linear(mg.fc1, in, T, hidden, M);
  gelu(hidden, T * M);
  linear(mg.fc2, hidden, T, out + col, out_.dim);
}

void VisionEncoderRun::attention_block(const VisionBlock& b, int32_t il, int64_t N) {
  const int64_t D = h_.n_embd, hd = h_.head_dim();
  const std::string sfx = "-" + std::to_string(il);
  float* qkv = wide_.data();
  if (!b.qkv.w.data) {
    linear(b.q, cur_.data(), N, qkv, 3 * D);
    linear(b.k, cur_.data(), N, qkv + D, 3 * D);
    linear(b.v, cur_.data(), N, qkv + 2 * D, 3 * D);
  } else {
    linear(b.qkv, cur_.data(), N, qkv, 3 * D);
  }
  pool_.parallel_for(N, [&](int64_t s, int64_t e) {
    for (int64_t p = s; p < e; ++p) {
      vision_rope_apply(qkv + p * 3 * D, h_.n_head, h_.head_dim(), rope_.data() + p * hd);
      vision_rope_apply(qkv + p * 3 * D + D, h_.n_head, h_.head_dim(), rope_.data() + p * hd);
    }
  });
  if (debug_ && il == 0) {
    std::vector<float> t(N * D);
    for (int part = 0; part < 2; ++part) {
      for (int64_t p = 0; p < N; ++p) std::memcpy(&t[p * D], qkv + p * 3 * D + part * D, sizeof(float) * D);
      dump(part == 0 ? "Qcur_rope-0" : "Kcur_rope-0", t.data(), N, D);
    }
  }
  VisionAttentionShape shape{N, h_.n_head, h_.head_dim(), 1.0f / std::sqrt(static_cast<float>(hd))};
  vision_attention(shape, qkv, cur_.data(), attn_scratch_, pool_, m_.level());
  linear(b.attn_out, cur_.data(), N, y_.data(), D);
  dump("attn_out" + sfx, y_.data(), N, D);
}

Result<ImageEmbedding> VisionEncoderRun::run(const PreprocessedImage& image) {
  const ImageLayout& L = image.layout;
  const int32_t ps = h_.patch_size, mg = h_.merge_size;
  if (L.width <= 0 || L.height <= 0 || L.width % (ps * mg) != 0 || L.height % (ps * mg) != 0 ||
      L.patches_x != L.width / ps || L.patches_y != L.height / ps ||
      image.pixels.size() != static_cast<size_t>(3) * L.width * L.height) {
    return Status::InvalidArgument("vision encoder: image of " + std::to_string(L.width) + "x" +
                                   std::to_string(L.height) + " is not a preprocessed image for patch " +
                                   std::to_string(ps) + " x merge " + std::to_string(mg) +
                                   " (use the model's preprocess_params())");
  }
  const int64_t D = h_.n_embd, F = h_.n_ff, hd = h_.head_dim();
  const int64_t N = int64_t{L.patches_x} * L.patches_y, T = N / (mg * mg);
  const std::vector<PatchCoord> order = merge_order(L.patches_x, L.patches_y, mg);
  out_.n_tokens = static_cast<int32_t>(T);
  out_.dim = h_.n_embd_out();
  out_.grid_x = L.patches_x / mg;
  out_.grid_y = L.patches_y / mg;
  out_.rows.assign(static_cast<size_t>(T * out_.dim), 0.0f);
  x_.resize(N * D);
  cur_.resize(N * D);
  y_.resize(N * D);
  wide_.resize(N * std::max<int64_t>({3 * D, F, int64_t{3} * ps * ps}));
  rope_.resize(N * hd);

  // Patch embedding: both temporal kernels on the same frame, summed, + bias,
  // + the position grid interpolated to this image.
  extract_patches(image, ps, order, wide_.data());
  linear(m_.patch_embd_[0], wide_.data(), N, x_.data(), D);
  if (m_.patch_embd_[1].w.data) {
    linear(m_.patch_embd_[1], wide_.data(), N, y_.data(), D);
    add_into(x_.data(), y_.data(), N * D);
  }
  interpolate_position_grid(m_.pos_embd_, h_.n_embd, h_.n_pos_side, L.patches_x, L.patches_y, order, y_.data());
  pool_.parallel_for(N, [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      float* xp = x_.data() + p * D;
      add(xp, m_.patch_bias_, xp, D);
      add(xp, y_.data() + p * D, xp, D);
    }
  });
  dump("inp_pos_emb", x_.data(), N, D);
  vision_rope_cache(order, h_.head_dim(), 10000.0f, rope_.data());

  size_t next_ds = 0;
  for (int32_t il = 0; il < h_.n_layer; ++il) {
    const VisionBlock& b = m_.blocks_[il];
    const std::string sfx = "-" + std::to_string(il);
    layernorm_rows(x_.data(), N, D, b.ln1, cur_.data());
    dump("ln1" + sfx, cur_.data(), N, D);
    attention_block(b, il, N);
    add_into(x_.data(), y_.data(), N * D);
    layernorm_rows(x_.data(), N, D, b.ln2, cur_.data());
    linear(b.ffn_up, cur_.data(), N, wide_.data(), F);
    gelu(wide_.data(), N * F);
    linear(b.ffn_down, wide_.data(), N, y_.data(), D);
    dump("ffn_out" + sfx, y_.data(), N, D);
    add_into(x_.data(), y_.data(), N * D);
    dump("layer_out" + sfx, x_.data(), N, D);
    if (next_ds < m_.deepstack_.size() && m_.deepstack_[next_ds].layer == il) {
      // Merge-order rows: merge^2 consecutive patch rows are one M-wide token.
      merger(m_.deepstack_[next_ds], x_.data(), T, out_.rows.data(),
             static_cast<int64_t>(next_ds + 1) * h_.projection_dim);
      ++next_ds;
    }
  }
  layernorm_rows(x_.data(), N, D, m_.post_ln_, cur_.data());
  dump("norm_b-" + std::to_string(h_.n_layer), cur_.data(), N, D);
  merger(m_.merger_, cur_.data(), T, out_.rows.data(), 0);
  return std::move(out_);
}

Result<ImageEmbedding> VisionModel::encode(const PreprocessedImage& image, ThreadPool& pool,
                                           const VisionDebugFn& debug) const {
  VisionEncoderRun run(*this, pool, debug);
  return run.run(image);
}

}  // namespace teamvl::engine
