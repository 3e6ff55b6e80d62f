#include "server/tasks/task_request.h"

#include "engine/tokenizer/utf8.h"

namespace teamvl::server {

namespace {
constexpr size_t kMaxMessages = 512;
constexpr size_t kMaxContentBytes = 1 << 20;
constexpr int32_t kMaxTokensLimit = 32768;

// "file_ids": positive integers, at most kMaxFilesPerMessage.
Result<std::vector<int64_t>> read_file_ids(const Json& holder, const std::string& where) {
  std::vector<int64_t> ids;
  auto it = holder.find("file_ids");
  if (it == holder.end() || it->is_null()) return ids;
  if (!it->is_array()) return Status::InvalidArgument("'" + where + "file_ids' must be an array of file ids");
  if (it->size() > kMaxFilesPerMessage)
    return Status::InvalidArgument("'" + where + "file_ids' has more than " + std::to_string(kMaxFilesPerMessage) +
                                   " files");
  for (const Json& id : *it) {
    if (!id.is_number_integer() || id.get<int64_t>() < 1)
      return Status::InvalidArgument("'" + where + "file_ids' must hold positive integer file ids (got " +
                                     id.dump() + ")");
    ids.push_back(id.get<int64_t>());
  }
  return ids;
}

Status read_messages(const Json& arr, TaskRequest* req) {
  if (!arr.is_array() || arr.empty()) return Status::InvalidArgument("'messages' must be a non-empty array");
  if (arr.size() > kMaxMessages)
    return Status::InvalidArgument("'messages' has more than " + std::to_string(kMaxMessages) + " entries");
  for (size_t i = 0; i < arr.size(); ++i) {
    const Json& m = arr[i];
    std::string where = "messages[" + std::to_string(i) + "]";
    if (!m.is_object()) return Status::InvalidArgument("'" + where + "' must be an object");
    auto role = m.find("role");
    if (role == m.end() || !role->is_string() ||
        (*role != "system" && *role != "user" && *role != "assistant"))
      return Status::InvalidArgument("'" + where + ".role' must be system, user or assistant");
    auto content = m.find("content");
    if (content == m.end() || !content->is_string())
      return Status::InvalidArgument("'" + where + ".content' must be a string");
    if (content->get_ref<const std::string&>().size() > kMaxContentBytes)
      return Status::TooLarge("'" + where + ".content' is larger than 1 MiB");
    TEAMVL_ASSIGN_OR_RETURN(std::vector<int64_t> files, read_file_ids(m, where + "."));
    if (!files.empty() && *role != "user")
      return Status::InvalidArgument("'" + where + ".file_ids' is only allowed on user messages");
    req->messages.push_back({role->get<std::string>(), content->get<std::string>(), std::move(files)});
  }
  if (req->messages.back().role == "assistant")
    return Status::InvalidArgument("the last message must be from the user or the system");
  return Status::Ok();
}
}  // namespace

Status apply_params(const Json& p, TaskRequest* req) {
  if (!p.is_object()) return Status::InvalidArgument("'params' must be an object");
  static const std::vector<std::string> kKnown = {"temperature", "top_p", "top_k", "min_p", "max_tokens", "seed",
                                                  "stop", "repetition_penalty", "presence_penalty",
                                                  "frequency_penalty", "max_image_side"};
  for (const auto& [k, _] : p.items())
    if (std::find(kKnown.begin(), kKnown.end(), k) == kKnown.end()) {
      std::string list;
      for (const auto& n : kKnown) list += (list.empty() ? "" : ", ") + n;
      return Status::InvalidArgument("unknown parameter '" + k + "' (known: " + list + ")");
    }
  auto& s = req->sampling;
  TEAMVL_ASSIGN_OR_RETURN(auto temp, opt_number(p, "temperature", 0, 2));
  TEAMVL_ASSIGN_OR_RETURN(auto top_p, opt_number(p, "top_p", 0, 1));
  TEAMVL_ASSIGN_OR_RETURN(auto top_k, opt_int(p, "top_k", 0, 1000));
  TEAMVL_ASSIGN_OR_RETURN(auto min_p, opt_number(p, "min_p", 0, 1));
  TEAMVL_ASSIGN_OR_RETURN(auto max_tokens, opt_int(p, "max_tokens", 1, kMaxTokensLimit));
  TEAMVL_ASSIGN_OR_RETURN(auto seed, opt_int(p, "seed", 0, INT64_MAX));
  TEAMVL_ASSIGN_OR_RETURN(auto rep, opt_number(p, "repetition_penalty", 0.5, 2));
  TEAMVL_ASSIGN_OR_RETURN(auto pres, opt_number(p, "presence_penalty", -2, 2));
  TEAMVL_ASSIGN_OR_RETURN(auto freq, opt_number(p, "frequency_penalty", -2, 2));
  TEAMVL_ASSIGN_OR_RETURN(auto side, opt_int(p, "max_image_side", 32, 4096));
  if (side) req->max_image_side = static_cast<int>(*side);
  if (temp) s.temperature = static_cast<float>(*temp);
  if (top_p) s.top_p = static_cast<float>(*top_p);
  if (top_k) s.top_k = static_cast<int32_t>(*top_k);
  if (min_p) s.min_p = static_cast<float>(*min_p);
  if (max_tokens) req->max_tokens = static_cast<int32_t>(*max_tokens);
  if (seed) s.seed = static_cast<uint64_t>(*seed);
  if (rep) s.repetition_penalty = static_cast<float>(*rep);
  if (pres) s.presence_penalty = static_cast<float>(*pres);
  if (freq) s.frequency_penalty = static_cast<float>(*freq);
  if (auto stop = p.find("stop"); stop != p.end() && !stop->is_null()) {
    req->stop.clear();
    if (stop->is_string()) req->stop.push_back(stop->get<std::string>());
    else if (stop->is_array() && stop->size() <= 8) {
      for (const auto& x : *stop) {
        if (!x.is_string() || x.get_ref<const std::string&>().empty() || x.get_ref<const std::string&>().size() > 256)
          return Status::InvalidArgument("'stop' entries must be strings of 1 to 256 bytes");
        req->stop.push_back(x.get<std::string>());
      }
    } else {
      return Status::InvalidArgument("'stop' must be a string or an array of at most 8 strings");
    }
  }
  return s.validate();
}

Result<TaskRequest> parse_task_request(const Json& body, const Json& defaults) {
  TaskRequest req;
  if (defaults.is_object()) {
    Json sampling = Json::object();
    for (const auto& [k, v] : defaults.items())
      if (k != "system_prompt" && !v.is_null()) sampling[k] = v;
    if (Status st = apply_params(sampling, &req); !st.ok())
      return Status::Internal("the team's model defaults are invalid: " + st.message());
  }
  auto messages = body.find("messages");
  auto prompt = body.find("prompt");
  if (messages != body.end() && prompt != body.end())
    return Status::InvalidArgument("give either 'messages' or 'prompt', not both");
  if (messages != body.end()) {
    TEAMVL_RETURN_IF_ERROR(read_messages(*messages, &req));
  } else {
    TEAMVL_ASSIGN_OR_RETURN(std::string text, req_string(body, "prompt", kMaxContentBytes));
    TEAMVL_ASSIGN_OR_RETURN(std::vector<int64_t> files, read_file_ids(body, ""));
    req.messages.push_back({"user", text, std::move(files)});
  }
  if (messages != body.end() && body.contains("file_ids"))
    return Status::InvalidArgument("with 'messages', put 'file_ids' on the user message they belong to");
  if (auto p = body.find("params"); p != body.end() && !p->is_null()) TEAMVL_RETURN_IF_ERROR(apply_params(*p, &req));
  if (defaults.is_object() && defaults.contains("system_prompt") && defaults["system_prompt"].is_string() &&
      !defaults["system_prompt"].get<std::string>().empty()) {
    bool has_system = false;
    for (const auto& m : req.messages) has_system = has_system || m.role == "system";
    if (!has_system) req.messages.insert(req.messages.begin(), {"system", defaults["system_prompt"].get<std::string>(), {}});
  }
  TEAMVL_ASSIGN_OR_RETURN(auto session, opt_int(body, "session_id", 1, INT64_MAX));
  TEAMVL_ASSIGN_OR_RETURN(auto priority, opt_int(body, "priority", 0, 3));
  TEAMVL_ASSIGN_OR_RETURN(auto timeout, opt_int(body, "timeout_s", 1, 7 * 86400));
  TEAMVL_ASSIGN_OR_RETURN(auto label, opt_string(body, "label", 200));
  req.session_id = session;
  if (priority) req.priority = static_cast<int>(*priority);
  req.timeout_s = timeout;
  req.label = label.value_or("");
  if (req.label.empty()) {
    const std::string& first = req.messages.back().content;
    // The first 60 bytes, never cutting a UTF-8 character in half.
    req.label = engine::split_complete_utf8(std::string_view(first).substr(0, 60), false).text;
  }
  return req;
}

size_t TaskRequest::file_count() const {
  size_t n = 0;
  for (const auto& m : messages) n += m.file_ids.size();
  return n;
}

Json TaskRequest::to_json() const {
  Json msgs = Json::array();
  for (const auto& m : messages) {
    Json jm{{"role", m.role}, {"content", m.content}};
    if (!m.file_ids.empty()) jm["file_ids"] = m.file_ids;
    msgs.push_back(std::move(jm));
  }
  Json params{{"temperature", sampling.temperature}, {"top_p", sampling.top_p},     {"top_k", sampling.top_k},
              {"min_p", sampling.min_p},             {"max_tokens", max_tokens},    {"seed", sampling.seed},
              {"repetition_penalty", sampling.repetition_penalty},
              {"presence_penalty", sampling.presence_penalty},
              {"frequency_penalty", sampling.frequency_penalty},
              {"stop", stop}};
  if (max_image_side) params["max_image_side"] = *max_image_side;
  Json j{{"messages", msgs}, {"params", params}, {"label", label}};
  if (session_id) j["session_id"] = *session_id;
  if (priority) j["priority"] = *priority;
  if (timeout_s) j["timeout_s"] = *timeout_s;
  return j;
}

}  // namespace teamvl::server
