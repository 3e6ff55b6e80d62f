#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <regex>

namespace teamvl::testing {

TempDir::TempDir() {
  char tmpl[] = "/tmp/teamvl-test-XXXXXX";
  path_ = mkdtemp(tmpl);
}
TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

namespace {

std::vector<char*> c_args(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

std::string read_all(int fd) {
  std::string s;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<size_t>(n));
  return s;
}

void apply_env(const std::map<std::string, std::string>& env) {
  for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
}

}  // namespace

RunResult run_teamvl(const std::vector<std::string>& args, const std::string& stdin_text,
                     const std::map<std::string, std::string>& env) {
  int in[2], out[2], err[2];
  if (pipe(in) || pipe(out) || pipe(err)) return {};
  std::vector<std::string> argv = {TEAMVL_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) close(fd);
    apply_env(env);
    auto a = c_args(argv);
    execv(a[0], a.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (!stdin_text.empty()) (void)!write(in[1], stdin_text.data(), stdin_text.size());
  close(in[1]);
  RunResult r;
  std::thread t([&] { r.err = read_all(err[0]); });
  r.out = read_all(out[0]);
  t.join();
  close(out[0]);
  close(err[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

ServerProcess::ServerProcess(std::string data_dir, std::vector<std::string> extra,
                             std::map<std::string, std::string> env)
    : data_dir_(std::move(data_dir)), extra_(std::move(extra)), env_(std::move(env)) {}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) kill9();
  if (reader_.joinable()) reader_.join();
}

void ServerProcess::read_output(int fd) {
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) {
    std::lock_guard<std::mutex> lock(mu_);
    log_.append(buf, static_cast<size_t>(n));
  }
  close(fd);
}

bool ServerProcess::start() {
  if (reader_.joinable()) reader_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    log_.clear();
  }
  int out[2];
  if (pipe(out)) return false;
  std::vector<std::string> argv = {TEAMVL_BINARY, "serve", "--host", "127.0.0.1", "--port", "0",
                                   "--data-dir", data_dir_};
  argv.insert(argv.end(), extra_.begin(), extra_.end());
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    dup2(out[1], 2);
    close(out[0]);
    close(out[1]);
    // Run from the data directory so no teamvl.yaml of the developer is read.
    if (chdir(data_dir_.c_str()) != 0) _exit(126);
    apply_env(env_);
    auto a = c_args(argv);
    execv(a[0], a.data());
    _exit(127);
  }
  close(out[1]);
  pid_ = pid;
  reader_ = std::thread([this, fd = out[0]] { read_output(fd); });
  static const std::regex kListening("listening on https?://[^:]+:([0-9]+)");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      std::smatch m;
      if (std::regex_search(log_, m, kListening)) {
        port_ = std::stoi(m[1]);
        return true;
      }
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

int ServerProcess::stop(int sig) {
  if (pid_ <= 0) return -1;
  kill(pid_, sig);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  if (reader_.joinable()) reader_.join();
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void ServerProcess::kill9() { stop(SIGKILL); }

std::string ServerProcess::setup_token() const {
  std::lock_guard<std::mutex> lock(mu_);
  static const std::regex kToken("setup token: ([0-9a-f]+)");
  std::smatch m;
  if (std::regex_search(log_, m, kToken)) return m[1];
  return "";
}

std::string ServerProcess::log() const {
  std::lock_guard<std::mutex> lock(mu_);
  return log_;
}

Json Response::json() const { return Json::parse(body, nullptr, false); }

std::string Response::error_code() const {
  Json j = json();
  if (j.is_object() && j.contains("error") && j["error"].is_object() && j["error"].contains("code"))
    return j["error"]["code"].get<std::string>();
  return "";
}

namespace {

int connect_loopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  timeval tv{30, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

bool send_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

Response parse_response(const std::string& raw) {
  Response r;
  auto end = raw.find("\r\n\r\n");
  if (end == std::string::npos) return r;
  std::string head = raw.substr(0, end);
  std::string rest = raw.substr(end + 4);
  auto line_end = head.find("\r\n");
  std::string status_line = head.substr(0, line_end);
  if (status_line.size() >= 12) r.status = std::stoi(status_line.substr(9, 3));
  size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    auto e = head.find("\r\n", pos);
    if (e == std::string::npos) e = head.size();
    std::string line = head.substr(pos, e - pos);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      if (r.headers.count(name)) r.headers[name] += ", " + value;
      else r.headers[name] = value;
    }
    pos = e + 2;
  }
  if (r.headers["transfer-encoding"].find("chunked") != std::string::npos) {
    std::string body;
    size_t p = 0;
    while (p < rest.size()) {
      auto le = rest.find("\r\n", p);
      if (le == std::string::npos) break;
      size_t n = std::stoul(rest.substr(p, le - p), nullptr, 16);
      if (n == 0) break;
      body += rest.substr(le + 2, n);
      p = le + 2 + n + 2;
    }
    r.body = body;
  } else {
    r.body = rest;
  }
  return r;
}

}  // namespace

std::string raw_exchange(int port, const std::string& bytes) {
  int fd = connect_loopback(port);
  if (fd < 0) return "";
  send_all(fd, bytes);
  shutdown(fd, SHUT_WR);
  std::string out = read_all(fd);
  close(fd);
  return out;
}

Response http(int port, const std::string& method, const std::string& path, const std::string& body,
              const std::map<std::string, std::string>& headers) {
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  bool has_ct = false;
  for (const auto& [k, v] : headers) {
    req += k + ": " + v + "\r\n";
    if (strcasecmp(k.c_str(), "Content-Type") == 0) has_ct = true;
  }
  if (!body.empty() && !has_ct) req += "Content-Type: application/json\r\n";
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH")
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  int fd = connect_loopback(port);
  if (fd < 0) return {};
  send_all(fd, req);
  std::string raw = read_all(fd);
  close(fd);
  return parse_response(raw);
}

std::vector<SseEvent> read_sse(int port, const std::string& path, const std::map<std::string, std::string>& headers,
                               int timeout_s, int* status, const std::string& method, const std::string& body) {
  std::vector<SseEvent> events;
  int fd = connect_loopback(port);
  if (fd < 0) return events;
  timeval tv{timeout_s, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nConnection: close\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  if (!body.empty()) req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  send_all(fd, req);
  std::string raw = read_all(fd);
  close(fd);
  auto head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos) return events;
  if (status && raw.size() >= 12) *status = std::stoi(raw.substr(9, 3));
  std::string rest = raw.substr(head_end + 4);
  SseEvent cur;
  bool any = false;
  size_t pos = 0;
  while (pos < rest.size()) {
    size_t nl = rest.find('\n', pos);
    if (nl == std::string::npos) break;
    std::string line = rest.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) {
      if (any) events.push_back(cur);
      cur = SseEvent();
      any = false;
      continue;
    }
    if (line[0] == ':') continue;
    auto colon = line.find(':');
    std::string field = line.substr(0, colon);
    std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    any = true;
    if (field == "id") cur.id = value;
    else if (field == "event") cur.event = value;
    else if (field == "data") cur.data += (cur.data.empty() ? "" : "\n") + value;
  }
  return events;
}

Response Browser::get(const std::string& path) const {
  return http(port, "GET", path, "", {{"Cookie", cookie}});
}

Response Browser::send(const std::string& method, const std::string& path, const Json& body) const {
  return http(port, method, path, body.is_null() ? "" : body.dump(), {{"Cookie", cookie}, {"X-CSRF-Token", csrf}});
}

Browser login(int port, const std::string& username, const std::string& password, Response* out) {
  Response r = http(port, "POST", "/api/v1/auth/login", Json{{"username", username}, {"password", password}}.dump());
  if (out) *out = r;
  Browser b;
  b.port = port;
  if (r.status != 200) return b;
  std::string sc = r.headers["set-cookie"];
  b.cookie = sc.substr(0, sc.find(';'));
  b.csrf = r.json()["csrf_token"].get<std::string>();
  return b;
}

Response with_key(int port, const std::string& key, const std::string& method, const std::string& path,
                  const Json& body) {
  return http(port, method, path, body.is_null() ? "" : body.dump(), {{"Authorization", "Bearer " + key}});
}

}  // namespace teamvl::testing
