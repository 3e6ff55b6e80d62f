// JSON views of chat sessions and their messages, and the two export formats
// (Markdown and JSON) a member downloads. Pure functions of store records:
// no I/O, thread-safe. Include only from .cpp files (nlohmann is heavy).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "server/json_io.h"
#include "store/store.h"

namespace teamvl::server {

// {"id","title","created_at","updated_at"}
Json session_json(const store::ChatSession& s);
// {"id","session_id","role","content","file_ids","task_id","created_at"}
Json message_json(const store::ChatMessage& m);

// What an export shows of the files attached to messages, by id. An id
// missing here is a file deleted since (shown as such).
using AttachedFiles = std::map<int64_t, store::FileRecord>;

// "2025-03-04 05:06 UTC"
std::string utc_minute(int64_t unix_seconds);

// The session as a Markdown document: title, dates, then each message under
// a heading with its role and time, attachments listed by name.
std::string chat_markdown(const store::ChatSession& s, const std::vector<store::ChatMessage>& messages,
                          const AttachedFiles& files, int64_t exported_at);

// The session as {"format":"teamvl.chat/1","exported_at","session","messages":[…]};
// each message lists its files as {"id","name","mime","kind","sha256"} or
// {"id","deleted":true}.
Json chat_export_json(const store::ChatSession& s, const std::vector<store::ChatMessage>& messages,
                      const AttachedFiles& files, int64_t exported_at);

// A safe download name from the title ("Trip: Rome!" -> "trip-rome.md");
// "chat-<id>.<ext>" when nothing usable is left.
std::string export_file_name(const store::ChatSession& s, std::string_view ext);

}  // namespace teamvl::server
