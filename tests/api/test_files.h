// Small image and PDF files written by hand, so API tests need no fixtures.
#pragma once

#include <cstdint>
#include <string>

namespace teamvl::testing {

// A w x h RGB PNG whose pixels depend on `seed` (uncompressed zlib blocks).
std::string make_png(uint32_t w, uint32_t h, int seed = 0);
// A PNG header that claims a w x h image with next to no pixel data behind it.
std::string make_png_bomb(uint32_t w, uint32_t h);
// A w x h 24-bit BMP.
std::string make_bmp(uint32_t w, uint32_t h);
// A valid PDF with `pages` empty pages of `width` x 100 points (the width
// also makes different bytes).
std::string make_pdf(int pages, int width = 200);

}  // namespace teamvl::testing
