#include "engine/image/pdf.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

namespace teamvl::engine {
namespace {

// Builds a PDF by hand: numbered objects, a correct xref table and trailer.
class PdfWriter {
 public:
  // Adds object number size()+1 with the given body (without obj/endobj).
  int add(const std::string& body) {
    objects_.push_back(body);
    return static_cast<int>(objects_.size());
  }
  int add_stream(const std::string& content) {
    return add("<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content +
               "\nendstream");
  }
  std::vector<uint8_t> finish(const std::string& trailer_extra = "") const {
    std::string out = "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n";
    std::vector<size_t> offsets;
    for (size_t i = 0; i < objects_.size(); ++i) {
      offsets.push_back(out.size());
      out += std::to_string(i + 1) + " 0 obj\n" + objects_[i] + "\nendobj\n";
    }
    const size_t xref = out.size();
    out += "xref\n0 " + std::to_string(objects_.size() + 1) + "\n0000000000 65535 f \n";
    char entry[32];
    for (size_t off : offsets) {
      std::snprintf(entry, sizeof entry, "%010zu 00000 n \n", off);
      out += entry;
    }
    out += "trailer\n<< /Size " + std::to_string(objects_.size() + 1) + " /Root 1 0 R " +
           trailer_extra + " >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
    return {out.begin(), out.end()};
  }

 private:
  std::vector<std::string> objects_;
};

// Page 1: US Letter portrait with a red rectangle; page 2: A4 landscape whose
// left half is blue.
std::vector<uint8_t> two_page_pdf() {
  PdfWriter w;
  w.add("<< /Type /Catalog /Pages 2 0 R >>");
  w.add("<< /Type /Pages /Kids [3 0 R 5 0 R] /Count 2 >>");
  w.add("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>");
  w.add_stream("1 0 0 rg 100 100 200 300 re f");
  w.add("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 842 595] /Contents 6 0 R >>");
  w.add_stream("0 0 1 rg 0 0 421 595 re f");
  return w.finish();
}

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
