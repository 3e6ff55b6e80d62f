// Images in tasks through the real binary: files attached to a message (task
// API `file_ids`, OpenAI `image_url` data URLs) run through the demo vision
// projector the server generates beside its demo model; plus the engine-fault
// retry path, driven by the TEAMVL_TEST_FAULTS test hook.
#include <chrono>
#include <set>
#include <thread>

#include "api_fixture.h"
#include "test_files.h"

namespace teamvl::testing {
namespace {

class ImagesTest : public ApiTest {
 protected:
  std::vector<std::string> server_args() const override { return {"--max-body-mb", "4"}; }
  std::map<std::string, std::string> server_env() const override { return {{"TEAMVL_TEST_FAULTS", "1"}}; }

  int64_t upload(const Browser& b, const std::string& bytes, const std::string& name) {
    Response r = http(port_, "POST", "/api/v1/files?name=" + name, bytes,
                      {{"Cookie", b.cookie}, {"X-CSRF-Token", b.csrf}, {"Content-Type", "application/octet-stream"}});
    EXPECT_TRUE(r.status == 201 || r.status == 200) << r.body;
    return r.json()["file"].value("id", int64_t{0});
  }

  Json ask(const std::string& text, const Json& file_ids, int max_tokens = 4) {
    Json msg{{"role", "user"}, {"content", text}};
    if (!file_ids.is_null()) msg["file_ids"] = file_ids;
    return Json{{"messages", Json::array({msg})}, {"params", {{"max_tokens", max_tokens}, {"temperature", 0}}}};
  }

  // Submits, waits, returns the finished task (fails the test when refused).
  Json run(const Browser& b, const Json& body) {
    Response r = b.send("POST", "/api/v1/tasks", body);
    EXPECT_EQ(r.status, 202) << r.body;
    if (r.status != 202) return Json();
    return wait_done(b, r.json()["task"]["id"].get<int64_t>());
  }
};

std::string base64(const std::string& bytes) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) v |= static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[v & 63] : '=';
  }
  return out;
}

TEST_F(ImagesTest, AnAttachedImageAndEveryPdfPageBecomeImageTokens) {
  Browser alice = setup_admin();
  const int64_t png = upload(alice, make_png(64, 48, 3), "photo.png");
  const int64_t pdf = upload(alice, make_pdf(2), "two.pdf");
  ASSERT_GT(png, 0);
  ASSERT_GT(pdf, 0);

  Json text_only = run(alice, ask("What is in this picture?", Json()));
  Json with_image = run(alice, ask("What is in this picture?", Json::array({png})));
  Json with_pdf = run(alice, ask("What is in this picture?", Json::array({pdf})));
  ASSERT_EQ(text_only["state"], "done") << text_only.dump();
  ASSERT_EQ(with_image["state"], "done") << with_image.dump();
  ASSERT_EQ(with_pdf["state"], "done") << with_pdf.dump();
  const int64_t base = text_only["input_tokens"];
  const int64_t image = with_image["input_tokens"].get<int64_t>() - base;
  const int64_t pages = with_pdf["input_tokens"].get<int64_t>() - base;
  // 64 x 48 at patch 16, merge 2: a 2 x 2 grid at least (the image's rows
  // plus <|vision_start|>/<|vision_end|>); two wide pages: far more.
  EXPECT_GE(image, 4 + 2) << "image tokens are counted like text tokens";
  EXPECT_GT(pages, 2 * image) << "each page of the PDF is one image";
  EXPECT_EQ(with_image["request"]["messages"][0]["file_ids"], Json::array({png})) << "stored for a restart";

  // A smaller max_image_side gives fewer image tokens for the same page.
  Json small = ask("What is in this picture?", Json::array({pdf}));
  small["params"]["max_image_side"] = 64;
  Json with_small = run(alice, small);
  ASSERT_EQ(with_small["state"], "done") << with_small.dump();
  EXPECT_LT(with_small["input_tokens"].get<int64_t>(), with_pdf["input_tokens"].get<int64_t>());

  // A follow-up question about the same image does not encode it again
  // (MODEL_CACHE is on by default): the encoder count stays where it was.
  const int64_t encodes = alice.get("/api/v1/resources").json()["image_encodes"];
  EXPECT_GE(encodes, 3) << "the image and the two pages were encoded";
  Json again = run(alice, ask("And what colour is it?", Json::array({png})));
  ASSERT_EQ(again["state"], "done") << again.dump();
  EXPECT_EQ(alice.get("/api/v1/resources").json()["image_encodes"], encodes);
  EXPECT_EQ(alice.get("/api/v1/resources").json()["vision"], true);

  // A chat session keeps which files the question had.
  Response s = alice.send("POST", "/api/v1/sessions", {{"title", "pictures"}});
  ASSERT_EQ(s.status, 201) << s.body;
  Json in_session = ask("And this one?", Json::array({png}));
  in_session["session_id"] = s.json()["session"]["id"];
  Json done = run(alice, in_session);
  ASSERT_EQ(done["state"], "done") << done.dump();
  Json msgs = alice.get("/api/v1/sessions/" + std::to_string(s.json()["session"]["id"].get<int64_t>())).json()["messages"];
  ASSERT_GE(msgs.size(), 2u);
  EXPECT_EQ(msgs[0]["file_ids"], Json::array({png}));
}

