#include "engine/image/pdf.h"

#include "engine/image/test_pdf.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

namespace teamvl::engine {
namespace {

using testing::PdfWriter;
using testing::two_page_pdf;

struct Rgb {
  int r, g, b;
};
Rgb at(const RgbImage& img, int x, int y) {
  const uint8_t* p = img.pixel(x, y);
  return {p[0], p[1], p[2]};
}

TEST(RenderPdf, TwoPagesWithinTheCap) {
  std::vector<uint8_t> pdf = two_page_pdf();
  Result<int> count = pdf_page_count(pdf);
  ASSERT_TRUE(count.ok()) << count.status().to_string();
  EXPECT_EQ(*count, 2);

  Result<std::vector<PdfPage>> pages = render_pdf(pdf);
  ASSERT_TRUE(pages.ok()) << pages.status().to_string();
  ASSERT_EQ(pages->size(), 2u);
  const RgbImage& p1 = (*pages)[0].image;
  const RgbImage& p2 = (*pages)[1].image;
  EXPECT_EQ((*pages)[0].index, 0);
  EXPECT_EQ((*pages)[1].index, 1);
  // Longest side fills the cap (give or take poppler's rounding), never more.
  EXPECT_GE(p1.height, 766);
  EXPECT_LE(p1.height, 768);
  EXPECT_NEAR(p1.width, 612.0 * p1.height / 792, 2.0);
  EXPECT_GE(p2.width, 766);
  EXPECT_LE(p2.width, 768);
  EXPECT_NEAR(p2.height, 595.0 * p2.width / 842, 2.0);
  ASSERT_EQ(p1.pixels.size(), size_t{3} * p1.width * p1.height);

  const double s1 = p1.height / 792.0;  // pixels per point
  Rgb red = at(p1, static_cast<int>(200 * s1), static_cast<int>((792 - 250) * s1));
  EXPECT_GT(red.r, 240);
  EXPECT_LT(red.g, 15);
  EXPECT_LT(red.b, 15);
  Rgb paper = at(p1, 10, 10);
  EXPECT_GT(paper.r + paper.g + paper.b, 3 * 245);
  Rgb blue = at(p2, p2.width / 4, p2.height / 2);
  EXPECT_LT(blue.r, 15);
  EXPECT_GT(blue.b, 240);
  Rgb right = at(p2, 3 * p2.width / 4, p2.height / 2);
  EXPECT_GT(right.r + right.g + right.b, 3 * 245);
}

TEST(RenderPdf, SmallerCapAndPageRange) {
  PdfRenderOptions o;
  o.max_side = 200;
  o.first_page = 1;
  o.max_pages = 5;
  Result<std::vector<PdfPage>> pages = render_pdf(two_page_pdf(), o);
  ASSERT_TRUE(pages.ok()) << pages.status().to_string();
  ASSERT_EQ(pages->size(), 1u);
  EXPECT_EQ((*pages)[0].index, 1);
  EXPECT_LE((*pages)[0].image.width, 200);
  EXPECT_GE((*pages)[0].image.width, 198);

  o.first_page = 0;
  o.max_pages = 1;
  pages = render_pdf(two_page_pdf(), o);
  ASSERT_TRUE(pages.ok());
  ASSERT_EQ(pages->size(), 1u);
  EXPECT_EQ((*pages)[0].index, 0);
}

TEST(RenderPdf, MaxDpiLimitsTinyPages) {
  PdfWriter w;
  w.add("<< /Type /Catalog /Pages 2 0 R >>");
  w.add("<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
  w.add("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 72 36] >>");  // 1 x 0.5 inch
  PdfRenderOptions o;
  o.max_dpi = 100;
  Result<std::vector<PdfPage>> pages = render_pdf(w.finish(), o);
  ASSERT_TRUE(pages.ok()) << pages.status().to_string();
  EXPECT_NEAR((*pages)[0].image.width, 100, 1);
  EXPECT_NEAR((*pages)[0].image.height, 50, 1);
}

TEST(RenderPdf, RotatedPageSwapsSides) {
  PdfWriter w;
  w.add("<< /Type /Catalog /Pages 2 0 R >>");
  w.add("<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
  w.add("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Rotate 90 >>");
  Result<std::vector<PdfPage>> pages = render_pdf(w.finish());
  ASSERT_TRUE(pages.ok()) << pages.status().to_string();
  const RgbImage& img = (*pages)[0].image;
  EXPECT_GT(img.width, img.height);
  EXPECT_LE(img.width, 768);
}

TEST(RenderPdf, StreamingCallbackCanStopEarly) {
  int calls = 0;
  Status st = render_pdf_pages(two_page_pdf(), {}, [&](PdfPage) {
    ++calls;
    return Status::Cancelled("enough");
  });
  EXPECT_EQ(st.code(), StatusCode::kCancelled);
  EXPECT_EQ(calls, 1);
}

TEST(RenderPdf, ClearErrors) {
  // No pages at all.
  PdfWriter empty;
  empty.add("<< /Type /Catalog /Pages 2 0 R >>");
  empty.add("<< /Type /Pages /Kids [] /Count 0 >>");
  Status st = render_pdf(empty.finish()).status();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.to_string();
  EXPECT_EQ(st.message(), "pdf: document has no pages");

  // Garbage with and without a PDF header.
  std::string junk = "%PDF-1.4\nthis is not a pdf at all, no objects, no xref\n";
  st = render_pdf(std::vector<uint8_t>(junk.begin(), junk.end())).status();
  EXPECT_EQ(st.code(), StatusCode::kDataLoss) << st.to_string();
  std::vector<uint8_t> noise(500);
  for (size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<uint8_t>(i * 37 + 11);
  st = render_pdf(noise).status();
  EXPECT_EQ(st.code(), StatusCode::kDataLoss) << st.to_string();
  EXPECT_EQ(pdf_page_count({}).status().code(), StatusCode::kDataLoss);

  // Page range past the end, bad options.
  PdfRenderOptions o;
  o.first_page = 2;
  st = render_pdf(two_page_pdf(), o).status();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.to_string();
  o = {};
  o.max_side = 0;
  EXPECT_EQ(render_pdf(two_page_pdf(), o).status().code(), StatusCode::kInvalidArgument);
  o = {};
  o.max_pages = -1;
  EXPECT_EQ(render_pdf(two_page_pdf(), o).status().code(), StatusCode::kInvalidArgument);
}

// pdf_page_range names the pages render_pdf_pages would render, with the
// same errors, without rendering.
TEST(RenderPdf, PageRangeAgreesWithRendering) {
  const std::vector<uint8_t> pdf = two_page_pdf();
  struct Case {
    int first, max, from, to;
  };
  for (const Case& c : {Case{0, 0, 0, 2}, Case{1, 0, 1, 2}, Case{0, 1, 0, 1}, Case{1, 5, 1, 2}}) {
    PdfRenderOptions o;
    o.first_page = c.first;
    o.max_pages = c.max;
    auto range = pdf_page_range(pdf, o);
    ASSERT_TRUE(range.ok()) << range.status().to_string();
    EXPECT_EQ(range->first, c.from);
    EXPECT_EQ(range->second, c.to);
    std::vector<int> rendered;
    ASSERT_TRUE(render_pdf_pages(pdf, o, [&](PdfPage p) {
                  rendered.push_back(p.index);
                  return Status::Ok();
                }).ok());
    ASSERT_EQ(rendered.size(), static_cast<size_t>(c.to - c.from));
    EXPECT_EQ(rendered.front(), c.from);
  }
  for (PdfRenderOptions bad : {PdfRenderOptions{.first_page = 2}, PdfRenderOptions{.max_side = 0},
                               PdfRenderOptions{.max_pages = -1}}) {
    const Status from_range = pdf_page_range(pdf, bad).status();
    const Status from_render = render_pdf_pages(pdf, bad, [](PdfPage) { return Status::Ok(); });
    EXPECT_EQ(from_range.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(from_range.message(), from_render.message());
  }
}

TEST(RenderPdf, EncryptedNeedsPassword) {
  // A standard security handler whose /U does not match the empty password:
  // poppler cannot open it without the (unknown) user password.
  PdfWriter w;
  w.add("<< /Type /Catalog /Pages 2 0 R >>");
  w.add("<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
  w.add("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] >>");
  const std::string hex32(64, 'A');
  w.add("<< /Filter /Standard /V 1 /R 2 /P -4 /O <" + hex32 + "> /U <" + hex32 + "> >>");
  const std::string id = "<0123456789ABCDEF0123456789ABCDEF>";
  std::vector<uint8_t> pdf = w.finish("/Encrypt 4 0 R /ID [" + id + " " + id + "]");
  Status st = render_pdf(pdf).status();
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied) << st.to_string();
  EXPECT_NE(st.message().find("encrypted"), std::string::npos);
  PdfRenderOptions o;
  o.password = "guess";
  st = render_pdf(pdf, o).status();
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied) << st.to_string();
  EXPECT_NE(st.message().find("wrong password"), std::string::npos);
}

}  // namespace
}  // namespace teamvl::engine
