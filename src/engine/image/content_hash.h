// Content hashes of images for the embedding cache: SHA-256 over the file bytes
// and every option that changes the tensor the vision encoder sees, so equal
// hashes mean equal encoder input. Options that only accept or refuse an input
// (pixel limits, page ranges, passwords) are left out.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "engine/image/decode.h"
#include "engine/image/pdf.h"
#include "engine/image/preprocess.h"

namespace teamvl::engine {

// 64 lowercase hex characters. Bump kImageHashVersion (content_hash.cpp)
// whenever decoding or preprocessing changes its output for the same input.
std::string image_content_hash(std::span<const uint8_t> file_bytes, const DecodeOptions& decode,
                               const PreprocessParams& params);

// The same for page `page_index` (0-based) of a PDF rendered with `pdf`.
std::string pdf_page_content_hash(std::span<const uint8_t> file_bytes, int page_index,
                                  const PdfRenderOptions& pdf, const PreprocessParams& params);

}  // namespace teamvl::engine
