// A member's workspace: chat sessions, parameter presets and file uploads,
// against the real binary. Images and PDFs are written by hand here, so the
// tests need no fixtures.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness.h"
#include "test_files.h"

namespace teamvl::testing {
namespace {

namespace fs = std::filesystem;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// ------------------------------------------------------------ fixture

constexpr const char* kAdminPassword = "admin-pass-123";

class WorkspaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(dir_.path(), std::vector<std::string>{"--max-body-mb", "1"});
    ASSERT_TRUE(server_->start()) << server_->log();
    port_ = server_->port();
    Response r = http(port_, "POST", "/api/v1/setup",
                      Json{{"token", server_->setup_token()}, {"username", "admin"}, {"password", kAdminPassword}}.dump());
    ASSERT_EQ(r.status, 201) << r.body;
    admin_ = login(port_, "admin", kAdminPassword);
    ASSERT_FALSE(admin_.cookie.empty());
  }
  void TearDown() override {
    if (HasFailure() && server_) std::fprintf(stderr, "--- server log ---\n%s\n", server_->log().c_str());
  }

  Browser add_member(const std::string& name, const std::string& role = "member") {
    Response r = admin_.send("POST", "/api/v1/admin/users", {{"username", name}, {"role", role}});
    EXPECT_EQ(r.status, 201) << r.body;
    std::string temp = r.json()["temporary_password"];
    Browser b = login(port_, name, temp);
    Response ch = b.send("POST", "/api/v1/auth/password", {{"current_password", temp}, {"new_password", name + "-pw-123"}});
    EXPECT_EQ(ch.status, 204) << ch.body;
    return login(port_, name, name + "-pw-123");
  }

  Response upload(const Browser& b, const std::string& bytes, const std::string& content_type,
                  const std::string& name_query = "") {
    std::string path = "/api/v1/files" + (name_query.empty() ? "" : "?name=" + name_query);
    return http(port_, "POST", path, bytes,
                {{"Cookie", b.cookie}, {"X-CSRF-Token", b.csrf}, {"Content-Type", content_type}});
  }

  // The harness serves from <tmp> with --data-dir <tmp>: blobs sit in <tmp>/files.
  std::string blob_file(const std::string& sha) const {
    return dir_.path() + "/files/" + sha.substr(0, 2) + "/" + sha.substr(2);
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  int port_ = 0;
  Browser admin_;
};

std::string id_path(const char* base, int64_t id, const char* suffix = "") {
  return std::string(base) + "/" + std::to_string(id) + suffix;
}

// ------------------------------------------------------------ sessions

TEST_F(WorkspaceTest, SessionsCreateListRenameExportDelete) {
  Browser alice = add_member("alice");
  Response created = alice.send("POST", "/api/v1/sessions", {{"title", "Trip notes: Rome!"}});
  ASSERT_EQ(created.status, 201) << created.body;
  Json s = created.json()["session"];
  int64_t id = s["id"];
  EXPECT_EQ(s["title"], "Trip notes: Rome!");
  EXPECT_GT(s["created_at"].get<int64_t>(), 0);

  Response untitled = alice.send("POST", "/api/v1/sessions");
  ASSERT_EQ(untitled.status, 201) << untitled.body;
  EXPECT_EQ(untitled.json()["session"]["title"], "New chat");

  Json list = alice.get("/api/v1/sessions").json()["sessions"];
  ASSERT_EQ(list.size(), 2u);

  Response one = alice.get(id_path("/api/v1/sessions", id));
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.json()["session"]["id"], id);
  EXPECT_TRUE(one.json()["messages"].is_array());
  EXPECT_TRUE(one.json()["messages"].empty());

  Response renamed = alice.send("PATCH", id_path("/api/v1/sessions", id), {{"title", "Rome, day one"}});
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  EXPECT_EQ(renamed.json()["session"]["title"], "Rome, day one");
  EXPECT_EQ(alice.get(id_path("/api/v1/sessions", id)).json()["session"]["title"], "Rome, day one");
  for (const Json& bad : {Json{{"title", "   "}}, Json{{"title", 5}}, Json::object(), Json{{"title", std::string(201, 'x')}},
                          Json{{"title", "ok"}, {"colour", "red"}}}) {
    Response r = alice.send("PATCH", id_path("/api/v1/sessions", id), bad);
    EXPECT_EQ(r.status, 400) << bad.dump() << " -> " << r.body;
  }
  EXPECT_EQ(alice.send("POST", "/api/v1/sessions", {{"title", 42}}).status, 400);

