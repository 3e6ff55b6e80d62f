// BMP, our own reader: uncompressed 1/4/8-bit palette, 16/24/32-bit direct
// colour, BI_BITFIELDS masks, bottom-up and top-down rows. RLE is refused.
#include <algorithm>
#include <array>
#include <bit>
#include <cstdlib>
#include <string>

#include "engine/image/decoders.h"

namespace teamvl::engine::image_internal {
namespace {

constexpr uint32_t kBiRgb = 0, kBiBitfields = 3, kBiAlphaBitfields = 6;

uint32_t le16(const uint8_t* p) { return uint32_t{p[0]} | uint32_t{p[1]} << 8; }
uint32_t le32(const uint8_t* p) { return le16(p) | le16(p + 2) << 16; }

// One colour channel stored under a bit mask, rescaled to 0..255.
struct Channel {
  uint32_t mask = 0;
  int shift = 0;
  uint32_t max = 0;

  static Channel from_mask(uint32_t mask) {
    Channel c;
    c.mask = mask;
    if (mask == 0) return c;
    c.shift = std::countr_zero(mask);
    c.max = mask >> c.shift;
    return c;
  }
  uint8_t get(uint32_t pixel) const {
    if (max == 0) return 0;
    uint64_t v = (pixel & mask) >> shift;
    return static_cast<uint8_t>((v * 255 + max / 2) / max);
  }
};

struct BmpHeader {
  int64_t width = 0, height = 0;  // height > 0: rows stored bottom-up
  int bpp = 0;
  uint32_t compression = kBiRgb;
  size_t pixel_offset = 0;
  size_t palette_offset = 0;
  int palette_entry_size = 4;
  size_t palette_size = 0;
  std::array<Channel, 3> channels;  // r, g, b for 16/32 bpp
};

Result<BmpHeader> parse_header(std::span<const uint8_t> b) {
  if (b.size() < 26) return Status::DataLoss("bmp: truncated header");
  BmpHeader h;
  h.pixel_offset = le32(&b[10]);
  const uint32_t dib = le32(&b[14]);
  if (dib == 12) {  // BITMAPCOREHEADER
    h.width = le16(&b[18]);
    h.height = static_cast<int16_t>(le16(&b[20]));
    h.bpp = static_cast<int>(le16(&b[24]));
    h.palette_entry_size = 3;
  } else if (dib >= 40 && dib <= 124) {
    if (b.size() < 14 + size_t{dib}) return Status::DataLoss("bmp: truncated header");
    h.width = static_cast<int32_t>(le32(&b[18]));
    h.height = static_cast<int32_t>(le32(&b[22]));
    h.bpp = static_cast<int>(le16(&b[28]));
    h.compression = le32(&b[30]);
    h.palette_size = le32(&b[46]);
  } else {
    return Status::DataLoss("bmp: unknown header size " + std::to_string(dib));
  }
  if (h.compression != kBiRgb && h.compression != kBiBitfields &&
      h.compression != kBiAlphaBitfields) {
    return Status::InvalidArgument("bmp: compressed (RLE/JPEG/PNG) BMP is not supported");
  }
  h.palette_offset = 14 + size_t{dib};
  if (h.bpp == 16)
    h.channels = {Channel::from_mask(0x7C00), Channel::from_mask(0x03E0),
                  Channel::from_mask(0x001F)};
  if (h.bpp == 32)
    h.channels = {Channel::from_mask(0xFF0000), Channel::from_mask(0xFF00),
                  Channel::from_mask(0xFF)};
  if (h.compression != kBiRgb) {
    // Masks sit in the V2+ header, or right after a 40-byte header.
    size_t at = 14 + 40;
    if (b.size() < at + 12) return Status::DataLoss("bmp: truncated bit masks");
    h.channels = {Channel::from_mask(le32(&b[at])), Channel::from_mask(le32(&b[at + 4])),
                  Channel::from_mask(le32(&b[at + 8]))};
    if (dib == 40) h.palette_offset += h.compression == kBiAlphaBitfields ? 16 : 12;
  }
  switch (h.bpp) {
    case 1:
    case 4:
    case 8: {
      // No colour count in the header: the palette fills the gap before the pixels.
      const size_t gap = h.pixel_offset > h.palette_offset ? h.pixel_offset - h.palette_offset : 0;
      if (h.palette_size == 0) h.palette_size = gap / h.palette_entry_size;
      h.palette_size = std::min(h.palette_size, size_t{1} << h.bpp);
      break;
    }
    case 16:
    case 24:
    case 32: break;
    default: return Status::DataLoss("bmp: unsupported bit depth " + std::to_string(h.bpp));
  }
  return h;
}

// The palette entry or direct colour of pixel x in one stored row.
void read_pixel(const BmpHeader& h, std::span<const uint8_t> b, const uint8_t* row, int64_t x,
                uint8_t* out) {
  if (h.bpp <= 8) {
    const int per_byte = 8 / h.bpp;
    const int shift = 8 - h.bpp * (1 + static_cast<int>(x % per_byte));
    const size_t index = (row[x / per_byte] >> shift) & ((1u << h.bpp) - 1);
    if (index >= h.palette_size) return;  // out-of-palette index: leave black
    const uint8_t* e = &b[h.palette_offset + index * h.palette_entry_size];
    out[0] = e[2], out[1] = e[1], out[2] = e[0];
  } else if (h.bpp == 24) {
    const uint8_t* p = row + x * 3;
    out[0] = p[2], out[1] = p[1], out[2] = p[0];
  } else {
    const uint32_t v = h.bpp == 16 ? le16(row + x * 2) : le32(row + x * 4);
    for (int c = 0; c < 3; ++c) out[c] = h.channels[c].get(v);
  }
}

}  // namespace

Result<RgbImage> decode_bmp(std::span<const uint8_t> bytes, const DecodeOptions& options) {
  TEAMVL_ASSIGN_OR_RETURN(BmpHeader h, parse_header(bytes));
  const int64_t rows = std::llabs(h.height);
  TEAMVL_RETURN_IF_ERROR(check_image_size("bmp", h.width, rows, options));
  const size_t stride = static_cast<size_t>((h.width * h.bpp + 31) / 32) * 4;
  if (h.bpp <= 8 && h.palette_offset + h.palette_size * h.palette_entry_size > bytes.size()) {
    return Status::DataLoss("bmp: truncated palette");
  }
  if (h.pixel_offset > bytes.size() || stride * rows > bytes.size() - h.pixel_offset) {
    return Status::DataLoss("bmp: truncated pixel data");
  }
  TEAMVL_ASSIGN_OR_RETURN(RgbImage img,
                          allocate_image(static_cast<int>(h.width), static_cast<int>(rows)));
  for (int64_t y = 0; y < rows; ++y) {
    const int64_t stored = h.height > 0 ? rows - 1 - y : y;
    const uint8_t* row = bytes.data() + h.pixel_offset + stride * stored;
    for (int64_t x = 0; x < h.width; ++x) {
      read_pixel(h, bytes, row, x, img.pixel(static_cast<int>(x), static_cast<int>(y)));
    }
  }
  return img;
}

}  // namespace teamvl::engine::image_internal
