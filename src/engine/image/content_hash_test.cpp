#include "engine/image/content_hash.h"

#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>

namespace teamvl::engine {
namespace {

const std::vector<uint8_t> kFile = {1, 2, 3, 4, 5};

TEST(ImageContentHash, DeterministicHex) {
  std::string a = image_content_hash(kFile, {}, {});
  EXPECT_EQ(a.size(), 64u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(a, image_content_hash(kFile, {}, {}));
}

TEST(ImageContentHash, EveryTensorAffectingInputChangesIt) {
  using Change = std::function<void(std::vector<uint8_t>&, DecodeOptions&, PreprocessParams&)>;
  const std::vector<std::pair<const char*, Change>> changes = {
      {"file byte", [](auto& f, auto&, auto&) { f[2] ^= 1; }},
      {"file length", [](auto& f, auto&, auto&) { f.push_back(0); }},
      {"exif", [](auto&, auto& d, auto&) { d.apply_exif_orientation = false; }},
      {"patch", [](auto&, auto&, auto& p) { p.patch_size = 14; }},
      {"merge", [](auto&, auto&, auto& p) { p.merge_size = 1; }},
      {"min", [](auto&, auto&, auto& p) { p.min_pixels += 1; }},
      {"max", [](auto&, auto&, auto& p) { p.max_pixels -= 1; }},
      {"mean", [](auto&, auto&, auto& p) { p.mean[2] = 0.45f; }},
      {"std", [](auto&, auto&, auto& p) { p.std[0] = 0.26f; }},
      {"max_side", [](auto&, auto&, auto& p) { p.max_side = 1024; }},
  };
  std::set<std::string> seen = {image_content_hash(kFile, {}, {})};
  for (const auto& [name, change] : changes) {
    std::vector<uint8_t> file = kFile;
    DecodeOptions decode;
    PreprocessParams params;
    change(file, decode, params);
    EXPECT_TRUE(seen.insert(image_content_hash(file, decode, params)).second) << name;
  }
}

TEST(ImageContentHash, PixelLimitDoesNotChangeIt) {
  DecodeOptions d;
  d.max_pixels = 1234;
  EXPECT_EQ(image_content_hash(kFile, d, {}), image_content_hash(kFile, {}, {}));
}

TEST(PdfPageContentHash, PageAndRenderOptionsMatterRangeDoesNot) {
  const PdfRenderOptions base;
  const std::string h0 = pdf_page_content_hash(kFile, 0, base, {});
  EXPECT_NE(h0, pdf_page_content_hash(kFile, 1, base, {}));
  EXPECT_NE(h0, image_content_hash(kFile, {}, {}));  // same bytes as an image: different key
  PdfRenderOptions other = base;
  other.max_side = 512;
  EXPECT_NE(h0, pdf_page_content_hash(kFile, 0, other, {}));
  other = base;
  other.max_dpi = 150;
  EXPECT_NE(h0, pdf_page_content_hash(kFile, 0, other, {}));
  other = base;
  other.first_page = 3;
  other.max_pages = 1;
  other.password = "x";
  EXPECT_EQ(h0, pdf_page_content_hash(kFile, 0, other, {}));
}

}  // namespace
}  // namespace teamvl::engine
