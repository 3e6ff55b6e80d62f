#include "server/uploads.h"

#include <span>

#include "engine/image/decode.h"
#include "engine/image/pdf.h"
#include "engine/image/sha256.h"

namespace teamvl::server {
namespace {

struct FileKind {
  const char* mime;
  const char* ext;
};

FileKind kind_of(engine::ImageFormat f) {
  switch (f) {
    case engine::ImageFormat::kJpeg: return {"image/jpeg", "jpg"};
    case engine::ImageFormat::kPng: return {"image/png", "png"};
    case engine::ImageFormat::kWebp: return {"image/webp", "webp"};
    case engine::ImageFormat::kGif: return {"image/gif", "gif"};
    case engine::ImageFormat::kBmp: return {"image/bmp", "bmp"};
    case engine::ImageFormat::kPdf: return {"application/pdf", "pdf"};
    case engine::ImageFormat::kUnknown: break;
  }
  return {"application/octet-stream", "bin"};
}

std::span<const uint8_t> as_bytes(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

// Checks an image by decoding it under the pixel limit; fills its size.
Status inspect_image(const UploadLimits& limits, std::string_view body, store::FileRecord* rec) {
  engine::DecodeOptions opts;
  opts.max_pixels = limits.max_image_pixels;
  auto img = engine::decode_image(as_bytes(body), opts);
  if (!img.ok()) {
    const Status& st = img.status();
    switch (st.code()) {
      case StatusCode::kTooLarge:
        return Status::TooLarge("image refused: " + st.message() + " (max_image_pixels = " +
                                std::to_string(limits.max_image_pixels) + ")");
      case StatusCode::kResourceExhausted:
        return Status::TooLarge("image refused: " + st.message());
      default:
        return Status::InvalidArgument("the file is not a readable image: " + st.message());
    }
  }
  rec->kind = "image";
  rec->width = img->width;
  rec->height = img->height;
  rec->pages = 1;
  return Status::Ok();
}

// Checks a PDF: it opens, has pages, and its first page renders; the size
// recorded is that page as the model would see it.
Status inspect_pdf(const UploadLimits& limits, std::string_view body, store::FileRecord* rec) {
  auto pages = engine::pdf_page_count(as_bytes(body));
  if (!pages.ok()) {
    const Status& st = pages.status();
    if (st.code() == StatusCode::kTooLarge) return Status::TooLarge("PDF refused: " + st.message());
    if (st.code() == StatusCode::kPermissionDenied)
      return Status::InvalidArgument("the PDF is encrypted; upload an unprotected copy");
    return Status::InvalidArgument("the file is not a readable PDF: " + st.message());
  }
  if (*pages < 1) return Status::InvalidArgument("the PDF has no pages");
  engine::PdfRenderOptions opts;
  opts.max_side = limits.max_image_side > 0 ? limits.max_image_side : 768;
  opts.max_pages = 1;
  Status st = engine::render_pdf_pages(as_bytes(body), opts, [&](engine::PdfPage page) {
    rec->width = page.image.width;
    rec->height = page.image.height;
    return Status::Ok();
  });
  if (!st.ok()) return Status::InvalidArgument("the PDF's first page cannot be rendered: " + st.message());
  rec->kind = "pdf";
  rec->pages = *pages;
  return Status::Ok();
}

}  // namespace

Result<AcceptedUpload> accept_upload(store::Store& store, BlobStore& blobs, const UploadLimits& limits,
                                     int64_t user_id, std::string name, std::string_view bytes) {
  if (bytes.empty()) return Status::InvalidArgument("empty upload: send the file's bytes");
  engine::ImageFormat format = engine::sniff_image_format(as_bytes(bytes));
  if (format == engine::ImageFormat::kUnknown)
    return Status::InvalidArgument("unsupported file type: upload a PNG, JPEG, WebP, GIF or BMP image, or a PDF");
  const FileKind kind = kind_of(format);
  store::FileRecord rec;
  rec.user_id = user_id;
  rec.name = name.empty() ? std::string("upload.") + kind.ext : std::move(name);
  rec.mime = kind.mime;
  rec.size_bytes = static_cast<int64_t>(bytes.size());
  TEAMVL_RETURN_IF_ERROR(format == engine::ImageFormat::kPdf ? inspect_pdf(limits, bytes, &rec)
                                                             : inspect_image(limits, bytes, &rec));
  rec.sha256 = engine::to_hex(engine::sha256(as_bytes(bytes)));
  AcceptedUpload out;
  out.mime = kind.mime;
  TEAMVL_ASSIGN_OR_RETURN(out.file, blobs.add_file(store, rec, bytes, &out.created));
  return out;
}

Result<store::FileRecord> member_file(store::Store& store, int64_t user_id, int64_t file_id) {
  auto f = store.get_file(file_id);
  if (!f.ok() || f->user_id != user_id) return Status::NotFound("no file with id " + std::to_string(file_id));
  return f;
}

Json file_json(const store::FileRecord& f) {
  return Json{{"id", f.id},         {"name", f.name},     {"mime", f.mime},          {"kind", f.kind},
              {"size_bytes", f.size_bytes}, {"width", f.width}, {"height", f.height}, {"pages", f.pages},
              {"sha256", f.sha256}, {"created_at", f.created_at}};
}

}  // namespace teamvl::server
