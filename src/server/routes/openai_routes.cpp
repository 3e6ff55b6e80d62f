// OpenAI-compatible POST /v1/chat/completions, streaming and not. It goes
// through the same tasks, scheduler, quotas and budgets as the UI; the wire
// format lives here only.
#include <sodium.h>

#include "server/blob_store.h"
#include "server/routes/context.h"
#include "server/tasks/task_service.h"
#include "server/uploads.h"

namespace teamvl::server {
namespace {

constexpr auto kMaxWait = std::chrono::hours(2);

// The bytes of a "data:<mime>;base64,<data>" URL. Remote URLs are refused:
// the server does not fetch from the network.
Result<std::string> decode_data_url(const std::string& url, const std::string& where) {
  if (url.rfind("data:", 0) != 0)
    return Status::InvalidArgument("'" + where + "': only data: URLs are accepted (the server does not fetch "
                                   "remote images); or upload the file with POST /api/v1/files and pass its id in "
                                   "the task API's file_ids");
  const size_t comma = url.find(',');
  if (comma == std::string::npos || url.substr(0, comma).find(";base64") == std::string::npos)
    return Status::InvalidArgument("'" + where + "': the data URL must be base64 (data:image/png;base64,...)");
  const std::string_view b64 = std::string_view(url).substr(comma + 1);
  std::string bytes(b64.size() / 4 * 3 + 3, '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(), b64.data(), b64.size(),
                        " \r\n", &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0 || len == 0)
    return Status::InvalidArgument("'" + where + "': the data URL is not valid base64");
  bytes.resize(len);
  return bytes;
}

// OpenAI's content is a string or a list of parts; text parts are joined and
// images (data URLs) are stored as the member's files and attached to the
// message (they go before its text).
Status read_openai_messages(ServerContext& ctx, const Caller& c, const Json& body, Json* messages) {
  auto it = body.find("messages");
  if (it == body.end() || !it->is_array() || it->empty())
    return Status::InvalidArgument("'messages' must be a non-empty array");
  *messages = Json::array();
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& m = (*it)[i];
    std::string where = "messages[" + std::to_string(i) + "]";
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string())
      return Status::InvalidArgument("'" + where + ".role' must be a string");
    std::string role = m["role"];
    if (role == "developer") role = "system";
    const Json& content = m.contains("content") ? m["content"] : Json();
    std::string text;
    Json file_ids = Json::array();
    if (content.is_string()) {
      text = content.get<std::string>();
    } else if (content.is_array()) {
      for (size_t k = 0; k < content.size(); ++k) {
        const Json& part = content[k];
        const std::string pwhere = where + ".content[" + std::to_string(k) + "]";
        std::string type = part.is_object() ? part.value("type", "") : "";
        if (type == "text" && part.contains("text") && part["text"].is_string()) {
          text += part["text"].get<std::string>();
        } else if (type == "image_url") {
          const Json* url = nullptr;
          if (part.contains("image_url") && part["image_url"].is_object() && part["image_url"].contains("url"))
            url = &part["image_url"]["url"];
          else if (part.contains("image_url") && part["image_url"].is_string())
            url = &part["image_url"];
          if (!url || !url->is_string())
            return Status::InvalidArgument("'" + pwhere + ".image_url.url' must be a string");
          if (ctx.config.data_dir.empty())
            return Status::FailedPrecondition("image input needs a data directory (data_dir) to keep the images");
          TEAMVL_ASSIGN_OR_RETURN(std::string bytes, decode_data_url(url->get<std::string>(), pwhere));
          BlobStore blobs(BlobStore::root_for_data_dir(ctx.config.data_dir));
          UploadLimits limits{ctx.config.max_image_pixels, ctx.config.max_image_side};
          auto up = accept_upload(ctx.store, blobs, limits, c.user.id, "chat-image", bytes);
          if (!up.ok()) return Status(up.status().code(), "'" + pwhere + "': " + up.status().message());
          file_ids.push_back(up->file.id);
        } else {
          return Status::InvalidArgument("'" + pwhere +
                                         "' must be {\"type\":\"text\",\"text\":...} or "
                                         "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:...\"}}");
        }
      }
    } else {
      return Status::InvalidArgument("'" + where + ".content' must be a string or an array of parts");
    }
    Json out{{"role", role}, {"content", text}};
    if (!file_ids.empty()) out["file_ids"] = file_ids;
    messages->push_back(std::move(out));
  }
  return Status::Ok();
}

// Our task request from an OpenAI body.
Result<TaskRequest> from_openai(ServerContext& ctx, const Caller& c, const Json& body) {
  Json messages;
  TEAMVL_RETURN_IF_ERROR(read_openai_messages(ctx, c, body, &messages));
  TEAMVL_ASSIGN_OR_RETURN(TaskRequest req, parse_task_request(Json{{"messages", messages}}, model_defaults(ctx)));
  Json params = Json::object();
  for (const char* k : {"temperature", "top_p", "seed", "stop", "presence_penalty", "frequency_penalty"})
    if (body.contains(k) && !body[k].is_null()) params[k] = body[k];
  for (const char* k : {"max_completion_tokens", "max_tokens"})
    if (body.contains(k) && !body[k].is_null()) params["max_tokens"] = body[k];
  TEAMVL_RETURN_IF_ERROR(apply_params(params, &req));
  if (body.contains("n") && body["n"] != 1) return Status::InvalidArgument("only n = 1 is supported");
  return req;
}

