// The vision encoder's small operations, computed as llama.cpp's clip graph
// does: patch extraction in 2x2-merge order, the learned position grid
// bilinearly interpolated (align corners) to the patch grid, and the 2-D
// "vision" RoPE. Pure functions on caller-owned buffers; thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/image/preprocess.h"

namespace teamvl::engine {

// Patch (py, px) of every patch index in merge order: for each merged cell in
// raster order, its merge x merge patches in raster order.
struct PatchCoord {
  int32_t y = 0, x = 0;
};
std::vector<PatchCoord> merge_order(int32_t patches_x, int32_t patches_y, int32_t merge);

// out[p * (3 * ps * ps) + (c * ps + ky) * ps + kx] = pixel (c, y*ps + ky, x*ps + kx)
// of patch p = order[p]: the conv input as rows (the conv weight's element order).
void extract_patches(const PreprocessedImage& image, int32_t patch_size, const std::vector<PatchCoord>& order,
                     float* out);

// out[p * D + d] = the learned grid pos[(gy * side + gx) * D + d] (side x side)
// bilinearly interpolated with corner-aligned sampling to patches_x x patches_y,
// at patch order[p].
void interpolate_position_grid(const float* pos, int32_t D, int32_t side, int32_t patches_x, int32_t patches_y,
                               const std::vector<PatchCoord>& order, float* out);

// 2-D RoPE: per patch, head_dim / 2 (cos, sin) pairs: pair j < head_dim/4 uses
// angle y * 10000^(-4j / head_dim), pair head_dim/4 <= j < head_dim/2 uses
// x * 10000^(-4(j - head_dim/4) / head_dim) (angles accumulated in float as
// ggml does). cos_sin holds order.size() * head_dim floats.
void vision_rope_cache(const std::vector<PatchCoord>& order, int32_t head_dim, float base, float* cos_sin);
// Rotates element j with j + head_dim/2 of each of n_head heads of one patch.
void vision_rope_apply(float* x, int32_t n_head, int32_t head_dim, const float* cos_sin);

}  // namespace teamvl::engine
