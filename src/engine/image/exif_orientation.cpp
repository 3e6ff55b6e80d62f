#include "engine/image/exif_orientation.h"

#include <cstring>

namespace teamvl::engine {
namespace {

constexpr uint16_t kOrientationTag = 0x0112;
constexpr uint16_t kTypeShort = 3;

// Reads TIFF integers in the byte order the header declared.
struct TiffReader {
  std::span<const uint8_t> tiff;
  bool little_endian = true;

  bool u16(size_t off, uint16_t* v) const {
    if (off + 2 > tiff.size()) return false;
    const uint8_t* p = tiff.data() + off;
    *v = little_endian ? static_cast<uint16_t>(p[0] | p[1] << 8)
                       : static_cast<uint16_t>(p[0] << 8 | p[1]);
    return true;
  }
  bool u32(size_t off, uint32_t* v) const {
    if (off + 4 > tiff.size()) return false;
    const uint8_t* p = tiff.data() + off;
    *v = little_endian
             ? (uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24)
             : (uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]});
    return true;
  }
};

}  // namespace

int parse_exif_orientation(std::span<const uint8_t> app1_payload) {
  static constexpr uint8_t kExifHeader[6] = {'E', 'x', 'i', 'f', 0, 0};
  if (app1_payload.size() < 6 + 8 || std::memcmp(app1_payload.data(), kExifHeader, 6) != 0) {
    return 1;
  }
  TiffReader r{app1_payload.subspan(6)};
  if (r.tiff[0] == 'I' && r.tiff[1] == 'I') {
    r.little_endian = true;
  } else if (r.tiff[0] == 'M' && r.tiff[1] == 'M') {
    r.little_endian = false;
  } else {
    return 1;
  }
  uint16_t magic = 0;
  uint32_t ifd0 = 0;
  uint16_t entries = 0;
  if (!r.u16(2, &magic) || magic != 42 || !r.u32(4, &ifd0) || !r.u16(ifd0, &entries)) return 1;
  for (uint32_t i = 0; i < entries; ++i) {
    size_t entry = size_t{ifd0} + 2 + size_t{i} * 12;
    uint16_t tag = 0, type = 0, value = 0;
    uint32_t count = 0;
    if (!r.u16(entry, &tag) || !r.u16(entry + 2, &type) || !r.u32(entry + 4, &count)) return 1;
    if (tag != kOrientationTag) continue;
    if (type != kTypeShort || count != 1 || !r.u16(entry + 8, &value)) return 1;
    return value >= 1 && value <= 8 ? value : 1;
  }
  return 1;
}

RgbImage apply_exif_orientation(const RgbImage& image, int orientation) {
  if (orientation < 2 || orientation > 8) return image;
  const int w = image.width, h = image.height;
  const bool swap = orientation >= 5;
  RgbImage out;
  out.width = swap ? h : w;
  out.height = swap ? w : h;
  out.pixels.resize(image.pixels.size());
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      int sx = x, sy = y;
      switch (orientation) {
        case 2: sx = w - 1 - x; break;  // mirror horizontally
        case 3:
          sx = w - 1 - x;
          sy = h - 1 - y;
          break;                        // rotate 180
        case 4: sy = h - 1 - y; break;  // mirror vertically
        case 5:
          sx = y;
          sy = x;
          break;  // transpose
        case 6:
          sx = y;
          sy = h - 1 - x;
          break;  // rotate 90 clockwise
        case 7:
          sx = w - 1 - y;
          sy = h - 1 - x;
          break;  // transverse
        case 8:
          sx = w - 1 - y;
          sy = x;
          break;  // rotate 90 counter-clockwise
      }
      std::memcpy(out.pixel(x, y), image.pixel(sx, sy), 3);
    }
  }
  return out;
}

}  // namespace teamvl::engine