  Response md = alice.get(id_path("/api/v1/sessions", id, "/export?format=markdown"));
  ASSERT_EQ(md.status, 200) << md.body;
  EXPECT_NE(md.headers["content-type"].find("text/markdown"), std::string::npos);
  EXPECT_EQ(md.headers["content-disposition"], "attachment; filename=\"rome-day-one.md\"");
  EXPECT_EQ(md.body.rfind("# Rome, day one\n", 0), 0u) << md.body;
  EXPECT_NE(md.body.find("_No messages yet._"), std::string::npos) << md.body;
  EXPECT_EQ(alice.get(id_path("/api/v1/sessions", id, "/export")).body, md.body) << "markdown is the default";

  Response js = alice.get(id_path("/api/v1/sessions", id, "/export?format=json"));
  ASSERT_EQ(js.status, 200) << js.body;
  EXPECT_EQ(js.headers["content-disposition"], "attachment; filename=\"rome-day-one.json\"");
  EXPECT_EQ(js.json()["format"], "teamvl.chat/1");
  EXPECT_EQ(js.json()["session"]["title"], "Rome, day one");
  EXPECT_TRUE(js.json()["messages"].empty());
  Response bad_format = alice.get(id_path("/api/v1/sessions", id, "/export?format=pdf"));
  EXPECT_EQ(bad_format.status, 400);
  EXPECT_NE(bad_format.json()["error"]["message"].get<std::string>().find("markdown or json"), std::string::npos);

  EXPECT_EQ(alice.send("DELETE", id_path("/api/v1/sessions", id)).status, 204);
  EXPECT_EQ(alice.get(id_path("/api/v1/sessions", id)).status, 404);
  EXPECT_EQ(alice.send("DELETE", id_path("/api/v1/sessions", id)).status, 404);
  EXPECT_EQ(alice.get("/api/v1/sessions").json()["sessions"].size(), 1u);
}

// ------------------------------------------------------------ presets

TEST_F(WorkspaceTest, PresetsCrudAndEveryFieldValidated) {
  Browser alice = add_member("alice");
  Json params = {{"temperature", 0.2}, {"top_p", 0.9}, {"top_k", 40}, {"max_tokens", 256},
                 {"seed", 7}, {"max_image_side", 1024}, {"system_prompt", "Be terse."}};
  Response created = alice.send("POST", "/api/v1/presets", {{"name", "precise"}, {"params", params}});
  ASSERT_EQ(created.status, 201) << created.body;
  Json p = created.json()["preset"];
  int64_t id = p["id"];
  EXPECT_EQ(p["name"], "precise");
  EXPECT_EQ(p["params"], params);

  Response dup = alice.send("POST", "/api/v1/presets", {{"name", "precise"}, {"params", Json::object()}});
  EXPECT_EQ(dup.status, 409) << dup.body;
  Response creative = alice.send("POST", "/api/v1/presets", {{"name", "creative"}});
  ASSERT_EQ(creative.status, 201) << creative.body;
  EXPECT_EQ(creative.json()["preset"]["params"], Json::object());
  Json list = alice.get("/api/v1/presets").json()["presets"];
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["name"], "creative") << "listed by name";

  struct Bad {
    Json body;
    std::string mention;
  };
  std::vector<Bad> bad = {
      {{{"name", "x"}, {"params", {{"temperature", 2.5}}}}, "params.temperature"},
      {{{"name", "x"}, {"params", {{"top_p", 1.1}}}}, "params.top_p"},
      {{{"name", "x"}, {"params", {{"top_k", 5000}}}}, "params.top_k"},
      {{{"name", "x"}, {"params", {{"min_p", -0.1}}}}, "params.min_p"},
      {{{"name", "x"}, {"params", {{"max_tokens", 0}}}}, "params.max_tokens"},
      {{{"name", "x"}, {"params", {{"repetition_penalty", 3}}}}, "params.repetition_penalty"},
      {{{"name", "x"}, {"params", {{"presence_penalty", -2.5}}}}, "params.presence_penalty"},
      {{{"name", "x"}, {"params", {{"seed", "lucky"}}}}, "params.seed"},
      {{{"name", "x"}, {"params", {{"max_image_side", 16}}}}, "params.max_image_side"},
      {{{"name", "x"}, {"params", {{"system_prompt", std::string(8001, 'a')}}}}, "params.system_prompt"},
      {{{"name", "x"}, {"params", {{"temprature", 1}}}}, "known: temperature, top_p, top_k, min_p, max_tokens"},
      {{{"name", "x"}, {"params", "hot"}}, "'params' must be a JSON object"},
      {{{"params", Json::object()}}, "'name'"},
      {{{"name", "x"}, {"colour", "red"}}, "known: name, params"},
  };
  for (const auto& b : bad) {
    Response r = alice.send("POST", "/api/v1/presets", b.body);
    EXPECT_EQ(r.status, 400) << b.body.dump() << " -> " << r.body;
    std::string msg = r.json()["error"]["message"].is_string() ? r.json()["error"]["message"].get<std::string>() : "";
    EXPECT_NE(msg.find(b.mention), std::string::npos) << b.body.dump() << " -> " << msg;
  }
  EXPECT_EQ(alice.get("/api/v1/presets").json()["presets"].size(), 2u) << "nothing invalid was stored";

  std::string path = id_path("/api/v1/presets", id);
  Response renamed = alice.send("PUT", path, {{"name", "careful"}});
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  EXPECT_EQ(renamed.json()["preset"]["name"], "careful");
  EXPECT_EQ(renamed.json()["preset"]["params"], params) << "params kept when only the name changes";
  Response reparam = alice.send("PUT", path, {{"params", {{"temperature", 1.5}}}});
  ASSERT_EQ(reparam.status, 200) << reparam.body;
  EXPECT_EQ(reparam.json()["preset"]["params"], (Json{{"temperature", 1.5}}));
  EXPECT_EQ(alice.get(path).json()["preset"]["params"]["temperature"], 1.5);
  EXPECT_EQ(alice.send("PUT", path, {{"params", {{"top_p", 7}}}}).status, 400);
  EXPECT_EQ(alice.send("PUT", path, Json::object()).status, 400);
  EXPECT_EQ(alice.send("PUT", path, {{"name", "creative"}}).status, 409);

  EXPECT_EQ(alice.send("DELETE", path).status, 204);
  EXPECT_EQ(alice.get(path).status, 404);
  EXPECT_EQ(alice.get("/api/v1/presets").json()["presets"].size(), 1u);
}

