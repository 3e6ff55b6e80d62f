#include "server/http/static_files.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "server/http/http_util.h"

namespace teamvl::server {
namespace {
namespace fs = std::filesystem;

void write_file(const fs::path& p, const std::string& content) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
}

std::string header_of(const HttpResponse& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (iequals(k, name)) return v;
  }
  return "";
}

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/teamvl_static_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    root_ = base_ / "ui";
    write_file(root_ / "index.html", "<html>app</html>");
    write_file(root_ / "app.js", "console.log(1)");
    write_file(root_ / "assets" / "main-abc123.css", "body{}");
    write_file(root_ / "docs" / "index.html", "<html>docs</html>");
    write_file(root_ / ".env", "SECRET=1");
    write_file(root_ / "logo.svg", "<svg/>");
    write_file(base_ / "secret.txt", "outside");
    fs::create_symlink(base_ / "secret.txt", root_ / "escape.txt");
    auto files = StaticFiles::open(root_.string());
    ASSERT_TRUE(files.ok()) << files.status().to_string();
    files_.emplace(std::move(files).value());
  }
  void TearDown() override { fs::remove_all(base_); }

  HttpResponse get(std::string path, std::vector<std::pair<std::string, std::string>> headers = {},
                   std::string method = "GET") {
    HttpRequest req;
    req.method = std::move(method);
    req.path = std::move(path);
    req.target = req.path;
    req.headers = std::move(headers);
    return files_->serve(req);
  }

  fs::path base_, root_;
  std::optional<StaticFiles> files_;
};

TEST_F(StaticFilesTest, ServesFilesWithTypes) {
  struct Case {
    const char* path;
    int status;
    const char* body;
    const char* type;
  } cases[] = {
      {"/", 200, "<html>app</html>", "text/html; charset=utf-8"},
      {"/index.html", 200, "<html>app</html>", "text/html; charset=utf-8"},
      {"/app.js", 200, "console.log(1)", "text/javascript; charset=utf-8"},
      {"/assets/main-abc123.css", 200, "body{}", "text/css; charset=utf-8"},
      {"/logo.svg", 200, "<svg/>", "image/svg+xml"},
      {"/docs", 200, "<html>docs</html>", "text/html; charset=utf-8"},
      {"/docs/", 200, "<html>docs</html>", "text/html; charset=utf-8"},
  };
  for (const auto& c : cases) {
    HttpResponse r = get(c.path);
    EXPECT_EQ(r.status, c.status) << c.path;
    EXPECT_EQ(r.body, c.body) << c.path;
    EXPECT_EQ(header_of(r, "Content-Type"), c.type) << c.path;
    EXPECT_FALSE(header_of(r, "ETag").empty()) << c.path;
    EXPECT_FALSE(header_of(r, "Last-Modified").empty()) << c.path;
  }
  EXPECT_EQ(header_of(get("/assets/main-abc123.css"), "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(header_of(get("/index.html"), "Cache-Control"), "no-cache");
}

TEST_F(StaticFilesTest, SpaFallbackOnlyForExtensionlessPaths) {
  HttpResponse r = get("/chat/42");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "<html>app</html>");
  EXPECT_EQ(header_of(r, "Cache-Control"), "no-cache");
  r = get("/team");
  EXPECT_EQ(r.body, "<html>app</html>");
  EXPECT_EQ(get("/assets/missing.js").status, 404);
  EXPECT_EQ(get("/favicon.ico").status, 404);
}

TEST_F(StaticFilesTest, NoWayOut) {
  for (const char* path : {"/../secret.txt", "/../../etc/passwd", "/assets/../../secret.txt", "/.env",
                           "/./index.html", "/escape.txt", "/..", "/a\\..\\secret.txt"}) {
    HttpResponse r = get(path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.body.find("outside"), std::string::npos) << path;
    EXPECT_EQ(r.body.find("SECRET"), std::string::npos) << path;
  }
}

TEST_F(StaticFilesTest, ConditionalRequests) {
  HttpResponse first = get("/app.js");
  std::string etag = header_of(first, "ETag");
  std::string last_modified = header_of(first, "Last-Modified");
  ASSERT_FALSE(etag.empty());
  struct Case {
    std::vector<std::pair<std::string, std::string>> headers;
    int status;
  } cases[] = {
      {{{"If-None-Match", etag}}, 304},
      {{{"If-None-Match", "W/" + etag}}, 304},
      {{{"If-None-Match", "\"other\", " + etag}}, 304},
      {{{"If-None-Match", "*"}}, 304},
      {{{"If-None-Match", "\"other\""}}, 200},
      {{{"If-Modified-Since", last_modified}}, 304},
      {{{"If-Modified-Since", http_date(0)}}, 200},
      {{{"If-Modified-Since", "garbage"}}, 200},
      // If-None-Match wins over If-Modified-Since.
      {{{"If-None-Match", "\"other\""}, {"If-Modified-Since", last_modified}}, 200},
  };
  for (const auto& c : cases) {
    HttpResponse r = get("/app.js", c.headers);
    EXPECT_EQ(r.status, c.status) << c.headers[0].second;
    if (r.status == 304) {
      EXPECT_TRUE(r.body.empty());
      EXPECT_EQ(header_of(r, "ETag"), etag);
    }
  }
  // Changing the file changes the tag.
  write_file(root_ / "app.js", "console.log(22)");
  struct timespec times[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
  utimensat(AT_FDCWD, (root_ / "app.js").c_str(), times, 0);
  HttpResponse changed = get("/app.js", {{"If-None-Match", etag}});
  EXPECT_EQ(changed.status, 200);
  EXPECT_EQ(changed.body, "console.log(22)");
  EXPECT_NE(header_of(changed, "ETag"), etag);
}

TEST_F(StaticFilesTest, MethodsAndOpenErrors) {
  EXPECT_EQ(get("/app.js", {}, "POST").status, 405);
  EXPECT_EQ(get("/app.js", {}, "HEAD").status, 200);
  EXPECT_FALSE(StaticFiles::open((base_ / "missing").string()).ok());
  EXPECT_FALSE(StaticFiles::open((base_ / "secret.txt").string()).ok());
}

TEST(MimeType, Table) {
  EXPECT_EQ(mime_type_for("a.HTML"), "text/html; charset=utf-8");
  EXPECT_EQ(mime_type_for("x.woff2"), "font/woff2");
  EXPECT_EQ(mime_type_for("x.json"), "application/json");
  EXPECT_EQ(mime_type_for("x.wasm"), "application/wasm");
  EXPECT_EQ(mime_type_for("x.unknown"), "application/octet-stream");
  EXPECT_EQ(mime_type_for("noext"), "application/octet-stream");
  EXPECT_EQ(mime_type_for("dir.d/noext"), "application/octet-stream");
}

}  // namespace
}  // namespace teamvl::server
