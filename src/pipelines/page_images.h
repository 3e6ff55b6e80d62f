// The images a pipeline item shows the model: a PDF's pages rendered to PNG
// at the configured size (longest side, default 768 px), so every step
// owner gets the same pictures as ordinary image files.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/image/decode.h"

namespace teamvl::pipelines {

struct PageImage {
  int index = 0;          // 0-based page number
  int width = 0;
  int height = 0;
  std::string png;        // encoded bytes
};

// PNG bytes of an RGB image (8 bits per channel).
Result<std::string> encode_png(const engine::RgbImage& image);
// Every page of `pdf`, longest side `max_side`; at most `max_pages` pages
// (InvalidArgument beyond, so one upload cannot fill the disk).
Result<std::vector<PageImage>> render_pdf_to_png(std::span<const uint8_t> pdf, int max_side, int max_pages);

}  // namespace teamvl::pipelines