// ------------------------------------------------------------ files

TEST_F(WorkspaceTest, UploadDedupeContentRoundTripAndBlobLifetime) {
  Browser alice = add_member("alice");
  Browser bob = add_member("bob");
  std::string png = make_png(5, 3, 1);

  Response up = upload(alice, png, "image/png", "holiday%20photo.png");
  ASSERT_EQ(up.status, 201) << up.body;
  Json f = up.json()["file"];
  int64_t id = f["id"];
  std::string sha = f["sha256"];
  EXPECT_EQ(f["name"], "holiday photo.png");
  EXPECT_EQ(f["mime"], "image/png");
  EXPECT_EQ(f["kind"], "image");
  EXPECT_EQ(f["size_bytes"], png.size());
  EXPECT_EQ(f["width"], 5);
  EXPECT_EQ(f["height"], 3);
  EXPECT_EQ(f["pages"], 1);
  ASSERT_EQ(sha.size(), 64u);
  EXPECT_EQ(read_file(blob_file(sha)), png) << "content-addressed under <data_dir>/files/ab/cdef…";

  // The same bytes again: the same file, 200.
  Response again = upload(alice, png, "image/png", "copy.png");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.json()["file"]["id"], id);
  EXPECT_EQ(alice.get("/api/v1/files").json()["files"].size(), 1u);

  Response meta = alice.get(id_path("/api/v1/files", id));
  ASSERT_EQ(meta.status, 200);
  EXPECT_EQ(meta.json()["file"], f);
  Response content = alice.get(id_path("/api/v1/files", id, "/content"));
  ASSERT_EQ(content.status, 200);
  EXPECT_EQ(content.headers["content-type"], "image/png");
  EXPECT_EQ(content.body, png) << "byte-equal round trip";

  // Bob uploads the same bytes: his own row, one blob on disk.
  Response bobs = upload(bob, png, "image/png", "b.png");
  ASSERT_EQ(bobs.status, 201) << bobs.body;
  int64_t bob_id = bobs.json()["file"]["id"];
  EXPECT_NE(bob_id, id);

  // A second image, so a delete that removed the wrong blob would show.
  std::string other = make_png(2, 2, 9);
  Response up2 = upload(alice, other, "image/png", "other.png");
  ASSERT_EQ(up2.status, 201) << up2.body;
  std::string other_sha = up2.json()["file"]["sha256"];

  EXPECT_EQ(alice.send("DELETE", id_path("/api/v1/files", id)).status, 204);
  EXPECT_EQ(alice.get(id_path("/api/v1/files", id)).status, 404);
  EXPECT_TRUE(fs::exists(blob_file(sha))) << "bob's row still names the blob";
  EXPECT_EQ(bob.get(id_path("/api/v1/files", bob_id, "/content")).body, png);
  EXPECT_EQ(bob.send("DELETE", id_path("/api/v1/files", bob_id)).status, 204);
  EXPECT_FALSE(fs::exists(blob_file(sha))) << "removed with the last reference";
  EXPECT_TRUE(fs::exists(blob_file(other_sha)));
  EXPECT_EQ(alice.send("DELETE", id_path("/api/v1/files", id)).status, 404);
}

