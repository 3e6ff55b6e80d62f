// PDF pages to RGB8 images via poppler-cpp, each page rendered at the DPI that
// makes its longest side fit the same cap the preprocessor uses (768 px).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "engine/image/decode.h"

namespace teamvl::engine {

// Which pages, how large, and the password; the defaults suit the vision model.
struct PdfRenderOptions {
  int max_side = 768;    // longest side of a rendered page, in pixels
  double max_dpi = 300;  // tiny pages are not blown up beyond this
  int first_page = 0;    // 0-based index of the first page to render
  int max_pages = 32;    // render at most this many pages (0: all remaining)
  std::string password;  // user password of an encrypted PDF; empty: none
};

// One rendered page; owns its pixels.
struct PdfPage {
  int index = 0;  // 0-based page number in the document
  RgbImage image;
};

// Number of pages. Errors: kDataLoss (not a PDF / corrupt), kPermissionDenied
// (encrypted, wrong or no password), kTooLarge (over 2 GiB).
Result<int> pdf_page_count(std::span<const uint8_t> bytes, const std::string& password = {});

// The 0-based pages [first, end) that render_pdf_pages would render with
// these options, with the same errors (without rendering anything).
Result<std::pair<int, int>> pdf_page_range(std::span<const uint8_t> bytes, const PdfRenderOptions& options);

// Renders the selected pages one at a time, handing each to `on_page` (which
// may stop early by returning an error, passed through) so a long document is
// never held in memory at once. kInvalidArgument for a PDF with no pages or a
// first_page past the end. Distinct calls may run concurrently.
Status render_pdf_pages(std::span<const uint8_t> bytes, const PdfRenderOptions& options,
                        const std::function<Status(PdfPage page)>& on_page);

// Convenience: all selected pages in a vector.
Result<std::vector<PdfPage>> render_pdf(std::span<const uint8_t> bytes,
                                        const PdfRenderOptions& options = {});

}  // namespace teamvl::engine
