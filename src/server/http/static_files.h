// Serves the web UI's built files from one directory: correct Content-Type,
// ETag/Last-Modified with 304 answers, no way out of the directory (".."
// segments, encoded or not, dot-files and symlinks leading outside all give
// 404), and a single-page-app fallback: a path with no file extension that
// names no file gets the root index.html. Immutable after open(); thread-safe.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/status.h"
#include "server/http/http.h"

namespace teamvl::server {

// The Content-Type for a file name, by extension ("application/octet-stream"
// when unknown); text types carry "; charset=utf-8".
std::string_view mime_type_for(std::string_view filename);

class StaticFiles {
 public:
  // `root` must be an existing directory.
  static Result<StaticFiles> open(const std::string& root);

  // Answers a GET or HEAD for req.path (decoded). Reads the file from disk:
  // blocking, call it from a handler thread.
  HttpResponse serve(const HttpRequest& req) const;

  // Files larger than this are refused (500): the UI bundle is small.
  static constexpr size_t kMaxFileBytes = 128u << 20;

 private:
  explicit StaticFiles(std::filesystem::path root) : root_(std::move(root)) {}
  HttpResponse serve_file(const HttpRequest& req, const std::filesystem::path& file, bool is_fallback) const;

  std::filesystem::path root_;  // canonical
};

}  // namespace teamvl::server
