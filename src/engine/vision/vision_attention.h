// Full (non-causal) multi-head self-attention over all patches of an image,
// the O(N^2 d) part of the vision encoder. Blocked by (head, 32 queries):
// the transposed scores S^T = K Q^T (N x 32) are one packed GEMM whose output
// is already the B panel of the second one, the softmax runs down its columns
// (32 queries in two vectors), and O^T = V^T P^T; K and V^T are packed once
// per head. The working set per task is N x 32 floats. Same math as
// llama.cpp's non-flash path (f32 products, softmax of scale * QK^T with a
// double sum). Reentrant; the scratch is per caller.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/kernels/cpu_features.h"
#include "engine/kernels/thread_pool.h"

namespace teamvl::engine {

// Buffers reused across calls (one per encoder run / caller thread).
struct VisionAttentionScratch {
  std::vector<float> k_panels, v_panels;
  std::vector<std::vector<float>> per_thread;  // packed queries, scores, output tile
};

struct VisionAttentionShape {
  int64_t n_tokens = 0;  // patches; every one attends to all
  int32_t n_head = 0;
  int32_t head_dim = 0;
  float scale = 1.0f;    // applied to QK^T before the softmax
};

// qkv: n_tokens rows of 3 * n_head * head_dim floats (Q | K | V, heads
// consecutive inside each); out: n_tokens rows of n_head * head_dim floats.
void vision_attention(const VisionAttentionShape& s, const float* qkv, float* out, VisionAttentionScratch& scratch,
                      ThreadPool& pool, SimdLevel level);

// Straightforward loops with double accumulation: what the blocked version is
// tested against. Single-threaded.
void vision_attention_reference(const VisionAttentionShape& s, const float* qkv, float* out);

}  // namespace teamvl::engine
