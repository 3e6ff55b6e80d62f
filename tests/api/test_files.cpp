// Small image and PDF files written by hand, so tests need no fixtures.
#include "test_files.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <vector>

namespace teamvl::testing {
namespace {

uint32_t crc32(const std::string& s) {
  static const auto table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : s) c = table[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}
std::string le32(uint32_t v) {
  return {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16), static_cast<char>(v >> 24)};
}
std::string le16(uint16_t v) { return {static_cast<char>(v), static_cast<char>(v >> 8)}; }

std::string png_chunk(const std::string& type, const std::string& data) {
  return be32(static_cast<uint32_t>(data.size())) + type + data + be32(crc32(type + data));
}

std::string png_ihdr(uint32_t w, uint32_t h) {
  return png_chunk("IHDR", be32(w) + be32(h) + std::string("\x08\x02\x00\x00\x00", 5));  // 8-bit RGB
}

}  // namespace

// A w x h RGB PNG whose pixels depend on `seed`; zlib "stored" blocks, no compression.
std::string make_png(uint32_t w, uint32_t h, int seed) {
  std::string raw;
  for (uint32_t y = 0; y < h; ++y) {
    raw += '\0';  // filter: none
    for (uint32_t x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) raw += static_cast<char>((x * 31 + y * 17 + c * 90 + seed) & 0xFF);
  }
  std::string z = "\x78\x01";
  for (size_t off = 0; off < raw.size() || off == 0; off += 65535) {
    size_t n = std::min<size_t>(65535, raw.size() - off);
    bool last = off + n >= raw.size();
    z += static_cast<char>(last ? 1 : 0);
    z += le16(static_cast<uint16_t>(n)) + le16(static_cast<uint16_t>(~n));
    z += raw.substr(off, n);
    if (last) break;
  }
  uint32_t a = 1, b = 0;
  for (unsigned char ch : raw) {
    a = (a + ch) % 65521;
    b = (b + a) % 65521;
  }
  z += be32((b << 16) | a);
  return std::string("\x89PNG\r\n\x1A\n", 8) + png_ihdr(w, h) + png_chunk("IDAT", z) + png_chunk("IEND", "");
}

// A header that claims a huge image, with next to no pixel data behind it.
std::string make_png_bomb(uint32_t w, uint32_t h) {
  return std::string("\x89PNG\r\n\x1A\n", 8) + png_ihdr(w, h) + png_chunk("IDAT", std::string("\x78\x01\x01\x00\x00\xff\xff\x00\x00\x00\x01", 11)) +
         png_chunk("IEND", "");
}

// A w x h 24-bit BMP (bottom-up rows padded to 4 bytes).
std::string make_bmp(uint32_t w, uint32_t h) {
  uint32_t row = (w * 3 + 3) & ~3u;
  std::string pixels;
  for (uint32_t y = 0; y < h; ++y) {
    std::string r;
    for (uint32_t x = 0; x < w; ++x) r += std::string{static_cast<char>(x * 40), static_cast<char>(y * 40), '\x7f'};
    r.resize(row, '\0');
    pixels += r;
  }
  std::string info = le32(40) + le32(w) + le32(h) + le16(1) + le16(24) + le32(0) + le32(static_cast<uint32_t>(pixels.size())) +
                     le32(2835) + le32(2835) + le32(0) + le32(0);
  std::string header = "BM" + le32(static_cast<uint32_t>(14 + info.size() + pixels.size())) + le32(0) + le32(14 + 40);
  return header + info + pixels;
}

std::string make_pdf(int pages, int width) {
  std::vector<std::string> objs;
  std::string kids;
  for (int i = 0; i < pages; ++i) kids += std::to_string(3 + i) + " 0 R ";
  objs.push_back("<< /Type /Catalog /Pages 2 0 R >>");
  objs.push_back("<< /Type /Pages /Kids [" + kids + "] /Count " + std::to_string(pages) + " >>");
  for (int i = 0; i < pages; ++i) objs.push_back("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 " + std::to_string(width) + " 100] >>");
  std::string out = "%PDF-1.4\n";
  std::vector<size_t> offsets;
  for (size_t i = 0; i < objs.size(); ++i) {
    offsets.push_back(out.size());
    out += std::to_string(i + 1) + " 0 obj\n" + objs[i] + "\nendobj\n";
  }
  size_t xref = out.size();
  out += "xref\n0 " + std::to_string(objs.size() + 1) + "\n0000000000 65535 f \n";
  for (size_t off : offsets) {
    char line[32];
    std::snprintf(line, sizeof line, "%010zu 00000 n \n", off);
    out += line;
  }
  out += "trailer\n<< /Size " + std::to_string(objs.size() + 1) + " /Root 1 0 R >>\nstartxref\n" +
         std::to_string(xref) + "\n%%EOF\n";
  return out;
}

}  // namespace teamvl::testing