TEST_F(WorkspaceTest, DeletingAMemberRemovesTheirBlobsButKeepsSharedOnes) {
  Browser carol = add_member("carol");
  Browser dave = add_member("dave");
  std::string shared = make_png(4, 4, 2), own = make_png(3, 3, 5);
  Response a = upload(carol, shared, "image/png", "s.png");
  Response b = upload(carol, own, "image/png", "o.png");
  Response c = upload(dave, shared, "image/png", "same.png");
  ASSERT_EQ(a.status, 201) << a.body;
  ASSERT_EQ(b.status, 201) << b.body;
  ASSERT_EQ(c.status, 201) << c.body;
  std::string shared_sha = a.json()["file"]["sha256"], own_sha = b.json()["file"]["sha256"];
  Json users = admin_.get("/api/v1/admin/users").json()["users"];
  int64_t carol_id = 0;
  for (const auto& u : users)
    if (u["username"] == "carol") carol_id = u["id"];
  ASSERT_GT(carol_id, 0);
  Response del = admin_.send("DELETE", "/api/v1/admin/users/" + std::to_string(carol_id));
  ASSERT_EQ(del.status, 204) << del.body;
  EXPECT_FALSE(fs::exists(blob_file(own_sha))) << "only carol had these bytes";
  EXPECT_TRUE(fs::exists(blob_file(shared_sha))) << "dave's row still names this blob";
  EXPECT_EQ(dave.get(id_path("/api/v1/files", c.json()["file"]["id"].get<int64_t>(), "/content")).body, shared);
}

