// Test harness for black-box API tests: runs the real teamvl binary as a
// child process and speaks HTTP/1.1 to it over loopback.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace teamvl::testing {

using Json = nlohmann::json;

// A fresh temporary directory, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct RunResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};
// Runs `teamvl args...` to completion with `stdin_text` on standard input.
RunResult run_teamvl(const std::vector<std::string>& args, const std::string& stdin_text = "",
                     const std::map<std::string, std::string>& env = {});

class ServerProcess {
 public:
  // Runs `teamvl serve --host 127.0.0.1 --port 0 --data-dir <data_dir> extra...`.
  explicit ServerProcess(std::string data_dir, std::vector<std::string> extra = {},
                         std::map<std::string, std::string> env = {});
  ~ServerProcess();

  // Starts and waits until the server logs where it listens. False on failure
  // (the log says why).
  bool start();
  // Sends `sig` and waits for the exit; returns the exit code (128+n for a signal).
  int stop(int sig = 15);
  void kill9();
  bool running() const { return pid_ > 0; }

  int port() const { return port_; }
  std::string setup_token() const;
  std::string log() const;

 private:
  void read_output(int fd);

  std::string data_dir_;
  std::vector<std::string> extra_;
  std::map<std::string, std::string> env_;
  int pid_ = -1;
  int port_ = 0;
  std::thread reader_;
  mutable std::mutex mu_;
  std::string log_;  // guarded by mu_
};

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  Json json() const;  // null when the body is not JSON
  std::string error_code() const;  // body.error.code or ""
};

// One request on a fresh connection. `headers` are added as given.
Response http(int port, const std::string& method, const std::string& path, const std::string& body = "",
              const std::map<std::string, std::string>& headers = {});
// Sends raw bytes, returns the raw reply (for malformed-request tests).
std::string raw_exchange(int port, const std::string& bytes);

// A signed-in browser: the session cookie and its CSRF token.
struct Browser {
  int port = 0;
  std::string cookie;
  std::string csrf;
  Response get(const std::string& path) const;
  Response send(const std::string& method, const std::string& path, const Json& body = Json()) const;
};
// Signs in; on failure the returned Browser has an empty cookie.
Browser login(int port, const std::string& username, const std::string& password, Response* out = nullptr);

struct SseEvent {
  std::string id, event, data;
};
// GETs an event stream and reads it until the server ends it (or timeout_s).
// Also returns the response status through *status when given.
std::vector<SseEvent> read_sse(int port, const std::string& path, const std::map<std::string, std::string>& headers,
                               int timeout_s = 60, int* status = nullptr, const std::string& method = "GET",
                               const std::string& body = "");

// Requests with a bearer key.
Response with_key(int port, const std::string& key, const std::string& method, const std::string& path,
                  const Json& body = Json());

}  // namespace teamvl::testing
