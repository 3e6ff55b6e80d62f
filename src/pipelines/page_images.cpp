#include "pipelines/page_images.h"

#include <png.h>

#include "engine/image/pdf.h"

namespace teamvl::pipelines {
namespace {

void append_bytes(png_structp png, png_bytep data, png_size_t n) {
  auto* out = static_cast<std::string*>(png_get_io_ptr(png));
  out->append(reinterpret_cast<const char*>(data), n);
}
void flush_nothing(png_structp) {}

}  // namespace

Result<std::string> encode_png(const engine::RgbImage& image) {
  if (image.width <= 0 || image.height <= 0 ||
      image.pixels.size() != static_cast<size_t>(image.width) * image.height * 3)
    return Status::InvalidArgument("encode_png: the image has no pixels or a wrong pixel count");
  std::string out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  if (!png) return Status::Internal("encode_png: libpng could not start");
  png_infop info = png_create_info_struct(png);
  if (!info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, info ? &info : nullptr);
    return Status::Internal("encode_png: libpng failed");
  }
  png_set_write_fn(png, &out, append_bytes, flush_nothing);
  png_set_IHDR(png, info, static_cast<png_uint_32>(image.width), static_cast<png_uint_32>(image.height), 8,
               PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < image.height; ++y)
    png_write_row(png, const_cast<png_bytep>(image.pixel(0, y)));
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

Result<std::vector<PageImage>> render_pdf_to_png(std::span<const uint8_t> pdf, int max_side, int max_pages) {
  TEAMVL_ASSIGN_OR_RETURN(int count, engine::pdf_page_count(pdf));
  if (count < 1) return Status::InvalidArgument("the PDF has no pages");
  if (count > max_pages)
    return Status::InvalidArgument("the PDF has " + std::to_string(count) + " pages; a pipeline item takes at most " +
                                   std::to_string(max_pages));
  engine::PdfRenderOptions opts;
  opts.max_side = max_side;
  opts.max_pages = 0;
  std::vector<PageImage> out;
  TEAMVL_RETURN_IF_ERROR(engine::render_pdf_pages(pdf, opts, [&](engine::PdfPage page) -> Status {
    TEAMVL_ASSIGN_OR_RETURN(std::string png, encode_png(page.image));
    out.push_back({page.index, page.image.width, page.image.height, std::move(png)});
    return Status::Ok();
  }));
  return out;
}

}  // namespace teamvl::pipelines
