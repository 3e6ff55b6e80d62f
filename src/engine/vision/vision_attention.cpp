#include "engine/vision/vision_attention.h"

#include <algorithm>
#include <atomic>
#include <cmath>

#include "engine/vision/vision_gemm.h"
#include "engine/vision/vision_gemm_internal.h"

namespace teamvl::engine {
namespace {

constexpr int64_t kQueryBlock = kGemmCols;  // 32 queries per task: one B panel

int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

}  // namespace

void vision_attention(const VisionAttentionShape& s, const float* qkv, float* out, VisionAttentionScratch& scratch,
                      ThreadPool& pool, SimdLevel level) {
  const int64_t n = s.n_tokens, hd = s.head_dim, H = s.n_head;
  if (n <= 0 || hd <= 0 || H <= 0) return;
  const int64_t D = H * hd, ld = 3 * D;
  const auto& isa = vision_internal::vision_isa(level);

  // Per head: K as A panels (rows = keys, k = head dims) and V^T as A panels
  // (rows = head dims, k = keys).
  const int64_t k_size = round_up(n, kGemmRows) * hd, v_size = round_up(hd, kGemmRows) * n;
  if (scratch.k_panels.size() < static_cast<size_t>(H * k_size)) scratch.k_panels.resize(H * k_size);
  if (scratch.v_panels.size() < static_cast<size_t>(H * v_size)) scratch.v_panels.resize(H * v_size);
  float* kp = scratch.k_panels.data();
  float* vp = scratch.v_panels.data();
  pool.parallel_for(2 * H, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const int64_t h = i % H;
      if (i < H) {
        gemm_pack_a(qkv + D + h * hd, ld, n, hd, GemmRound::kNone, kp + h * k_size);
      } else {
        gemm_pack_a_transposed(qkv + 2 * D + h * hd, ld, hd, n, vp + h * v_size);
      }
    }
  });

  const int64_t q_blocks = (n + kQueryBlock - 1) / kQueryBlock;
  const int64_t n_tasks = H * q_blocks;
  const int64_t n_pad = round_up(n, kGemmRows);
  // Packed queries (hd x 32), transposed scores (n_pad x 32), O^T (hd x 32), 1/sum (32).
  const size_t per_thread = static_cast<size_t>((hd + n_pad + hd + 1) * kGemmCols);
  if (scratch.per_thread.size() < static_cast<size_t>(pool.size())) scratch.per_thread.resize(pool.size());
  for (auto& buf : scratch.per_thread) {
    if (buf.size() < per_thread) buf.assign(per_thread, 0.0f);
  }
  std::atomic<int64_t> next{0};
  pool.run_on_all([&](int ith, int) {
    float* qb = scratch.per_thread[ith].data();
    float* st = qb + hd * kGemmCols;
    float* ot = st + n_pad * kGemmCols;
    float* inv = ot + hd * kGemmCols;
    for (int64_t task; (task = next.fetch_add(1, std::memory_order_relaxed)) < n_tasks;) {
      const int64_t h = task / q_blocks, q0 = (task % q_blocks) * kQueryBlock;
      const int mq = static_cast<int>(std::min(kQueryBlock, n - q0));
      gemm_pack_b(qkv + q0 * ld + h * hd, ld, mq, hd, qb);
      // S^T (n x 32) = K Q^T
      gemm_packed_serial(kp + h * k_size, n, qb, mq, hd, st, kGemmCols, isa.tile);
      isa.softmax_cols(st, n, s.scale, inv);
      // O^T (hd x 32) = V^T P^T, then normalized into out[q][h * hd + d].
      gemm_packed_serial(vp + h * v_size, hd, st, mq, n, ot, kGemmCols, isa.tile);
      for (int q = 0; q < mq; ++q) {
        float* o = out + (q0 + q) * D + h * hd;
        for (int64_t d = 0; d < hd; ++d) o[d] = ot[d * kGemmCols + q] * inv[q];
      }
    }
  });
}

void vision_attention_reference(const VisionAttentionShape& s, const float* qkv, float* out) {
  const int64_t n = s.n_tokens, hd = s.head_dim, H = s.n_head, D = H * hd, ld = 3 * D;
  std::vector<double> p(n);
  for (int64_t h = 0; h < H; ++h) {
    for (int64_t i = 0; i < n; ++i) {
      const float* q = qkv + i * ld + h * hd;
      double mx = -INFINITY;
      for (int64_t j = 0; j < n; ++j) {
        const float* k = qkv + j * ld + D + h * hd;
        double dot = 0;
        for (int64_t d = 0; d < hd; ++d) dot += static_cast<double>(q[d]) * k[d];
        p[j] = dot * s.scale;
        mx = std::max(mx, p[j]);
      }
      double sum = 0;
      for (int64_t j = 0; j < n; ++j) sum += (p[j] = std::exp(p[j] - mx));
      for (int64_t d = 0; d < hd; ++d) {
        double acc = 0;
        for (int64_t j = 0; j < n; ++j) acc += p[j] * qkv[j * ld + 2 * D + h * hd + d];
        out[i * D + h * hd + d] = static_cast<float>(acc / sum);
      }
    }
  }
}

}  // namespace teamvl::engine
