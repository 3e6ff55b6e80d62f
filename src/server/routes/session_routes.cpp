// Chat sessions: private to their member. List, create, read (with the
// messages), rename, delete and export as Markdown or JSON. Messages are
// added by the task engine when a chat turn runs, never through these routes.
// Another member's session is 404, exactly like one that does not exist.
#include "server/chat_export.h"
#include "server/routes/context.h"

namespace teamvl::server {
namespace {

constexpr size_t kMaxTitleBytes = 200;
constexpr const char* kDefaultTitle = "New chat";

// The caller's own session, or NotFound (also for another member's).
Result<store::ChatSession> own_session(ServerContext& ctx, const HttpRequest& req, const Caller& c) {
  TEAMVL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
  auto s = ctx.store.get_chat_session(id);
  if (!s.ok() || s->user_id != c.user.id) return Status::NotFound("no chat session with id " + std::to_string(id));
  return s;
}

// A title from the request: trimmed, one line, 1..kMaxTitleBytes bytes.
Result<std::string> clean_title(const std::string& raw) {
  std::string t = raw;
  for (auto& ch : t)
    if (ch == '\n' || ch == '\r' || ch == '\t') ch = ' ';
  size_t b = t.find_first_not_of(' '), e = t.find_last_not_of(' ');
  t = b == std::string::npos ? "" : t.substr(b, e - b + 1);
  if (t.empty()) return Status::InvalidArgument("field 'title' must not be blank");
  return t;
}

HttpResponse create_session(ServerContext& ctx, HttpRequest& req, Caller& c) {
  Json body = Json::object();
  if (!req.body.empty()) {
    auto parsed = parse_json_object(req);
    if (!parsed.ok()) return HttpResponse::from_status(parsed.status());
    body = *parsed;
  }
  for (const auto& [k, _] : body.items())
    if (k != "title") return HttpResponse::error(400, "invalid_argument", "unknown field '" + k + "' (known: title)");
  auto title = opt_string(body, "title", kMaxTitleBytes);
  if (!title.ok()) return HttpResponse::from_status(title.status());
  std::string t = kDefaultTitle;
  if (*title) {
    auto cleaned = clean_title(**title);
    if (!cleaned.ok()) return HttpResponse::from_status(cleaned.status());
    t = *cleaned;
  }
  store::ChatSession s;
  s.user_id = c.user.id;
  s.title = t;
  auto created = ctx.store.create_chat_session(s);
  if (!created.ok()) return HttpResponse::from_status(created.status());
  return json_response(201, {{"session", session_json(*created)}});
}

HttpResponse get_session(ServerContext& ctx, HttpRequest& req, Caller& c) {
  auto s = own_session(ctx, req, c);
  if (!s.ok()) return HttpResponse::from_status(s.status());
  auto messages = ctx.store.list_chat_messages(s->id);
  if (!messages.ok()) return HttpResponse::from_status(messages.status());
  Json arr = Json::array();
  for (const auto& m : *messages) arr.push_back(message_json(m));
  return json_response(200, {{"session", session_json(*s)}, {"messages", arr}});
}

HttpResponse rename_session(ServerContext& ctx, HttpRequest& req, Caller& c) {
  auto s = own_session(ctx, req, c);
  if (!s.ok()) return HttpResponse::from_status(s.status());
  auto body = parse_json_object(req);
  if (!body.ok()) return HttpResponse::from_status(body.status());
  for (const auto& [k, _] : body->items())
    if (k != "title") return HttpResponse::error(400, "invalid_argument", "unknown field '" + k + "' (known: title)");
  auto title = req_string(*body, "title", kMaxTitleBytes);
  if (!title.ok()) return HttpResponse::from_status(title.status());
  auto cleaned = clean_title(*title);
  if (!cleaned.ok()) return HttpResponse::from_status(cleaned.status());
  if (Status st = ctx.store.rename_chat_session(s->id, *cleaned); !st.ok()) return HttpResponse::from_status(st);
  s->title = *cleaned;
  return json_response(200, {{"session", session_json(*s)}});
}

HttpResponse delete_session(ServerContext& ctx, HttpRequest& req, Caller& c) {
  auto s = own_session(ctx, req, c);
  if (!s.ok()) return HttpResponse::from_status(s.status());
  // The audit entry names the session only: titles and messages stay private.
  Status st = ctx.store.in_transaction([&]() -> Status {
    TEAMVL_RETURN_IF_ERROR(ctx.store.delete_chat_session(s->id));
    return audit(ctx, &c, req, "session.delete", "session:" + std::to_string(s->id), Json::object());
  });
  if (!st.ok()) return HttpResponse::from_status(st);
  HttpResponse res;
  res.status = 204;
  return res;
}

// The files the messages name that the caller still owns.
AttachedFiles attached_files(ServerContext& ctx, const Caller& c, const std::vector<store::ChatMessage>& messages) {
  AttachedFiles files;
  for (const auto& m : messages)
    for (int64_t id : m.file_ids) {
      if (files.count(id)) continue;
      auto f = ctx.store.get_file(id);
      if (f.ok() && f->user_id == c.user.id) files.emplace(id, *f);
    }
  return files;
}

HttpResponse export_session(ServerContext& ctx, HttpRequest& req, Caller& c) {
  auto s = own_session(ctx, req, c);
  if (!s.ok()) return HttpResponse::from_status(s.status());
  auto fmt = req.query.find("format");
  std::string format = fmt == req.query.end() ? "markdown" : fmt->second;
  if (format == "md") format = "markdown";
  if (format != "markdown" && format != "json")
    return HttpResponse::error(400, "invalid_argument", "query parameter 'format' must be markdown or json");
  auto messages = ctx.store.list_chat_messages(s->id);
  if (!messages.ok()) return HttpResponse::from_status(messages.status());
  AttachedFiles files = attached_files(ctx, c, *messages);
  int64_t now = ctx.clock.now_unix();
  HttpResponse res;
  if (format == "json") {
    res = json_response(200, chat_export_json(*s, *messages, files, now));
  } else {
    res = HttpResponse::text(200, chat_markdown(*s, *messages, files, now), "text/markdown; charset=utf-8");
  }
  std::string name = export_file_name(*s, format == "json" ? "json" : "md");
  res.with_header("Content-Disposition", "attachment; filename=\"" + name + "\"");
  res.with_header("Cache-Control", "private, no-store");
  return res;
}

}  // namespace

void add_chat_session_routes(Router& r, ServerContext& ctx) {
  r.add("GET", "/api/v1/sessions", authed(ctx, Access::kMember, [&ctx](HttpRequest&, Caller& c) {
    auto sessions = ctx.store.list_chat_sessions(c.user.id);
    if (!sessions.ok()) return HttpResponse::from_status(sessions.status());
    Json arr = Json::array();
    for (const auto& s : *sessions) arr.push_back(session_json(s));
    return json_response(200, {{"sessions", arr}});
  }));
  r.add("POST", "/api/v1/sessions", authed(ctx, Access::kWriter, [&ctx](HttpRequest& req, Caller& c) {
    return create_session(ctx, req, c);
  }));
  r.add("GET", "/api/v1/sessions/{id}", authed(ctx, Access::kMember, [&ctx](HttpRequest& req, Caller& c) {
    return get_session(ctx, req, c);
  }));
  r.add("PATCH", "/api/v1/sessions/{id}", authed(ctx, Access::kWriter, [&ctx](HttpRequest& req, Caller& c) {
    return rename_session(ctx, req, c);
  }));
  r.add("DELETE", "/api/v1/sessions/{id}", authed(ctx, Access::kWriter, [&ctx](HttpRequest& req, Caller& c) {
    return delete_session(ctx, req, c);
  }));
  r.add("GET", "/api/v1/sessions/{id}/export", authed(ctx, Access::kMember, [&ctx](HttpRequest& req, Caller& c) {
    return export_session(ctx, req, c);
  }));
}

}  // namespace teamvl::server
