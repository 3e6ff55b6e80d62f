// EXIF Orientation (tag 0x0112) for JPEGs: a tiny reader of the APP1 payload
// and the matching flip/rotate, so phone photos reach the model upright.
#pragma once

#include <cstdint>
#include <span>

#include "engine/image/decode.h"

namespace teamvl::engine {

// Reads the Orientation tag from an APP1 payload ("Exif\0\0" + TIFF). Returns
// 1..8, or 1 (upright) when the payload is not EXIF, has no tag or is malformed.
int parse_exif_orientation(std::span<const uint8_t> app1_payload);

// The image as it should be displayed for EXIF orientation 1..8 (5..8 swap
// width and height). Other values return a copy. Throws only std::bad_alloc.
RgbImage apply_exif_orientation(const RgbImage& image, int orientation);

}  // namespace teamvl::engine