std::string finish_reason(const Json& done) {
  std::string reason = done.value("reason", "");
  if (reason == "length" || reason == "context") return "length";
  return "stop";
}

Json usage_of(const Json& done) { return done.contains("usage") ? done["usage"] : Json::object(); }

HttpResponse stream_completion(const std::shared_ptr<TaskChannel>& ch, const std::string& id,
                               const std::string& model, int64_t created) {
  auto out = std::make_shared<SseStream>();
  auto chunk = [id, model, created](const Json& delta, const Json& finish) {
    return Json{{"id", id},
                {"object", "chat.completion.chunk"},
                {"created", created},
                {"model", model},
                {"choices", Json::array({{{"index", 0}, {"delta", delta}, {"finish_reason", finish}}})}};
  };
  out->send({"", "", chunk({{"role", "assistant"}, {"content", ""}}, nullptr).dump()});
  ch->subscribe_fn(0, [out, chunk](const SseStream::Event& e) {
    if (e.event == "token") {
      Json t = Json::parse(e.data, nullptr, false);
      return out->send({"", "", chunk({{"content", t.value("text", "")}}, nullptr).dump()});
    }
    if (e.event == "done" || e.event == "error") {
      Json d = Json::parse(e.data, nullptr, false);
      if (d.contains("error") && d.value("state", "") != "done") {
        out->send({"", "", Json{{"error", {{"message", d["error"].value("message", "")},
                                           {"type", d["error"].value("code", "error")}}}}.dump()});
      } else {
        Json last = chunk(Json::object(), finish_reason(d));
        last["usage"] = usage_of(d);
        out->send({"", "", last.dump()});
      }
      out->send({"", "", "[DONE]"});
      out->close();
      return false;
    }
    return !out->closed();
  });
  HttpResponse res;
  res.sse = out;
  return res;
}

}  // namespace

void add_openai_routes(Router& r, ServerContext& ctx) {
  r.add("POST", "/v1/chat/completions", authed(ctx, Access::kWriter, [&ctx](HttpRequest& req, Caller& c) {
    auto body = parse_json_object(req);
    if (!body.ok()) return HttpResponse::from_status(body.status());
    auto request = from_openai(ctx, c, *body);
    if (!request.ok()) return HttpResponse::from_status(request.status());
    auto stream = opt_bool(*body, "stream");
    if (!stream.ok()) return HttpResponse::from_status(stream.status());
    std::optional<scheduler::QuotaDenial> denial;
    auto task = ctx.tasks->submit(c.user, c.api_key_id, store::task_kind::kApi, std::move(request).value(), &denial);
    if (denial) return quota_denied_response(*denial, ctx.clock.now_unix());
    if (!task.ok()) return HttpResponse::from_status(task.status());
    auto ch = ctx.tasks->channel(task->id);
    if (!ch) return HttpResponse::error(500, "internal", "task channel missing");
    std::string id = "chatcmpl-" + std::to_string(task->id);
    const std::string& model = ctx.config.model.id;
    int64_t created = ctx.clock.now_unix();
    if (stream->value_or(false)) return stream_completion(ch, id, model, created);

    if (!ch->wait_finished(kMaxWait)) {
      (void)ctx.tasks->cancel(task->id);
      return HttpResponse::error(504, "deadline_exceeded", "the completion took too long");
    }
    auto done = ctx.store.get_task(task->id);
    if (!done.ok()) return HttpResponse::from_status(done.status());
    if (done->state != store::task_state::kDone) {
      int status = done->state == store::task_state::kTimedOut ? 504 : done->state == store::task_state::kCancelled ? 409 : 500;
      return HttpResponse::error(status, done->error_code.empty() ? done->state : done->error_code,
                                 done->error_message.empty() ? "task " + done->state : done->error_message);
    }
    Json req_json = Json::parse(done->request_json, nullptr, false);
    int64_t max_tokens = req_json["params"].value("max_tokens", 0);
    std::string finish = done->output_tokens >= max_tokens ? "length" : "stop";
    return json_response(
        200, {{"id", id},
              {"object", "chat.completion"},
              {"created", created},
              {"model", model},
              {"choices", Json::array({{{"index", 0},
                                        {"message", {{"role", "assistant"}, {"content", done->result_text}}},
                                        {"finish_reason", finish}}})},
              {"usage", {{"prompt_tokens", done->input_tokens},
                         {"completion_tokens", done->output_tokens},
                         {"total_tokens", done->input_tokens + done->output_tokens}}}});
  }));
}

}  // namespace teamvl::server
