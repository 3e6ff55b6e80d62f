#include "pipelines/page_images.h"

#include <gtest/gtest.h>

#include <cstdio>

namespace teamvl::pipelines {
namespace {

std::span<const uint8_t> bytes_of(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

// A valid PDF with `pages` empty pages of 400 x 200 points.
std::string pdf(int pages) {
  std::vector<std::string> objs = {"<< /Type /Catalog /Pages 2 0 R >>"};
  std::string kids;
  for (int i = 0; i < pages; ++i) kids += std::to_string(3 + i) + " 0 R ";
  objs.push_back("<< /Type /Pages /Kids [" + kids + "] /Count " + std::to_string(pages) + " >>");
  for (int i = 0; i < pages; ++i) objs.push_back("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 200] >>");
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
  return out + "trailer\n<< /Size " + std::to_string(objs.size() + 1) + " /Root 1 0 R >>\nstartxref\n" +
         std::to_string(xref) + "\n%%EOF\n";
}

TEST(PageImagesTest, EveryPageBecomesAPngOfTheConfiguredSize) {
  auto pages = render_pdf_to_png(bytes_of(pdf(3)), 96, 16);
  ASSERT_TRUE(pages.ok()) << pages.status().to_string();
  ASSERT_EQ(pages->size(), 3u);
  for (int i = 0; i < 3; ++i) {
    const PageImage& p = (*pages)[i];
    EXPECT_EQ(p.index, i);
    EXPECT_EQ(std::max(p.width, p.height), 96) << "longest side as configured";
    auto decoded = engine::decode_image(bytes_of(p.png));
    ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
    EXPECT_EQ(decoded->width, p.width);
    EXPECT_EQ(decoded->height, p.height);
  }
}

TEST(PageImagesTest, RefusesTooManyPagesAndNonPdfs) {
  auto many = render_pdf_to_png(bytes_of(pdf(5)), 64, 4);
  EXPECT_EQ(many.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(many.status().message().find("5 pages"), std::string::npos);
  EXPECT_FALSE(render_pdf_to_png(bytes_of(std::string("%PDF-1.4\nnot really")), 64, 4).ok());
}

TEST(PageImagesTest, EncodesAnRgbImageLosslessly) {
  engine::RgbImage img;
  img.width = 3;
  img.height = 2;
  for (int i = 0; i < 18; ++i) img.pixels.push_back(static_cast<uint8_t>(i * 13));
  auto png = encode_png(img);
  ASSERT_TRUE(png.ok());
  auto back = engine::decode_image(bytes_of(*png));
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(back->pixels, img.pixels);
  engine::RgbImage empty;
  EXPECT_EQ(encode_png(empty).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace teamvl::pipelines