TEST_F(WorkspaceTest, UploadSniffsTheRealTypeAndChecksBeforeStoring) {
  Browser alice = add_member("alice");
  // Valid PNG bytes under a wrong Content-Type: stored as what they are.
  Response wrong_type = upload(alice, make_png(4, 4), "image/jpeg", "x.jpg");
  ASSERT_EQ(wrong_type.status, 201) << wrong_type.body;
  EXPECT_EQ(wrong_type.json()["file"]["mime"], "image/png");
  EXPECT_NE(wrong_type.json()["note"].get<std::string>().find("image/jpeg"), std::string::npos);
  Response octet = upload(alice, make_bmp(3, 2), "application/octet-stream");
  ASSERT_EQ(octet.status, 201) << octet.body;
  EXPECT_EQ(octet.json()["file"]["mime"], "image/bmp");
  EXPECT_EQ(octet.json()["file"]["width"], 3);
  EXPECT_EQ(octet.json()["file"]["height"], 2);
  EXPECT_EQ(octet.json()["file"]["name"], "upload.bmp") << "a name is made up when none is given";
  Response pathy = upload(alice, make_png(1, 1), "image/png", "..%2F..%2Fetc%2Fpasswd");
  ASSERT_EQ(pathy.status, 201) << pathy.body;
  EXPECT_EQ(pathy.json()["file"]["name"], "passwd");

  struct Bad {
    std::string name, bytes;
    int status;
    std::string mention;
  };
  std::string png = make_png(8, 8);
  std::vector<Bad> bad = {
      {"empty", "", 400, "empty upload"},
      {"text", "hello, this is not an image", 400, "unsupported file type"},
      {"truncated png", png.substr(0, png.size() / 2), 400, "not a readable image"},
      {"png with garbage data", std::string("\x89PNG\r\n\x1A\n", 8) + std::string(100, 'x'), 400, "not a readable image"},
      {"bad pdf", "%PDF-1.4\nthis is not really a pdf\n", 400, "PDF"},
  };
  for (const auto& b : bad) {
    Response r = upload(alice, b.bytes, "image/png");
    EXPECT_EQ(r.status, b.status) << b.name << " -> " << r.body;
    std::string msg = r.json()["error"]["message"].is_string() ? r.json()["error"]["message"].get<std::string>() : "";
    EXPECT_NE(msg.find(b.mention), std::string::npos) << b.name << " -> " << msg;
  }

  // A decompression bomb is refused from its header, quickly, naming the limit.
  auto t0 = std::chrono::steady_clock::now();
  Response bomb = upload(alice, make_png_bomb(100000, 100000), "image/png", "bomb.png");
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(bomb.status, 413) << bomb.body;
  EXPECT_NE(bomb.body.find("50000000"), std::string::npos) << bomb.body;
  EXPECT_NE(bomb.body.find("100000x100000"), std::string::npos) << bomb.body;
  EXPECT_LT(seconds, 2.0);

  // Over the server's body limit (1 MiB here): 413 before the handler runs.
  std::string big = raw_exchange(port_, "POST /api/v1/files HTTP/1.1\r\nHost: x\r\nCookie: " + alice.cookie +
                                            "\r\nX-CSRF-Token: " + alice.csrf +
                                            "\r\nContent-Type: image/png\r\nContent-Length: 2097152\r\n\r\nxx");
  EXPECT_NE(big.find(" 413 "), std::string::npos) << big.substr(0, 200);

  // Only the three good uploads were stored, and only their blobs are on disk.
  EXPECT_EQ(alice.get("/api/v1/files").json()["files"].size(), 3u);
  size_t blobs = 0;
  for (auto& e : fs::recursive_directory_iterator(dir_.path() + "/files"))
    if (e.is_regular_file()) ++blobs;
  EXPECT_EQ(blobs, 3u);
}

TEST_F(WorkspaceTest, PdfUploadCountsPagesAndDownloadsAsAttachment) {
  Browser alice = add_member("alice");
  std::string pdf = make_pdf(3);
  Response up = upload(alice, pdf, "application/pdf", "report.pdf");
  ASSERT_EQ(up.status, 201) << up.body;
  Json f = up.json()["file"];
  EXPECT_EQ(f["mime"], "application/pdf");
  EXPECT_EQ(f["kind"], "pdf");
  EXPECT_EQ(f["pages"], 3);
  EXPECT_GT(f["width"].get<int>(), f["height"].get<int>()) << "a landscape first page";
  EXPECT_LE(f["width"].get<int>(), 768);
  Response content = alice.get(id_path("/api/v1/files", f["id"].get<int64_t>(), "/content"));
  ASSERT_EQ(content.status, 200);
  EXPECT_EQ(content.headers["content-type"], "application/pdf");
  EXPECT_EQ(content.headers["content-disposition"].rfind("attachment; filename=\"report.pdf\"", 0), 0u)
      << content.headers["content-disposition"];
  EXPECT_EQ(content.body, pdf);
}

// ------------------------------------------------------------ ownership and roles