TEST_F(ImagesTest, ImagesArePreparedAfterTheTaskIsAcceptedAndItCanBeCancelledMeanwhile) {
  Browser admin = setup_admin();
  const int64_t pdf = upload(admin, make_pdf(12), "long.pdf");
  // Accepted at once; the stream says the files are being prepared first.
  Response r = admin.send("POST", "/api/v1/tasks", ask("Summarize.", Json::array({pdf}), 2));
  ASSERT_EQ(r.status, 202) << r.body;
  const int64_t id = r.json()["task"]["id"];
  auto events = read_sse(port_, "/api/v1/tasks/" + std::to_string(id) + "/events", {{"Cookie", admin.cookie}});
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events[0].event, "preparing");
  EXPECT_EQ(Json::parse(events[0].data)["files"], 1);
  EXPECT_EQ(events.back().event, "done");
  EXPECT_EQ(Json::parse(events.back().data)["state"], "done");

  // Cancelled right away (while preparing or just queued): it ends cancelled,
  // on its stream too, and is never run.
  Response c = admin.send("POST", "/api/v1/tasks", ask("Again.", Json::array({pdf}), 2));
  ASSERT_EQ(c.status, 202) << c.body;
  const int64_t cid = c.json()["task"]["id"];
  Response del = admin.send("DELETE", "/api/v1/tasks/" + std::to_string(cid));
  EXPECT_TRUE(del.status == 200 || del.status == 409) << del.body;  // 409: it already ended
  Json t = wait_done(admin, cid);
  if (del.status == 200) {
    EXPECT_EQ(t["state"], "cancelled");
    auto ce = read_sse(port_, "/api/v1/tasks/" + std::to_string(cid) + "/events", {{"Cookie", admin.cookie}}, 20);
    ASSERT_FALSE(ce.empty());
    EXPECT_EQ(ce.back().event, "done");
    EXPECT_EQ(Json::parse(ce.back().data)["state"], "cancelled");
  }
}

TEST_F(ImagesTest, FilesMustBeTheMembersOwnAndWellFormed) {
  Browser admin = setup_admin();
  Browser bob = add_member(admin, "bob@team.example");
  const int64_t png = upload(admin, make_png(32, 32, 1), "mine.png");

  Response other = bob.send("POST", "/api/v1/tasks", ask("whose?", Json::array({png})));
  EXPECT_EQ(other.status, 404) << "another member's file is like a missing one: " << other.body;
  Response missing = bob.send("POST", "/api/v1/tasks", ask("which?", Json::array({987654})));
  EXPECT_EQ(missing.status, 404) << missing.body;

  struct Case {
    const char* name;
    Json body;
    const char* message;
  };
  Json on_assistant = Json{{"messages", Json::array({Json{{"role", "assistant"}, {"content", "x"}, {"file_ids", {png}}},
                                                     Json{{"role", "user"}, {"content", "y"}}})}};
  const Case cases[] = {
      {"not an array", ask("x", "12"), "file_ids"},
      {"not an id", ask("x", Json::array({"12"})), "positive integer"},
      {"zero", ask("x", Json::array({0})), "positive integer"},
      {"too many", ask("x", Json(std::vector<int64_t>(17, png))), "more than 16"},
      {"on an assistant message", on_assistant, "only allowed on user messages"},
      {"top level with messages", Json{{"messages", ask("x", Json())["messages"]}, {"file_ids", {png}}}, "user message"},
      {"image side too small", Json{{"prompt", "x"}, {"params", {{"max_image_side", 8}}}}, "max_image_side"},
  };
  for (const Case& c : cases) {
    Response r = admin.send("POST", "/api/v1/tasks", c.body);
    EXPECT_EQ(r.status, 400) << c.name << ": " << r.body;
    EXPECT_NE(r.body.find(c.message), std::string::npos) << c.name << ": " << r.body;
  }
  // The prompt form takes file_ids at the top level.
  Response top = admin.send("POST", "/api/v1/tasks", Json{{"prompt", "x"}, {"file_ids", {png}}, {"params", {{"max_tokens", 1}}}});
  EXPECT_EQ(top.status, 202) << top.body;
}

