#include "engine/image/content_hash.h"

#include <bit>

#include "engine/image/sha256.h"

namespace teamvl::engine {
namespace {

constexpr std::string_view kImageHashVersion = "teamvl.image.v1";

// Fixed-width little-endian fields, so the key never depends on the host.
class KeyWriter {
 public:
  void tag(std::string_view s) {
    u64(s.size());
    h_.update(s);
  }
  void bytes(std::span<const uint8_t> b) {
    u64(b.size());
    h_.update(b);
  }
  void u64(uint64_t v) {
    uint8_t le[8];
    for (int i = 0; i < 8; ++i) le[i] = static_cast<uint8_t>(v >> (8 * i));
    h_.update(std::span<const uint8_t>(le, 8));
  }
  void i64(int64_t v) { u64(static_cast<uint64_t>(v)); }
  void f32(float v) { u64(std::bit_cast<uint32_t>(v)); }
  void f64(double v) { u64(std::bit_cast<uint64_t>(v)); }
  std::string hex() { return to_hex(h_.finish()); }

 private:
  Sha256 h_;
};

void write_params(KeyWriter& w, const PreprocessParams& p) {
  w.tag("preprocess");
  w.i64(p.patch_size);
  w.i64(p.merge_size);
  w.i64(p.min_pixels);
  w.i64(p.max_pixels);
  for (float v : p.mean) w.f32(v);
  for (float v : p.std) w.f32(v);
  w.i64(p.max_side);
}

}  // namespace

std::string image_content_hash(std::span<const uint8_t> file_bytes, const DecodeOptions& decode,
                               const PreprocessParams& params) {
  KeyWriter w;
  w.tag(kImageHashVersion);
  w.tag("image");
  w.bytes(file_bytes);
  w.i64(decode.apply_exif_orientation ? 1 : 0);
  write_params(w, params);
  return w.hex();
}

std::string pdf_page_content_hash(std::span<const uint8_t> file_bytes, int page_index,
                                  const PdfRenderOptions& pdf, const PreprocessParams& params) {
  KeyWriter w;
  w.tag(kImageHashVersion);
  w.tag("pdf-page");
  w.bytes(file_bytes);
  w.i64(page_index);
  w.i64(pdf.max_side);
  w.f64(pdf.max_dpi);
  write_params(w, params);
  return w.hex();
}

}  // namespace teamvl::engine
