// Chat sessions (private per member) and their messages. A message's
// attachments are kept as a JSON array of file ids in one column.
#include <nlohmann/json.hpp>

#include <string>
#include <utility>

#include "store/sqlite/sqlite_store.h"

namespace teamvl::store::sqlite {

namespace {

constexpr const char* kSessionColumns =
    "SELECT id, user_id, title, created_at, updated_at FROM chat_sessions ";
constexpr const char* kMessageColumns =
    "SELECT id, session_id, role, content, file_ids, task_id, created_at FROM chat_messages ";

ChatSession read_session(const Statement& s) {
  ChatSession c;
  c.id = s.int64(0);
  c.user_id = s.int64(1);
  c.title = s.text(2);
  c.created_at = s.int64(3);
  c.updated_at = s.int64(4);
  return c;
}

std::string encode_file_ids(const std::vector<int64_t>& ids) {
  return nlohmann::json(ids).dump();
}

// The column is written only by encode_file_ids; anything else (a hand-made
// edit) reads as no attachments rather than failing the whole history.
std::vector<int64_t> decode_file_ids(const std::string& text) {
  std::vector<int64_t> ids;
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) return ids;
  for (const auto& v : j) {
    if (v.is_number_integer()) ids.push_back(v.get<int64_t>());
  }
  return ids;
}

ChatMessage read_message(const Statement& s) {
  ChatMessage m;
  m.id = s.int64(0);
  m.session_id = s.int64(1);
  m.role = s.text(2);
  m.content = s.text(3);
  m.file_ids = decode_file_ids(s.text(4));
  m.task_id = s.opt_int64(5);
  m.created_at = s.int64(6);
  return m;
}

bool is_message_role(const std::string& role) {
  return role == "system" || role == "user" || role == "assistant";
}

std::string session_not_found(int64_t id) {
  return "no chat session with id " + std::to_string(id);
}

}  // namespace

Result<ChatSession> SqliteStore::create_chat_session(const ChatSession& s) {
  Lock lock(mu_);
  ChatSession out = s;
  if (out.created_at == 0) out.created_at = now();
  if (out.updated_at == 0) out.updated_at = out.created_at;
  Status st = db_->exec(
      "INSERT INTO chat_sessions (user_id, title, created_at, updated_at) VALUES (?, ?, ?, ?)",
      out.user_id, out.title, out.created_at, out.updated_at);
  if (!st.ok()) {
    return with_message(std::move(st), StatusCode::kNotFound,
                        "no user with id " + std::to_string(s.user_id));
  }
  out.id = db_->last_insert_rowid();
  return out;
}

Result<ChatSession> SqliteStore::get_chat_session(int64_t id) {
  Lock lock(mu_);
  TEAMVL_ASSIGN_OR_RETURN(Statement stmt,
                          db_->prepare(std::string(kSessionColumns) + "WHERE id = ?"));
  TEAMVL_RETURN_IF_ERROR(stmt.bind(id));
  TEAMVL_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return Status::NotFound(session_not_found(id));
  return read_session(stmt);
}

Result<std::vector<ChatSession>> SqliteStore::list_chat_sessions(int64_t user_id) {
  Lock lock(mu_);
  TEAMVL_ASSIGN_OR_RETURN(
      Statement stmt, db_->prepare(std::string(kSessionColumns) +
                                   "WHERE user_id = ? ORDER BY updated_at DESC, id DESC"));
  TEAMVL_RETURN_IF_ERROR(stmt.bind(user_id));
  return stmt.collect(read_session);
}

Status SqliteStore::rename_chat_session(int64_t id, const std::string& title) {
  Lock lock(mu_);
  TEAMVL_RETURN_IF_ERROR(db_->exec("UPDATE chat_sessions SET title = ? WHERE id = ?", title, id));
  if (db_->changes() == 0) return Status::NotFound(session_not_found(id));
  return Status::Ok();
}

Status SqliteStore::delete_chat_session(int64_t id) {
  Lock lock(mu_);
  // Messages go with it (CASCADE); its tasks stay with session_id NULL.
  TEAMVL_RETURN_IF_ERROR(db_->exec("DELETE FROM chat_sessions WHERE id = ?", id));
  if (db_->changes() == 0) return Status::NotFound(session_not_found(id));
  return Status::Ok();
}

Result<ChatMessage> SqliteStore::add_chat_message(const ChatMessage& m) {
  if (!is_message_role(m.role)) {
    return Status::InvalidArgument("message role must be system, user or assistant, not '" +
                                   m.role + "'");
  }
  Lock lock(mu_);
  ChatMessage out = m;
  if (out.created_at == 0) out.created_at = now();
  TEAMVL_RETURN_IF_ERROR(db_->transaction([&]() -> Status {
    Status st = db_->exec(
        "INSERT INTO chat_messages (session_id, role, content, file_ids, task_id, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        out.session_id, out.role, out.content, encode_file_ids(out.file_ids), out.task_id,
        out.created_at);
    if (!st.ok()) {
      return with_message(std::move(st), StatusCode::kNotFound,
                          session_not_found(m.session_id) + " (or the message's task does "
                                                            "not exist)");
    }
    out.id = db_->last_insert_rowid();
    return db_->exec("UPDATE chat_sessions SET updated_at = ? WHERE id = ?", out.created_at,
                     out.session_id);
  }));
  return out;
}

Result<std::vector<ChatMessage>> SqliteStore::list_chat_messages(int64_t session_id) {
  Lock lock(mu_);
  TEAMVL_ASSIGN_OR_RETURN(Statement stmt, db_->prepare(std::string(kMessageColumns) +
                                                       "WHERE session_id = ? ORDER BY id"));
  TEAMVL_RETURN_IF_ERROR(stmt.bind(session_id));
  TEAMVL_ASSIGN_OR_RETURN(std::vector<ChatMessage> messages, stmt.collect(read_message));
  // An empty list is either a new session or none at all: tell them apart.
  if (messages.empty()) TEAMVL_RETURN_IF_ERROR(get_chat_session(session_id).status());
  return messages;
}

Status SqliteStore::update_chat_message_content(int64_t id, const std::string& content) {
  Lock lock(mu_);
  return db_->transaction([&]() -> Status {
    TEAMVL_RETURN_IF_ERROR(
        db_->exec("UPDATE chat_messages SET content = ? WHERE id = ?", content, id));
    if (db_->changes() == 0) {
      return Status::NotFound("no chat message with id " + std::to_string(id));
    }
    return db_->exec(
        "UPDATE chat_sessions SET updated_at = ? WHERE id = "
        "(SELECT session_id FROM chat_messages WHERE id = ?)",
        now(), id);
  });
}

}  // namespace teamvl::store::sqlite