TEST_F(ImagesTest, OpenAiImageUrlDataUrlsAreStoredAndAnswered) {
  Browser admin = setup_admin();
  const std::string key = create_key(admin, "script");
  const std::string png = make_png(40, 40, 9);
  Json body{{"model", "any"},
            {"max_tokens", 3},
            {"messages", Json::array({Json{{"role", "user"},
                                           {"content", Json::array({Json{{"type", "text"}, {"text", "What is this?"}},
                                                                    Json{{"type", "image_url"},
                                                                         {"image_url", {{"url", "data:image/png;base64," + base64(png)}}}}})}}})}};
  Response r = with_key(port_, key, "POST", "/v1/chat/completions", body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_GT(r.json()["usage"]["prompt_tokens"].get<int>(), 10);
  Json files = admin.get("/api/v1/files").json()["files"];
  ASSERT_EQ(files.size(), 1u) << "the image is kept as the member's file";
  EXPECT_EQ(files[0]["name"], "chat-image");
  EXPECT_EQ(files[0]["width"], 40);

  auto with_url = [&](const std::string& url) {
    Json b = body;
    b["messages"][0]["content"][1]["image_url"]["url"] = url;
    return with_key(port_, key, "POST", "/v1/chat/completions", b);
  };
  Response remote = with_url("https://example.com/cat.png");
  EXPECT_EQ(remote.status, 400);
  EXPECT_NE(remote.body.find("data: URLs"), std::string::npos) << remote.body;
  Response not_b64 = with_url("data:image/png;base64,***");
  EXPECT_EQ(not_b64.status, 400);
  EXPECT_NE(not_b64.body.find("base64"), std::string::npos) << not_b64.body;
  Response not_image = with_url("data:image/png;base64," + base64("just some text, not a picture"));
  EXPECT_EQ(not_image.status, 400);
  EXPECT_NE(not_image.body.find("unsupported file type"), std::string::npos) << not_image.body;
  Response corrupt = with_url("data:image/png;base64," + base64(png.substr(0, png.size() / 2)));
  EXPECT_EQ(corrupt.status, 400) << corrupt.body;
}

TEST_F(ImagesTest, AnEngineFaultIsRetriedAndRecorded) {
  Browser admin = setup_admin();
  Response r = admin.send("POST", "/api/v1/tasks",
                          Json{{"prompt", "[[inject-engine-fault]] hello"}, {"params", {{"max_tokens", 4}, {"temperature", 0}}}});
  ASSERT_EQ(r.status, 202) << r.body;
  const int64_t id = r.json()["task"]["id"];
  auto events = read_sse(port_, "/api/v1/tasks/" + std::to_string(id) + "/events", {{"Cookie", admin.cookie}});
  std::multiset<std::string> kinds;
  std::string text;
  for (const auto& e : events) {
    kinds.insert(e.event);
    if (e.event == "token") text += Json::parse(e.data)["text"].get<std::string>();
  }
  EXPECT_EQ(kinds.count("retry"), 1u);
  EXPECT_EQ(kinds.count("started"), 2u) << "one start per attempt";
  ASSERT_FALSE(events.empty());
  ASSERT_EQ(events.back().event, "done");
  Json done = Json::parse(events.back().data);
  EXPECT_EQ(done["state"], "done");
  EXPECT_EQ(done["text"], text) << "the failed attempt's tokens are not streamed twice";
  Json t = wait_done(admin, id);
  EXPECT_EQ(t["state"], "done");
  EXPECT_EQ(t["attempts"], 2);

  // Without the marker nothing is injected.
  Json plain = run(admin, Json{{"prompt", "hello"}, {"params", {{"max_tokens", 2}}}});
  EXPECT_EQ(plain["attempts"], 1);
}

// The pixel limit is a setting: an image over it is refused from its header.
class SmallPixelLimitTest : public ImagesTest {
 protected:
  std::vector<std::string> server_args() const override { return {"--max-image-pixels", "300"}; }
};

TEST_F(SmallPixelLimitTest, AnImageOverMaxImagePixelsIs413NamingTheLimit) {
  Browser admin = setup_admin();
  Response ok = http(port_, "POST", "/api/v1/files?name=small.png", make_png(10, 10),
                     {{"Cookie", admin.cookie}, {"X-CSRF-Token", admin.csrf}});
  EXPECT_EQ(ok.status, 201) << ok.body;
  Response big = http(port_, "POST", "/api/v1/files?name=big.png", make_png(20, 20),
                      {{"Cookie", admin.cookie}, {"X-CSRF-Token", admin.csrf}});
  EXPECT_EQ(big.status, 413) << big.body;
  EXPECT_NE(big.body.find("max_image_pixels = 300"), std::string::npos) << big.body;
}

}  // namespace
}  // namespace teamvl::testing