TEST_F(WorkspaceTest, MembersGet404ForEachOthersSessionsPresetsAndFiles) {
  Browser alice = add_member("alice");
  Browser bob = add_member("bob");
  int64_t session = bob.send("POST", "/api/v1/sessions", {{"title", "bob's secrets"}}).json()["session"]["id"];
  int64_t preset = bob.send("POST", "/api/v1/presets", {{"name", "bob's"}}).json()["preset"]["id"];
  Response up = upload(bob, make_png(2, 2), "image/png", "bob.png");
  ASSERT_EQ(up.status, 201) << up.body;
  int64_t file = up.json()["file"]["id"];

  struct Case {
    std::string method, path;
    Json body;
  };
  std::vector<Case> cases = {
      {"GET", id_path("/api/v1/sessions", session), {}},
      {"PATCH", id_path("/api/v1/sessions", session), {{"title", "mine now"}}},
      {"DELETE", id_path("/api/v1/sessions", session), {}},
      {"GET", id_path("/api/v1/sessions", session, "/export?format=json"), {}},
      {"GET", id_path("/api/v1/sessions", session, "/export?format=markdown"), {}},
      {"GET", id_path("/api/v1/presets", preset), {}},
      {"PUT", id_path("/api/v1/presets", preset), {{"name", "mine now"}}},
      {"DELETE", id_path("/api/v1/presets", preset), {}},
      {"GET", id_path("/api/v1/files", file), {}},
      {"GET", id_path("/api/v1/files", file, "/content"), {}},
      {"DELETE", id_path("/api/v1/files", file), {}},
      // And objects that do not exist at all look the same.
      {"GET", "/api/v1/sessions/999999", {}},
      {"GET", "/api/v1/presets/999999", {}},
      {"GET", "/api/v1/files/999999/content", {}},
      {"GET", "/api/v1/files/abc", {}},
  };
  for (const auto& c : cases) {
    Response r = c.method == "GET" ? alice.get(c.path) : alice.send(c.method, c.path, c.body);
    EXPECT_EQ(r.status, 404) << c.method << " " << c.path << " -> " << r.body;
    EXPECT_EQ(r.error_code(), "not_found") << c.method << " " << c.path;
    EXPECT_EQ(r.body.find("bob"), std::string::npos) << "nothing of bob's leaks: " << r.body;
  }
  EXPECT_TRUE(alice.get("/api/v1/sessions").json()["sessions"].empty());
  EXPECT_TRUE(alice.get("/api/v1/presets").json()["presets"].empty());
  EXPECT_TRUE(alice.get("/api/v1/files").json()["files"].empty());
  // Bob's objects are untouched.
  EXPECT_EQ(bob.get(id_path("/api/v1/sessions", session)).json()["session"]["title"], "bob's secrets");
  EXPECT_EQ(bob.get(id_path("/api/v1/presets", preset)).json()["preset"]["name"], "bob's");
  EXPECT_EQ(bob.get(id_path("/api/v1/files", file, "/content")).status, 200);
}

TEST_F(WorkspaceTest, ViewersReadButCannotCreateOrChange) {
  Browser viewer = add_member("vera", "viewer");
  EXPECT_EQ(viewer.get("/api/v1/sessions").status, 200);
  EXPECT_EQ(viewer.get("/api/v1/presets").status, 200);
  EXPECT_EQ(viewer.get("/api/v1/files").status, 200);
  Response s = viewer.send("POST", "/api/v1/sessions", {{"title", "x"}});
  EXPECT_EQ(s.status, 403) << s.body;
  EXPECT_EQ(s.error_code(), "permission_denied");
  EXPECT_EQ(viewer.send("POST", "/api/v1/presets", {{"name", "x"}}).status, 403);
  EXPECT_EQ(upload(viewer, make_png(1, 1), "image/png").status, 403);
  // Cookie-authenticated uploads need the CSRF token like any other write.
  Response no_csrf = http(port_, "POST", "/api/v1/files", make_png(1, 1),
                          {{"Cookie", admin_.cookie}, {"Content-Type", "image/png"}});
  EXPECT_EQ(no_csrf.status, 403) << no_csrf.body;
  EXPECT_EQ(http(port_, "GET", "/api/v1/files").status, 401);
}

TEST_F(WorkspaceTest, DeletesAreAuditedWithoutPrivateContent) {
  Browser alice = add_member("alice");
  int64_t session = alice.send("POST", "/api/v1/sessions", {{"title", "very private title"}}).json()["session"]["id"];
  int64_t file = upload(alice, make_png(1, 1), "image/png", "private-name.png").json()["file"]["id"];
  EXPECT_EQ(alice.send("DELETE", id_path("/api/v1/sessions", session)).status, 204);
  EXPECT_EQ(alice.send("DELETE", id_path("/api/v1/files", file)).status, 204);
  Response audit = admin_.get("/api/v1/admin/audit?limit=10");
  ASSERT_EQ(audit.status, 200);
  std::vector<std::string> targets;
  Json entries = audit.json()["entries"];
  for (const auto& e : entries) targets.push_back(e["action"].get<std::string>() + " " + e["target"].get<std::string>());
  EXPECT_NE(std::find(targets.begin(), targets.end(), "session.delete session:" + std::to_string(session)), targets.end());
  EXPECT_NE(std::find(targets.begin(), targets.end(), "file.delete file:" + std::to_string(file)), targets.end());
  EXPECT_EQ(audit.body.find("private"), std::string::npos) << audit.body;
}

}  // namespace
}  // namespace teamvl::testing
