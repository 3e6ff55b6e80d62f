#include "server/chat_export.h"

#include <cctype>
#include <ctime>

namespace teamvl::server {
namespace {

Json opt_id(const std::optional<int64_t>& v) { return v ? Json(*v) : Json(nullptr); }

std::string role_heading(const std::string& role) {
  if (role == "user") return "User";
  if (role == "assistant") return "Assistant";
  if (role == "system") return "System";
  return role;
}

// One line: headings and list items must not break on a newline in a name.
std::string one_line(std::string s) {
  for (auto& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  return s;
}

// A file name as inline code, so Markdown characters in it show as typed.
std::string code_span(const std::string& s) {
  std::string out = one_line(s);
  for (auto& c : out)
    if (c == '`') c = '\'';
  return "`" + out + "`";
}

std::string attachment_line(int64_t id, const AttachedFiles& files) {
  auto it = files.find(id);
  if (it == files.end()) return "- file #" + std::to_string(id) + " (deleted)";
  const auto& f = it->second;
  std::string what = f.kind == "pdf" ? std::to_string(f.pages) + (f.pages == 1 ? " page" : " pages")
                                     : std::to_string(f.width) + "x" + std::to_string(f.height);
  return "- " + code_span(f.name) + " (" + f.kind + ", " + what + ", file #" + std::to_string(id) + ")";
}

}  // namespace

Json session_json(const store::ChatSession& s) {
  return Json{{"id", s.id}, {"title", s.title}, {"created_at", s.created_at}, {"updated_at", s.updated_at}};
}

Json message_json(const store::ChatMessage& m) {
  return Json{{"id", m.id},
              {"session_id", m.session_id},
              {"role", m.role},
              {"content", m.content},
              {"file_ids", m.file_ids},
              {"task_id", opt_id(m.task_id)},
              {"created_at", m.created_at}};
}

std::string utc_minute(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

std::string chat_markdown(const store::ChatSession& s, const std::vector<store::ChatMessage>& messages,
                          const AttachedFiles& files, int64_t exported_at) {
  std::string title = one_line(s.title);
  std::string out = "# " + (title.empty() ? std::string("Untitled chat") : title) + "\n\n";
  out += "_Chat started " + utc_minute(s.created_at) + " · exported from TeamVL " + utc_minute(exported_at) +
         " · " + std::to_string(messages.size()) + (messages.size() == 1 ? " message" : " messages") + "_\n";
  if (messages.empty()) out += "\n_No messages yet._\n";
  for (const auto& m : messages) {
    out += "\n## " + role_heading(m.role) + " · " + utc_minute(m.created_at) + "\n\n";
    if (m.content.empty()) out += "_(empty)_\n";
    else out += m.content + (m.content.back() == '\n' ? "" : "\n");
    if (!m.file_ids.empty()) {
      out += "\nAttachments:\n";
      for (int64_t id : m.file_ids) out += attachment_line(id, files) + "\n";
    }
  }
  return out;
}

Json chat_export_json(const store::ChatSession& s, const std::vector<store::ChatMessage>& messages,
                      const AttachedFiles& files, int64_t exported_at) {
  Json msgs = Json::array();
  for (const auto& m : messages) {
    Json attached = Json::array();
    for (int64_t id : m.file_ids) {
      auto it = files.find(id);
      if (it == files.end()) {
        attached.push_back({{"id", id}, {"deleted", true}});
        continue;
      }
      const auto& f = it->second;
      attached.push_back({{"id", id}, {"name", f.name}, {"mime", f.mime}, {"kind", f.kind}, {"sha256", f.sha256}});
    }
    msgs.push_back({{"id", m.id},
                    {"role", m.role},
                    {"content", m.content},
                    {"files", attached},
                    {"task_id", opt_id(m.task_id)},
                    {"created_at", m.created_at}});
  }
  return Json{{"format", "teamvl.chat/1"}, {"exported_at", exported_at}, {"session", session_json(s)}, {"messages", msgs}};
}

std::string export_file_name(const store::ChatSession& s, std::string_view ext) {
  std::string slug;
  for (char c : s.title) {
    if (slug.size() >= 60) break;
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) && u < 0x80) slug += static_cast<char>(std::tolower(u));
    else if (!slug.empty() && slug.back() != '-') slug += '-';
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  if (slug.empty()) slug = "chat-" + std::to_string(s.id);
  return slug + "." + std::string(ext);
}

}  // namespace teamvl::server
