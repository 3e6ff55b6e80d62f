#include "engine/image/pdf.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>

#include <poppler-document.h>
#include <poppler-global.h>
#include <poppler-image.h>
#include <poppler-page-renderer.h>
#include <poppler-page.h>

#include "base/log.h"

namespace teamvl::engine {
namespace {

// Poppler prints its diagnostics to stderr unless told otherwise; route them
// to our log at debug level instead (one process-wide hook).
void install_poppler_log_hook() {
  static std::once_flag once;
  std::call_once(once, [] {
    poppler::set_debug_error_function([](const std::string& msg, void*) { log_debug("pdf", msg); },
                                      nullptr);
  });
}

Result<std::unique_ptr<poppler::document>> open_document(std::span<const uint8_t> bytes,
                                                         const std::string& password) {
  install_poppler_log_hook();
  if (bytes.size() > static_cast<size_t>(INT_MAX)) return Status::TooLarge("pdf: file over 2 GiB");
  if (bytes.size() < 5 || std::memcmp(bytes.data(), "%PDF-", 5) != 0) {
    return Status::DataLoss("pdf: not a PDF file (no %PDF- header)");
  }
  std::unique_ptr<poppler::document> doc(
      poppler::document::load_from_raw_data(reinterpret_cast<const char*>(bytes.data()),
                                            static_cast<int>(bytes.size()), password, password));
  if (!doc) return Status::DataLoss("pdf: corrupt or unreadable PDF");
  if (doc->is_locked()) {
    return Status::PermissionDenied(password.empty()
                                        ? "pdf: document is encrypted and needs a password"
                                        : "pdf: wrong password for encrypted document");
  }
  return doc;
}

// Renders one page so that its longest side is at most max_side pixels.
Result<RgbImage> render_page(const poppler::document& doc, int index,
                             const PdfRenderOptions& options) {
  std::unique_ptr<poppler::page> page(doc.create_page(index));
  if (!page) return Status::DataLoss("pdf: page " + std::to_string(index + 1) + " is unreadable");
  const poppler::rectf box = page->page_rect();
  const double longest_pt = std::max(box.width(), box.height());
  if (!(longest_pt > 0.0) || !std::isfinite(longest_pt)) {
    return Status::DataLoss("pdf: page " + std::to_string(index + 1) + " has an empty size");
  }
  // Slightly under the exact DPI so rounding up in poppler cannot add a pixel.
  double dpi = 72.0 * options.max_side / longest_pt * (1.0 - 1e-6);
  if (options.max_dpi > 0) dpi = std::min(dpi, options.max_dpi);
  poppler::page_renderer renderer;
  renderer.set_image_format(poppler::image::format_rgb24);
  renderer.set_render_hint(poppler::page_renderer::antialiasing, true);
  renderer.set_render_hint(poppler::page_renderer::text_antialiasing, true);
  poppler::image rendered = renderer.render_page(page.get(), dpi, dpi);
  if (!rendered.is_valid() || rendered.width() <= 0 || rendered.height() <= 0) {
    return Status::DataLoss("pdf: page " + std::to_string(index + 1) + " failed to render");
  }
  RgbImage img;
  img.width = std::min(rendered.width(), options.max_side);
  img.height = std::min(rendered.height(), options.max_side);
  img.pixels.resize(static_cast<size_t>(img.width) * img.height * 3);
  const char* data = rendered.const_data();
  for (int y = 0; y < img.height; ++y) {
    std::memcpy(img.pixel(0, y), data + static_cast<size_t>(y) * rendered.bytes_per_row(),
                static_cast<size_t>(img.width) * 3);
  }
  return img;
}

Status validate(const PdfRenderOptions& o) {
  if (o.max_side < 1 || o.max_side > 16384) {
    return Status::InvalidArgument("pdf: max_side must be in 1..16384");
  }
  if (o.first_page < 0 || o.max_pages < 0) {
    return Status::InvalidArgument("pdf: first_page and max_pages must not be negative");
  }
  return Status::Ok();
}

}  // namespace

Result<int> pdf_page_count(std::span<const uint8_t> bytes, const std::string& password) {
  TEAMVL_ASSIGN_OR_RETURN(auto doc, open_document(bytes, password));
  return doc->pages();
}

namespace {

// [first, end) of a document with n pages, or why there is none.
Result<std::pair<int, int>> range_of(const PdfRenderOptions& options, int n) {
  if (n <= 0) return Status::InvalidArgument("pdf: document has no pages");
  if (options.first_page >= n) {
    return Status::InvalidArgument("pdf: first page " + std::to_string(options.first_page + 1) +
                                   " is past the last page (" + std::to_string(n) + ")");
  }
  int end = n;
  if (options.max_pages > 0) end = std::min(n, options.first_page + options.max_pages);
  return std::make_pair(options.first_page, end);
}

}  // namespace

Result<std::pair<int, int>> pdf_page_range(std::span<const uint8_t> bytes, const PdfRenderOptions& options) {
  TEAMVL_RETURN_IF_ERROR(validate(options));
  TEAMVL_ASSIGN_OR_RETURN(auto doc, open_document(bytes, options.password));
  return range_of(options, doc->pages());
}

Status render_pdf_pages(std::span<const uint8_t> bytes, const PdfRenderOptions& options,
                        const std::function<Status(PdfPage page)>& on_page) {
  TEAMVL_RETURN_IF_ERROR(validate(options));
  TEAMVL_ASSIGN_OR_RETURN(auto doc, open_document(bytes, options.password));
  TEAMVL_ASSIGN_OR_RETURN(auto range, range_of(options, doc->pages()));
  for (int i = range.first; i < range.second; ++i) {
    Result<RgbImage> img = Status::Internal("pdf: not rendered");
    try {
      img = render_page(*doc, i, options);
    } catch (const std::bad_alloc&) {
      return Status::ResourceExhausted("pdf: out of memory rendering page " +
                                       std::to_string(i + 1));
    }
    if (!img.ok()) return img.status();
    TEAMVL_RETURN_IF_ERROR(on_page(PdfPage{i, std::move(img).value()}));
  }
  return Status::Ok();
}

Result<std::vector<PdfPage>> render_pdf(std::span<const uint8_t> bytes,
                                        const PdfRenderOptions& options) {
  std::vector<PdfPage> pages;
  TEAMVL_RETURN_IF_ERROR(render_pdf_pages(bytes, options, [&](PdfPage page) {
    pages.push_back(std::move(page));
    return Status::Ok();
  }));
  return pages;
}

}  // namespace teamvl::engine
