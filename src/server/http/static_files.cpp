#include "server/http/static_files.h"

#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <vector>

#include "server/http/http_util.h"

namespace teamvl::server {
namespace fs = std::filesystem;
namespace {

struct MimeEntry {
  const char* ext;
  const char* type;
};

constexpr MimeEntry kMimeTypes[] = {
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"json", "application/json"},
    {"map", "application/json"},
    {"webmanifest", "application/manifest+json"},
    {"txt", "text/plain; charset=utf-8"},
    {"xml", "application/xml"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"avif", "image/avif"},
    {"ico", "image/x-icon"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},
    {"otf", "font/otf"},
    {"wasm", "application/wasm"},
    {"pdf", "application/pdf"},
};

struct FileInfo {
  bool is_dir = false;
  bool is_regular = false;
  uint64_t size = 0;
  int64_t mtime_s = 0;
  int64_t mtime_ns = 0;
};

std::optional<FileInfo> stat_file(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return std::nullopt;
  FileInfo info;
  info.is_dir = S_ISDIR(st.st_mode);
  info.is_regular = S_ISREG(st.st_mode);
  info.size = static_cast<uint64_t>(st.st_size);
  info.mtime_s = st.st_mtim.tv_sec;
  info.mtime_ns = st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec;
  return info;
}

// True when `p` (canonical) is `root` or lies below it.
bool is_within(const fs::path& root, const fs::path& p) {
  auto [r, q] = std::mismatch(root.begin(), root.end(), p.begin(), p.end());
  return r == root.end();
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  if (if_none_match.find('*') != std::string_view::npos) return true;
  // A list of (possibly weak) tags; weak comparison is what 304 uses.
  std::string_view bare = etag;
  while (!if_none_match.empty()) {
    size_t comma = if_none_match.find(',');
    std::string_view tag = if_none_match.substr(0, comma);
    if_none_match = comma == std::string_view::npos ? std::string_view{} : if_none_match.substr(comma + 1);
    while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
    while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    if (tag == bare) return true;
  }
  return false;
}

HttpResponse not_found() { return HttpResponse::error(404, "not_found", "no such file"); }

}  // namespace

std::string_view mime_type_for(std::string_view filename) {
  size_t dot = filename.rfind('.');
  size_t slash = filename.rfind('/');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) {
    return "application/octet-stream";
  }
  std::string_view ext = filename.substr(dot + 1);
  for (const MimeEntry& m : kMimeTypes) {
    if (iequals(ext, m.ext)) return m.type;
  }
  return "application/octet-stream";
}

Result<StaticFiles> StaticFiles::open(const std::string& root) {
  std::error_code ec;
  fs::path canonical = fs::canonical(root, ec);
  if (ec) return Status::NotFound("static directory '" + root + "': " + ec.message());
  if (!fs::is_directory(canonical, ec)) {
    return Status::InvalidArgument("static directory '" + root + "' is not a directory");
  }
  return StaticFiles(canonical);
}

HttpResponse StaticFiles::serve(const HttpRequest& req) const {
  if (req.method != "GET" && req.method != "HEAD") {
    return HttpResponse::error(405, "method_not_allowed", "static files answer GET and HEAD")
        .with_header("Allow", "GET, HEAD");
  }
  if (req.path.find('\\') != std::string::npos || req.path.find('\0') != std::string::npos) {
    return not_found();
  }
  // Build the relative path segment by segment; refuse anything that climbs
  // or names a hidden file.
  fs::path rel;
  std::string_view path = req.path;
  std::string_view last;
  while (!path.empty()) {
    size_t slash = path.find('/');
    std::string_view seg = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
    if (seg.empty()) continue;
    if (seg.front() == '.') return not_found();  // "..", ".", ".env", ".git"
    rel /= std::string(seg);
    last = seg;
  }
  fs::path candidate = root_ / rel;
  std::optional<FileInfo> info = stat_file(candidate);
  if (info && info->is_dir) {
    candidate /= "index.html";
    info = stat_file(candidate);
  }
  if (info && info->is_regular) return serve_file(req, candidate, false);
  // A client-side route ("/chat/42") gets the app; a missing asset stays 404.
  if (last.find('.') == std::string_view::npos) return serve_file(req, root_ / "index.html", true);
  return not_found();
}

HttpResponse StaticFiles::serve_file(const HttpRequest& req, const fs::path& file, bool is_fallback) const {
  std::error_code ec;
  fs::path canonical = fs::canonical(file, ec);
  if (ec || !is_within(root_, canonical)) return not_found();
  std::optional<FileInfo> info = stat_file(canonical);
  if (!info || !info->is_regular) return not_found();
  if (info->size > kMaxFileBytes) return HttpResponse::error(500, "internal", "file too large to serve");

  char etag_buf[64];
  std::snprintf(etag_buf, sizeof etag_buf, "\"%llx-%llx\"", static_cast<unsigned long long>(info->size),
                static_cast<unsigned long long>(info->mtime_ns));
  std::string etag = etag_buf;
  std::string last_modified = http_date(info->mtime_s);
  std::string name = canonical.filename().string();
  bool is_html = mime_type_for(name).substr(0, 9) == "text/html";
  // Vite puts content-hashed bundles under /assets/: cache those for good;
  // everything else must be revalidated (cheap thanks to the ETag).
  bool immutable = !is_fallback && !is_html && req.path.rfind("/assets/", 0) == 0;
  std::string cache = immutable ? "public, max-age=31536000, immutable" : "no-cache";

  bool not_modified = false;
  if (auto inm = req.header("If-None-Match")) {
    not_modified = etag_matches(*inm, etag);
  } else if (auto ims = req.header("If-Modified-Since")) {
    std::optional<int64_t> since = parse_http_date(*ims);
    not_modified = since && info->mtime_s <= *since;
  }
  HttpResponse r;
  r.headers = {{"ETag", etag}, {"Last-Modified", last_modified}, {"Cache-Control", cache}};
  if (not_modified) {
    r.status = 304;
    return r;
  }
  r.status = 200;
  r.headers.emplace_back("Content-Type", std::string(mime_type_for(name)));
  std::ifstream in(canonical, std::ios::binary);
  if (!in) return HttpResponse::error(500, "internal", "cannot read file");
  r.body.resize(info->size);
  in.read(r.body.data(), static_cast<std::streamsize>(r.body.size()));
  r.body.resize(static_cast<size_t>(in.gcount()));
  return r;
}

}  // namespace teamvl::server
