// Internal to image/: the 8x8 inverse DCT in stb_image's integer arithmetic
// (12-bit fixed-point constants, two extra bits between passes), so libjpeg's
// coefficients turn into exactly the samples llama.cpp's decoder produces.
#pragma once

#include <cstddef>
#include <cstdint>

namespace teamvl::engine::image_internal {

// `coefficients`: 64 quantized DCT coefficients in natural (row-major) order;
// `quant`: the 64 quantization steps in the same order. Writes 8 rows of 8
// samples at `out`, `stride` bytes apart. Dequantized values wrap to 16 bits
// as in stb_image, and all sums wrap at 32 bits as stb's do (no UB).
void idct_8x8(const int16_t* coefficients, const uint16_t* quant, uint8_t* out, size_t stride);

}  // namespace teamvl::engine::image_internal
