// Test helper (header-only, for *_test.cpp files): PDFs built by hand, so
// the PDF tests need no fixture files.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace teamvl::engine::testing {

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
inline std::vector<uint8_t> two_page_pdf() {
  PdfWriter w;
  w.add("<< /Type /Catalog /Pages 2 0 R >>");
  w.add("<< /Type /Pages /Kids [3 0 R 5 0 R] /Count 2 >>");
  w.add("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>");
  w.add_stream("1 0 0 rg 100 100 200 300 re f");
  w.add("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 842 595] /Contents 6 0 R >>");
  w.add_stream("0 0 1 rg 0 0 421 595 re f");
  return w.finish();
}

}  // namespace teamvl::engine::testing
