// The team's shared storage (pipeline outputs): every member may list and
// download it; paths are relative to the shared folder and anything that
// could leave it ("..", absolute paths, backslashes) is refused with 400.
#include "server/pipelines/pipeline_runner.h"
#include "server/routes/context.h"

namespace teamvl::server {
namespace {

std::string content_type_for(const std::string& path) {
  auto ends = [&](const char* ext) {
    std::string e = ext;
    return path.size() >= e.size() && path.compare(path.size() - e.size(), e.size(), e) == 0;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".md")) return "text/markdown; charset=utf-8";
  if (ends(".json")) return "application/json";
  if (ends(".png")) return "image/png";
  return "text/plain; charset=utf-8";
}

std::string query(const HttpRequest& req, const char* name) {
  auto it = req.query.find(name);
  return it == req.query.end() ? "" : it->second;
}

}  // namespace

void add_shared_routes(Router& r, ServerContext& ctx, PipelineRunner& runner) {
  r.add("GET", "/api/v1/shared", authed(ctx, Access::kMember, [&runner](HttpRequest& req, Caller&) {
    std::string path = query(req, "path");
    bool recursive = query(req, "recursive") == "1" || query(req, "recursive") == "true";
    auto entries = runner.storage().list(path, recursive);
    if (!entries.ok()) return HttpResponse::from_status(entries.status());
    Json arr = Json::array();
    for (const auto& e : *entries)
      arr.push_back({{"path", e.path}, {"type", e.is_dir ? "dir" : "file"}, {"size_bytes", e.size_bytes},
                     {"modified_at", e.modified_at}});
    return json_response(200, {{"path", path}, {"entries", arr}});
  }));

  r.add("GET", "/api/v1/shared/content", authed(ctx, Access::kMember, [&runner](HttpRequest& req, Caller&) {
    std::string path = query(req, "path");
    if (path.empty()) return HttpResponse::error(400, "invalid_argument", "query parameter 'path' is required");
    auto bytes = runner.storage().read(path);
    if (!bytes.ok()) return HttpResponse::from_status(bytes.status());
    HttpResponse res = HttpResponse::text(200, std::move(*bytes), content_type_for(path));
    // Outputs are model text: never let a browser run them as a page of ours.
    res.with_header("X-Content-Type-Options", "nosniff");
    res.with_header("Content-Security-Policy", "sandbox");
    res.with_header("Cache-Control", "private, no-cache");
    return res;
  }));
}

}  // namespace teamvl::server
