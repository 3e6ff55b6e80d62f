// Internal to image/: chroma upsampling and YCbCr -> RGB conversion with the
// same integer arithmetic as stb_image (which llama.cpp decodes with), so a
// JPEG decoded by libjpeg gives the pixels the reference model saw.
#pragma once

#include <cstddef>
#include <cstdint>

namespace teamvl::engine::image_internal {

// One decoded component at its own (subsampled) resolution.
struct ComponentPlane {
  const uint8_t* data = nullptr;
  size_t stride = 0;  // bytes per row; rows hold at least `width` samples
  int width = 0;      // ceil(image_width * h / h_max)
  int height = 0;     // ceil(image_height * v / v_max)
  int h_ratio = 1;    // h_max / h (integer division)
  int v_ratio = 1;    // v_max / v
};

// Upsamples the Y, Cb, Cr planes to width x height and converts to RGB8 rows
// (`out` holds width * height * 3 bytes). Triangle filters for 2x ratios,
// nearest neighbour otherwise, 20-bit fixed-point colour conversion; with
// `planes_are_rgb` the planes already are R, G, B and are only upsampled.
void ycbcr_planes_to_rgb(const ComponentPlane (&planes)[3], int width, int height,
                         bool planes_are_rgb, uint8_t* out);

}  // namespace teamvl::engine::image_internal
