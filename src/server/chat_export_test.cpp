#include "server/chat_export.h"

#include <gtest/gtest.h>

namespace teamvl::server {
namespace {

constexpr int64_t kT0 = 1700000000;  // 2023-11-14 22:13:20 UTC

store::ChatSession session(std::string title) {
  store::ChatSession s;
  s.id = 7;
  s.user_id = 3;
  s.title = std::move(title);
  s.created_at = kT0;
  s.updated_at = kT0 + 600;
  return s;
}

store::ChatMessage message(int64_t id, std::string role, std::string content, std::vector<int64_t> files = {}) {
  store::ChatMessage m;
  m.id = id;
  m.session_id = 7;
  m.role = std::move(role);
  m.content = std::move(content);
  m.file_ids = std::move(files);
  m.created_at = kT0 + 60 * id;
  return m;
}

store::FileRecord image_file(int64_t id, std::string name) {
  store::FileRecord f;
  f.id = id;
  f.user_id = 3;
  f.sha256 = std::string(64, 'a');
  f.name = std::move(name);
  f.mime = "image/png";
  f.kind = "image";
  f.width = 640;
  f.height = 480;
  f.pages = 1;
  return f;
}

TEST(ChatExportTest, UtcMinuteFormatsInUtc) {
  EXPECT_EQ(utc_minute(0), "1970-01-01 00:00 UTC");
  EXPECT_EQ(utc_minute(kT0), "2023-11-14 22:13 UTC");
}

TEST(ChatExportTest, EmptySessionSaysSo) {
  std::string md = chat_markdown(session("Holiday plans"), {}, {}, kT0 + 600);
  EXPECT_EQ(md.rfind("# Holiday plans\n", 0), 0u) << md;
  EXPECT_NE(md.find("Chat started 2023-11-14 22:13 UTC"), std::string::npos) << md;
  EXPECT_NE(md.find("exported from TeamVL 2023-11-14 22:23 UTC"), std::string::npos) << md;
  EXPECT_NE(md.find("0 messages"), std::string::npos) << md;
  EXPECT_NE(md.find("_No messages yet._"), std::string::npos) << md;
  EXPECT_EQ(md.find("## "), std::string::npos) << md;
}

TEST(ChatExportTest, MessagesInOrderWithRolesTimesAndAttachments) {
  std::vector<store::ChatMessage> msgs = {
      message(1, "system", "Be brief."),
      message(2, "user", "What is in `this` picture?", {11, 12}),
      message(3, "assistant", "A cat on a **mat**.\n"),
      message(4, "assistant", ""),
  };
  AttachedFiles files = {{11, image_file(11, "cat`s photo.png")}};
  std::string md = chat_markdown(session("Cats"), msgs, files, kT0);
  size_t sys = md.find("## System · 2023-11-14 22:14 UTC\n\nBe brief.\n");
  size_t user = md.find("## User · 2023-11-14 22:15 UTC\n\nWhat is in `this` picture?\n");
  size_t asst = md.find("## Assistant · 2023-11-14 22:16 UTC\n\nA cat on a **mat**.\n\n");
  size_t empty = md.find("## Assistant · 2023-11-14 22:17 UTC\n\n_(empty)_\n");
  ASSERT_NE(sys, std::string::npos) << md;
  ASSERT_NE(user, std::string::npos) << md;
  ASSERT_NE(asst, std::string::npos) << md;
  ASSERT_NE(empty, std::string::npos) << md;
  EXPECT_LT(sys, user);
  EXPECT_LT(user, asst);
  EXPECT_LT(asst, empty);
  EXPECT_NE(md.find("4 messages"), std::string::npos);
  // A backtick in a file name cannot break out of its code span.
  EXPECT_NE(md.find("Attachments:\n- `cat's photo.png` (image, 640x480, file #11)\n- file #12 (deleted)\n"),
            std::string::npos)
      << md;
}

TEST(ChatExportTest, PdfAttachmentShowsPages) {
  store::FileRecord pdf = image_file(5, "report.pdf");
  pdf.kind = "pdf";
  pdf.pages = 3;
  std::string md = chat_markdown(session("r"), {message(1, "user", "sum up", {5})}, {{5, pdf}}, kT0);
  EXPECT_NE(md.find("- `report.pdf` (pdf, 3 pages, file #5)"), std::string::npos) << md;
}

TEST(ChatExportTest, TitleIsOneLineAndNeverEmpty) {
  EXPECT_EQ(chat_markdown(session("two\nlines"), {}, {}, kT0).rfind("# two lines\n", 0), 0u);
  EXPECT_EQ(chat_markdown(session(""), {}, {}, kT0).rfind("# Untitled chat\n", 0), 0u);
}

TEST(ChatExportTest, JsonExportCarriesEverything) {
  std::vector<store::ChatMessage> msgs = {message(1, "user", "hi", {11, 12}), message(2, "assistant", "hello")};
  msgs[1].task_id = 99;
  Json j = chat_export_json(session("Greeting"), msgs, {{11, image_file(11, "a.png")}}, kT0);
  EXPECT_EQ(j["format"], "teamvl.chat/1");
  EXPECT_EQ(j["exported_at"], kT0);
  EXPECT_EQ(j["session"]["id"], 7);
  EXPECT_EQ(j["session"]["title"], "Greeting");
  ASSERT_EQ(j["messages"].size(), 2u);
  EXPECT_EQ(j["messages"][0]["role"], "user");
  EXPECT_EQ(j["messages"][0]["content"], "hi");
  EXPECT_EQ(j["messages"][0]["task_id"], nullptr);
  EXPECT_EQ(j["messages"][0]["files"][0]["name"], "a.png");
  EXPECT_EQ(j["messages"][0]["files"][0]["mime"], "image/png");
  EXPECT_EQ(j["messages"][0]["files"][1]["deleted"], true);
  EXPECT_EQ(j["messages"][1]["task_id"], 99);
  EXPECT_EQ(j["messages"][1]["created_at"], kT0 + 120);
}

TEST(ChatExportTest, MessageJsonShape) {
  store::ChatMessage m = message(4, "user", "x", {1, 2});
  Json j = message_json(m);
  EXPECT_EQ(j["id"], 4);
  EXPECT_EQ(j["session_id"], 7);
  EXPECT_EQ(j["file_ids"], Json::array({1, 2}));
  EXPECT_EQ(j["task_id"], nullptr);
}

TEST(ChatExportTest, ExportFileNames) {
  struct Case {
    std::string title, ext, want;
  };
  std::vector<Case> cases = {
      {"Trip: Rome!", "md", "trip-rome.md"},
      {"  spaced   out  ", "json", "spaced-out.json"},
      {"", "md", "chat-7.md"},
      {"日本語", "md", "chat-7.md"},
      {"../../etc/passwd", "md", "etc-passwd.md"},
      {"a\"b;c", "md", "a-b-c.md"},
      {std::string(100, 'x'), "md", std::string(60, 'x') + ".md"},
  };
  for (const auto& c : cases) EXPECT_EQ(export_file_name(session(c.title), c.ext), c.want) << c.title;
}

}  // namespace
}  // namespace teamvl::server
