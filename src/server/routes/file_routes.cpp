// File uploads: images (PNG, JPEG, WebP, GIF, BMP) and PDFs, owned by the
// uploader. The raw file is the request body; its real type is sniffed from
// the bytes and it is fully checked (decoded, or its pages counted) before
// anything is stored. Blobs are content-addressed on disk (blob_store.h);
// another member's file is 404 like a missing one.
#include <cctype>
#include <memory>
#include <span>

#include "engine/image/decode.h"
#include "server/blob_store.h"
#include "server/uploads.h"
#include "server/routes/context.h"

namespace teamvl::server {
namespace {

constexpr size_t kMaxNameBytes = 255;

std::span<const uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// The original name as a plain file name: no folders, no control characters.
Result<std::string> clean_name(const HttpRequest& req) {
  auto it = req.query.find("name");
  std::string raw = it == req.query.end() ? "" : it->second;
  size_t slash = raw.find_last_of("/\\");
  if (slash != std::string::npos) raw = raw.substr(slash + 1);
  std::string name;
  for (char ch : raw)
    if (static_cast<unsigned char>(ch) >= 0x20 && ch != 0x7f) name += ch;
  size_t b = name.find_first_not_of(' '), e = name.find_last_not_of(' ');
  name = b == std::string::npos ? "" : name.substr(b, e - b + 1);
  if (name.size() > kMaxNameBytes)
    return Status::InvalidArgument("query parameter 'name' is longer than " + std::to_string(kMaxNameBytes) + " bytes");
  if (name == "." || name == "..") name.clear();  // accept_upload names it upload.<ext>
  return name;
}

// The Content-Type the client sent, without parameters, lower case.
std::string declared_type(const HttpRequest& req) {
  std::string ct = req.header("Content-Type").value_or("");
  ct = ct.substr(0, ct.find(';'));
  while (!ct.empty() && ct.back() == ' ') ct.pop_back();
  for (auto& ch : ct) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return ct;
}

HttpResponse upload(ServerContext& ctx, BlobStore* blobs, HttpRequest& req, Caller& c) {
  if (!blobs) return HttpResponse::error(503, "unavailable", "file uploads need a data directory (data_dir)");
  if (req.body.empty())
    return HttpResponse::error(400, "invalid_argument", "empty upload: send the file's bytes as the request body");
  if (engine::sniff_image_format(as_bytes(req.body)) == engine::ImageFormat::kUnknown)
    return HttpResponse::error(400, "unsupported_file_type",
                               "unsupported file type: upload a PNG, JPEG, WebP, GIF or BMP image, or a PDF");
  auto name = clean_name(req);
  if (!name.ok()) return HttpResponse::from_status(name.status());
  UploadLimits limits{ctx.config.max_image_pixels, ctx.config.max_image_side};
  auto up = accept_upload(ctx.store, *blobs, limits, c.user.id, *name, req.body);
  if (!up.ok()) return HttpResponse::from_status(up.status());
  Json out{{"file", file_json(up->file)}, {"created", up->created}};
  std::string declared = declared_type(req);
  if (!declared.empty() && declared != up->mime)
    out["note"] = "Content-Type said '" + declared + "'; the content is " + up->mime;
  return json_response(up->created ? 201 : 200, out);
}

// The caller's own file, or NotFound (also for another member's).
Result<store::FileRecord> own_file(ServerContext& ctx, const HttpRequest& req, const Caller& c) {
  TEAMVL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
  return member_file(ctx.store, c.user.id, id);
}

// Content-Disposition with an ASCII fallback name and the exact UTF-8 one.
std::string disposition(const char* type, const std::string& name) {
  std::string ascii, encoded;
  static const char* kHex = "0123456789ABCDEF";
  for (unsigned char ch : name) {
    ascii += (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\') ? static_cast<char>(ch) : '_';
    if (std::isalnum(ch) || ch == '.' || ch == '-' || ch == '_') {
      encoded += static_cast<char>(ch);
    } else {
      encoded += '%';
      encoded += kHex[ch >> 4];
      encoded += kHex[ch & 15];
    }
  }
  return std::string(type) + "; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
}

HttpResponse content(ServerContext& ctx, BlobStore* blobs, HttpRequest& req, Caller& c) {
  auto f = own_file(ctx, req, c);
  if (!f.ok()) return HttpResponse::from_status(f.status());
  if (!blobs) return HttpResponse::error(503, "unavailable", "file uploads need a data directory (data_dir)");
  std::string etag = "\"" + f->sha256 + "\"";
  HttpResponse res;
  if (req.header("If-None-Match").value_or("") == etag) {
    res.status = 304;
  } else {
    auto bytes = blobs->read(f->sha256);
    if (!bytes.ok()) return HttpResponse::from_status(bytes.status());
    res = HttpResponse::text(200, std::move(*bytes), f->mime);
  }
  res.with_header("ETag", etag);
  res.with_header("Cache-Control", "private, no-cache");
  res.with_header("X-Content-Type-Options", "nosniff");
  res.with_header("Content-Disposition", disposition(f->kind == "pdf" ? "attachment" : "inline", f->name));
  return res;
}

HttpResponse delete_file(ServerContext& ctx, BlobStore* blobs, HttpRequest& req, Caller& c) {
  auto f = own_file(ctx, req, c);
  if (!f.ok()) return HttpResponse::from_status(f.status());
  if (!blobs) return HttpResponse::error(503, "unavailable", "file uploads need a data directory (data_dir)");
  Status st = blobs->delete_file(ctx.store, f->id, [&]() -> Status {
    return audit(ctx, &c, req, "file.delete", "file:" + std::to_string(f->id), Json::object());
  });
  if (!st.ok()) return HttpResponse::from_status(st);
  HttpResponse res;
  res.status = 204;
  return res;
}

}  // namespace

void add_file_routes(Router& r, ServerContext& ctx) {
  // Shared by the handlers (any thread); null without a data directory.
  std::shared_ptr<BlobStore> blobs;
  if (!ctx.config.data_dir.empty()) {
    blobs = std::make_shared<BlobStore>(BlobStore::root_for_data_dir(ctx.config.data_dir));
    blobs->remove_stale_temp_files();  // routes are added before the server listens
  }

  r.add("GET", "/api/v1/files", authed(ctx, Access::kMember, [&ctx](HttpRequest&, Caller& c) {
    auto files = ctx.store.list_files(c.user.id);
    if (!files.ok()) return HttpResponse::from_status(files.status());
    Json arr = Json::array();
    for (const auto& f : *files) arr.push_back(file_json(f));
    return json_response(200, {{"files", arr}});
  }));
  r.add("POST", "/api/v1/files", authed(ctx, Access::kWriter, [&ctx, blobs](HttpRequest& req, Caller& c) {
    return upload(ctx, blobs.get(), req, c);
  }));
  r.add("GET", "/api/v1/files/{id}", authed(ctx, Access::kMember, [&ctx](HttpRequest& req, Caller& c) {
    auto f = own_file(ctx, req, c);
    if (!f.ok()) return HttpResponse::from_status(f.status());
    return json_response(200, {{"file", file_json(*f)}});
  }));
  r.add("GET", "/api/v1/files/{id}/content", authed(ctx, Access::kMember, [&ctx, blobs](HttpRequest& req, Caller& c) {
    return content(ctx, blobs.get(), req, c);
  }));
  r.add("DELETE", "/api/v1/files/{id}", authed(ctx, Access::kWriter, [&ctx, blobs](HttpRequest& req, Caller& c) {
    return delete_file(ctx, blobs.get(), req, c);
  }));
}

}  // namespace teamvl::server
