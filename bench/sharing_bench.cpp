// teamvl_sharing_bench: does one member's flood freeze everybody else's chat?
// Runs the same seeded workload against a fresh `teamvl serve --scheduler fifo`
// and then `--scheduler fair` on loopback, and prints both side by side.
//
//   teamvl_sharing_bench [--members N] [--tasks-per-member N] [--flood-tasks N]
//                        [--mean-gap S] [--long-words N] [--budget-gib G]
//                        [--duration-cap S] [--model FILE] [--seed N]
//                        [--policies fifo,fair] [--threads N] [--json FILE]
//                        [--server-arg ARG]... [--binary PATH] [--strict] [--self-test]
//
// Member "flood" sends a burst of long prompts (~370 tokens, 64 output tokens;
// 10 x --tasks-per-member of them) at t=0. The others ("chat1".."chatN-1")
// send --tasks-per-member short chats (16-32 output tokens) with Poisson
// arrivals. Every task is one thread that submits it (POST /api/v1/tasks) and
// reads its SSE stream, stamping each event as it arrives. Per member and
// policy the report gives tasks done, time to first token p50/p95, output
// tokens/s while backlogged, and the service gap: the longest time the member
// had a task in flight and received no token.
//
// Members are made with `teamvl admin` in a temporary data directory; an admin
// key then sets every member's quota (max_concurrent 1000, so the flood is
// accepted, and --budget-gib of KV memory, the GPU_MEM_PER_USER knob: with the
// demo model's 4 KiB of KV per token, 0.01 GiB lets the flooder run five long
// prompts at once, as ~0.5 GiB would with Qwen3-VL-2B's). A monitor polls
// GET /api/v1/resources to confirm the policy and record how many tasks each
// member had running at once.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

using Json = nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

// ---------------------------------------------------------------- options

struct Options {
  int members = 4;
  int tasks_per_member = 8;   // each chatting member
  int flood_tasks = -1;       // -1: 10 x tasks_per_member
  double mean_gap_s = 1.0;    // mean of a chatting member's exponential gaps
  int long_words = 100;       // words in a flood prompt (~370 demo-model tokens with the template)
  int flood_max_tokens = 64;
  double budget_gib = 0.01;   // each member's KV budget; 0: the server's default
  double duration_cap_s = 120;  // per policy run
  std::string model;          // empty: the server's random-weight demo model
  uint64_t seed = 1;
  std::vector<std::string> policies = {"fifo", "fair"};
  int threads = 0;            // engine threads (0: the server's default)
  std::vector<std::string> server_args;
  std::string json_path;
  std::string binary = TEAMVL_BINARY;
  bool strict = false;        // exit 3 when a task did not finish
  bool self_test = false;
};

const char* kUsage =
    "usage: teamvl_sharing_bench [--members N] [--tasks-per-member N] [--flood-tasks N]\n"
    "         [--mean-gap S] [--long-words N] [--budget-gib G] [--duration-cap S]\n"
    "         [--model FILE] [--seed N] [--policies fifo,fair] [--threads N] [--json FILE]\n"
    "         [--server-arg ARG]... [--binary PATH] [--strict] [--self-test]\n";

bool parse_number(const std::string& s, double lo, double hi, double* out) {
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || !(v >= lo && v <= hi)) return false;
  *out = v;
  return true;
}

// Parses argv; on a bad flag prints why and returns false.
bool parse_options(int argc, char** argv, Options* o) {
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--strict") { o->strict = true; continue; }
    if (a == "--self-test") { o->self_test = true; continue; }
    if (a == "--help" || a == "-h") { std::fputs(kUsage, stdout); std::exit(0); }
    if (i + 1 >= args.size()) { std::fprintf(stderr, "%s needs a value\n%s", a.c_str(), kUsage); return false; }
    const std::string v = args[++i];
    double d = 0;
    auto num = [&](double lo, double hi) {
      if (parse_number(v, lo, hi, &d)) return true;
      std::fprintf(stderr, "%s expects a number in [%g, %g], got '%s'\n", a.c_str(), lo, hi, v.c_str());
      return false;
    };
    if (a == "--members") { if (!num(2, 64)) return false; o->members = static_cast<int>(d); }
    else if (a == "--tasks-per-member") { if (!num(1, 1000)) return false; o->tasks_per_member = static_cast<int>(d); }
    else if (a == "--flood-tasks") { if (!num(1, 1000)) return false; o->flood_tasks = static_cast<int>(d); }
    else if (a == "--mean-gap") { if (!num(0, 3600)) return false; o->mean_gap_s = d; }
    else if (a == "--long-words") { if (!num(1, 20000)) return false; o->long_words = static_cast<int>(d); }
    else if (a == "--budget-gib") { if (!num(0, 1024)) return false; o->budget_gib = d; }
    else if (a == "--duration-cap") { if (!num(1, 86400)) return false; o->duration_cap_s = d; }
    else if (a == "--seed") { if (!num(0, 1e15)) return false; o->seed = static_cast<uint64_t>(d); }
    else if (a == "--threads") { if (!num(0, 1024)) return false; o->threads = static_cast<int>(d); }
    else if (a == "--model") o->model = std::filesystem::absolute(v).string();
    else if (a == "--json") o->json_path = v;
    else if (a == "--binary") o->binary = v;
    else if (a == "--server-arg") o->server_args.push_back(v);
    else if (a == "--policies") {
      o->policies.clear();
      std::string rest = v;
      for (size_t p; !rest.empty(); rest = p == std::string::npos ? "" : rest.substr(p + 1)) {
        p = rest.find(',');
        std::string name = rest.substr(0, p);
        if (name != "fifo" && name != "fair") { std::fprintf(stderr, "--policies: unknown policy '%s'\n", name.c_str()); return false; }
        o->policies.push_back(name);
      }
    } else {
      std::fprintf(stderr, "unknown flag %s\n%s", a.c_str(), kUsage);
      return false;
    }
  }
  if (o->flood_tasks < 0) o->flood_tasks = 10 * o->tasks_per_member;
  return true;
}

// ---------------------------------------------------------------- workload

struct PlannedTask {
  int member = 0;          // 0 floods, the others chat
  double at_s = 0;         // submission time from the start of the run
  std::string prompt;
  int max_tokens = 16;
};

const char* kWords[] = {
    "the", "team", "shares", "one", "model", "and", "every", "member", "asks", "about", "images", "reports",
    "tables", "numbers", "quarter", "sales", "river", "mountain", "green", "blue", "quickly", "slowly", "because",
    "while", "before", "after", "engine", "memory", "budget", "queue", "token", "stream", "answer", "question",
    "summary", "chapter", "invoice", "contract", "weather", "garden", "kitchen", "window", "letter", "meeting",
    "project", "deadline", "review", "draft", "picture", "camera", "street", "market", "price", "energy"};

std::string random_words(std::mt19937_64& rng, int n) {
  std::uniform_int_distribution<size_t> pick(0, std::size(kWords) - 1);
  std::string s;
  for (int i = 0; i < n; ++i) s += (i ? " " : "") + std::string(kWords[pick(rng)]);
  return s;
}

// The same seed gives the same tasks, so both policies see one workload.
// Every prompt starts differently so no prefix cache makes prefill free.
std::vector<PlannedTask> make_workload(const Options& o) {
  std::mt19937_64 rng(o.seed);
  std::vector<PlannedTask> plan;
  for (int i = 0; i < o.flood_tasks; ++i)
    plan.push_back({0, 0.01 * i,
                    "Document " + std::to_string(i) + ": " + random_words(rng, o.long_words) +
                        ". Summarize the document above in detail.",
                    o.flood_max_tokens});
  std::exponential_distribution<double> gap(o.mean_gap_s > 0 ? 1.0 / o.mean_gap_s : 1e9);
  std::uniform_int_distribution<int> out_tokens(16, 32), words(6, 14);
  for (int m = 1; m < o.members; ++m) {
    double t = 0;
    for (int i = 0; i < o.tasks_per_member; ++i) {
      t += gap(rng);
      plan.push_back({m, t, "Question " + std::to_string(i) + " from member " + std::to_string(m) + ": " +
                                random_words(rng, words(rng)) + "?",
                      out_tokens(rng)});
    }
  }
  return plan;
}

std::string member_name(int m) { return m == 0 ? "flood" : "chat" + std::to_string(m); }

// ---------------------------------------------------------------- processes

struct CliResult {
  int code = -1;
  std::string out, err;
};

std::string read_fd(int fd) {
  std::string s;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<size_t>(n));
  return s;
}

// Runs `binary args...` in `cwd` (so no developer's teamvl.yaml is read) to the end.
CliResult run_cli(const std::string& binary, std::vector<std::string> args, const std::string& input,
                  const std::string& cwd) {
  CliResult r;
  int in[2], out[2], err[2];
  if (pipe(in) || pipe(out) || pipe(err)) return r;
  args.insert(args.begin(), binary);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0), dup2(out[1], 1), dup2(err[1], 2);
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) close(fd);
    if (chdir(cwd.c_str()) != 0) _exit(126);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(in[0]), close(out[1]), close(err[1]);
  if (!input.empty()) (void)!write(in[1], input.data(), input.size());
  close(in[1]);
  std::thread t([&] { r.err = read_fd(err[0]); });
  r.out = read_fd(out[0]);
  t.join();
  close(out[0]), close(err[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

// `teamvl serve` on an ephemeral loopback port, its output collected.
class Server {
 public:
  ~Server() { stop(); }

  // Starts it and waits (30 s at most) for "listening on http://...:PORT".
  bool start(const std::string& binary, const std::string& data_dir, std::vector<std::string> extra) {
    int out[2];
    if (pipe(out)) return false;
    std::vector<std::string> args = {binary, "serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", data_dir};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], 1), dup2(out[1], 2);
      close(out[0]), close(out[1]);
      if (chdir(data_dir.c_str()) != 0) _exit(126);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(out[1]);
    reader_ = std::thread([this, fd = out[0]] {
      char buf[4096];
      ssize_t n;
      while ((n = read(fd, buf, sizeof buf)) > 0) {
        std::lock_guard<std::mutex> lock(mu_);
        log_.append(buf, static_cast<size_t>(n));
      }
      close(fd);
    });
    static const std::regex kListening("listening on http://[^:]+:([0-9]+)");
    for (auto end = SteadyClock::now() + std::chrono::seconds(30); SteadyClock::now() < end;) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        std::smatch m;
        if (std::regex_search(log_, m, kListening)) return (port_ = std::stoi(m[1])) > 0;
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

  // SIGTERM, then SIGKILL if it has not exited within 15 s.
  void stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      auto end = SteadyClock::now() + std::chrono::seconds(15);
      while (waitpid(pid_, &status, WNOHANG) == 0) {
        if (SteadyClock::now() > end) {
          kill(pid_, SIGKILL);
          waitpid(pid_, &status, 0);
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      pid_ = -1;
    }
    if (reader_.joinable()) reader_.join();
  }

  int port() const { return port_; }
  std::string log() const {
    std::lock_guard<std::mutex> lock(mu_);
    return log_;
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::thread reader_;
  mutable std::mutex mu_;
  std::string log_;  // guarded by mu_
};

// ---------------------------------------------------------------- HTTP

int connect_loopback(int port, int timeout_ms) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

bool send_all(int fd, const std::string& s) {
  for (size_t off = 0; off < s.size();) {
    ssize_t n = send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

std::string request_head(const std::string& method, const std::string& path, const std::string& key,
                          const std::string& body) {
  std::string r = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!key.empty()) r += "Authorization: Bearer " + key + "\r\n";
  if (!body.empty()) r += "Content-Type: application/json\r\n";
  if (!body.empty() || method == "POST" || method == "PUT") r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  return r + "\r\n";
}

struct Reply {
  int status = 0;  // 0: no answer
  std::string body;
  Json json() const { return Json::parse(body, nullptr, false); }
  std::string error() const {  // "429 quota_exceeded: message"
    Json j = json();
    std::string e = std::to_string(status);
    if (j.is_object() && j.contains("error") && j["error"].is_object())
      e += " " + j["error"].value("code", "") + ": " + j["error"].value("message", "");
    return e;
  }
};

// Undoes chunked transfer coding (what decodes, up to anything malformed).
std::string dechunk(const std::string& s) {
  std::string out;
  for (size_t p = 0; p < s.size();) {
    size_t eol = s.find("\r\n", p);
    if (eol == std::string::npos) break;
    size_t n = std::strtoul(s.substr(p, eol - p).c_str(), nullptr, 16);
    if (n == 0 || eol + 2 + n > s.size()) break;
    out += s.substr(eol + 2, n);
    p = eol + 2 + n + 2;
  }
  return out;
}

// One request on its own connection (the server closes it after the answer).
Reply http_call(int port, const std::string& method, const std::string& path, const std::string& key,
                const std::string& body = "") {
  Reply r;
  int fd = connect_loopback(port, 30000);
  if (fd < 0) return r;
  std::string raw;
  if (send_all(fd, request_head(method, path, key, body) + body)) raw = read_fd(fd);
  close(fd);
  size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos || raw.size() < 12) return r;
  r.status = std::atoi(raw.c_str() + 9);
  std::string head = raw.substr(0, head_end);
  std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return std::tolower(c); });
  r.body = raw.substr(head_end + 4);
  if (head.find("transfer-encoding: chunked") != std::string::npos) r.body = dechunk(r.body);
  return r;
}

// ---------------------------------------------------------------- one task

double seconds_since(SteadyClock::time_point t0) {
  return std::chrono::duration<double>(SteadyClock::now() - t0).count();
}

// What happened to one planned task; times in seconds from the run's start.
struct TaskRecord {
  int member = 0;
  double submit_s = -1;       // just before the POST; -1: never submitted
  double first_token_s = -1;
  double end_s = -1;          // done/error event, or when the bench gave up on it
  int64_t prompt_tokens = 0;
  int64_t output_tokens = 0;
  std::string state = "not_submitted";  // done | failed | cancelled | timed_out | refused | cut | lost
  std::string error;
  std::vector<double> token_s;  // arrival of every token event
};

// Reads the task's SSE stream (close-delimited, as the server sends it),
// stamping events as they arrive, until `done`/`error`, EOF or the deadline.
void follow_events(int port, const std::string& key, int64_t id, SteadyClock::time_point t0,
                   SteadyClock::time_point deadline, TaskRecord& rec) {
  int fd = connect_loopback(port, 200);
  std::string path = "/api/v1/tasks/" + std::to_string(id) + "/events";
  if (fd < 0 || !send_all(fd, request_head("GET", path, key, ""))) {
    if (fd >= 0) close(fd);
    rec.state = "lost", rec.error = "cannot open the event stream", rec.end_s = seconds_since(t0);
    return;
  }
  std::string buf, event, data;
  bool in_body = false;
  rec.state = "lost";
  char chunk[4096];
  while (true) {
    ssize_t n = recv(fd, chunk, sizeof chunk, 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) break;
      if (SteadyClock::now() < deadline) continue;
      rec.state = "cut";
      http_call(port, "DELETE", "/api/v1/tasks/" + std::to_string(id), key);
      break;
    }
    double now = seconds_since(t0);
    buf.append(chunk, static_cast<size_t>(n));
    if (!in_body) {
      size_t e = buf.find("\r\n\r\n");
      if (e == std::string::npos) continue;
      if (buf.size() < 12 || buf.compare(9, 3, "200") != 0) {
        rec.error = "event stream answered: " + buf.substr(0, buf.find('\r'));
        break;
      }
      buf.erase(0, e + 4);
      in_body = true;
    }
    for (size_t nl; (nl = buf.find('\n')) != std::string::npos;) {
      std::string line = buf.substr(0, nl);
      buf.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.rfind("event:", 0) == 0) event = line.substr(line[6] == ' ' ? 7 : 6);
      else if (line.rfind("data:", 0) == 0) data += line.substr(line[5] == ' ' ? 6 : 5);
      if (!line.empty()) continue;
      Json j = Json::parse(data, nullptr, false);
      if (event == "token") {
        if (rec.first_token_s < 0) rec.first_token_s = now;
        rec.token_s.push_back(now);
        if (j.is_object()) rec.output_tokens = j.value("n_output", rec.output_tokens);
      } else if (event == "done" && j.is_object()) {
        rec.state = j.value("state", "done");
        if (j.contains("usage")) rec.output_tokens = j["usage"].value("completion_tokens", rec.output_tokens);
        if (j.contains("error")) rec.error = j["error"].dump();
      } else if (event == "error") {
        rec.state = "failed", rec.error = data;
      }
      event.clear(), data.clear();
    }
    if (rec.state != "lost") break;
  }
  close(fd);
  rec.end_s = seconds_since(t0);
}

void run_task(int port, const std::string& key, const PlannedTask& t, SteadyClock::time_point t0,
              SteadyClock::time_point deadline, TaskRecord& rec) {
  rec.member = t.member;
  auto at = t0 + std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(t.at_s));
  if (at >= deadline) return;
  std::this_thread::sleep_until(at);
  rec.submit_s = seconds_since(t0);
  Json body{{"prompt", t.prompt}, {"params", {{"max_tokens", t.max_tokens}, {"temperature", 0}}},
            {"label", "sharing-bench"}};
  Reply r = http_call(port, "POST", "/api/v1/tasks", key, body.dump());
  Json j = r.json();
  if (r.status != 202 || !j.is_object() || !j.contains("task")) {
    rec.state = "refused", rec.error = r.status ? r.error() : "no answer", rec.end_s = seconds_since(t0);
    return;
  }
  rec.prompt_tokens = j["task"].value("input_tokens", int64_t{0});
  follow_events(port, key, j["task"].value("id", int64_t{0}), t0, deadline, rec);
}

// ---------------------------------------------------------------- one policy

struct RunResult {
  std::string policy;
  std::string error;       // setup failure; empty when the workload ran
  double wall_s = 0;       // start to the last task's end
  std::vector<TaskRecord> tasks;  // one per planned task, same order
  std::map<std::string, int> peak_running;  // member -> most tasks in the engine at once
  std::string server_policy;                // as GET /api/v1/resources reports it
};

// Polls GET /api/v1/resources every 100 ms until `stop`: the policy the server
// runs and each member's peak of running tasks (what the budget allowed).
void monitor(int port, const std::string& admin_key, const std::atomic<bool>& stop, RunResult& res) {
  while (!stop.load()) {
    Reply r = http_call(port, "GET", "/api/v1/resources", admin_key);
    Json j = r.json();
    if (r.status == 200 && j.is_object()) {
      res.server_policy = j.value("policy", "");
      for (const auto& m : j.value("members", Json::array())) {
        int& peak = res.peak_running[m.value("member", "")];
        peak = std::max(peak, m.value("running", 0));
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// Makes the admin and the members with their keys in `dir`; keys[0] is the admin's.
bool create_accounts(const Options& o, const std::string& dir, std::vector<std::string>* keys, std::string* err) {
  const std::string password = "bench-password-123\n";
  for (int m = -1; m < o.members; ++m) {
    std::string user = m < 0 ? "bench-admin" : member_name(m);
    CliResult u = run_cli(o.binary, {"admin", "create-user", "--data-dir", dir, "--username", user, "--role",
                                     m < 0 ? "admin" : "member", "--password-stdin"}, password, dir);
    CliResult k = u.code ? u : run_cli(o.binary, {"admin", "create-key", "--data-dir", dir, "--username", user,
                                                  "--name", "sharing-bench"}, "", dir);
    if (k.code != 0) {
      *err = "teamvl admin for '" + user + "' failed (exit " + std::to_string(k.code) + "): " + k.err;
      return false;
    }
    keys->push_back(k.out.substr(0, k.out.find_first_of("\r\n")));
  }
  return true;
}

// Lets every member queue the whole workload and holds them to --budget-gib.
bool set_quotas(const Options& o, int port, const std::string& admin_key, std::string* err) {
  Reply users = http_call(port, "GET", "/api/v1/admin/users", admin_key);
  Json j = users.json();
  if (users.status != 200 || !j.contains("users")) return *err = "listing users: " + users.error(), false;
  Json quota{{"max_concurrent", 1000}};
  if (o.budget_gib > 0) quota["memory_budget_gib"] = o.budget_gib;
  for (const auto& u : j["users"]) {
    if (u.value("role", "") != "member") continue;
    std::string path = "/api/v1/admin/users/" + std::to_string(u.value("id", int64_t{0})) + "/quota";
    Reply r = http_call(port, "PUT", path, admin_key, quota.dump());
    if (r.status != 200) return *err = "setting the quota of " + u.value("username", "") + ": " + r.error(), false;
  }
  return true;
}

RunResult run_policy(const Options& o, const std::vector<PlannedTask>& plan, const std::string& policy) {
  RunResult res;
  res.policy = policy;
  char tmpl[] = "/tmp/teamvl-sharing-bench-XXXXXX";
  if (!mkdtemp(tmpl)) return res.error = "cannot make a temporary directory", res;
  const std::string dir = tmpl;
  std::vector<std::string> keys;
  Server server;
  std::vector<std::string> args = {"--scheduler", policy};
  if (!o.model.empty()) args.insert(args.end(), {"--model", o.model});
  if (o.threads > 0) args.insert(args.end(), {"--threads", std::to_string(o.threads)});
  args.insert(args.end(), o.server_args.begin(), o.server_args.end());
  if (!create_accounts(o, dir, &keys, &res.error)) {
  } else if (!server.start(o.binary, dir, args)) {
    std::string log = server.log();
    res.error = "the server did not start:\n" + log.substr(log.size() > 3000 ? log.size() - 3000 : 0);
  } else if (set_quotas(o, server.port(), keys[0], &res.error)) {
    res.tasks.resize(plan.size());
    auto t0 = SteadyClock::now();
    auto deadline = t0 + std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(o.duration_cap_s));
    std::vector<std::thread> threads;
    for (size_t i = 0; i < plan.size(); ++i)
      threads.emplace_back(run_task, server.port(), keys[plan[i].member + 1], std::cref(plan[i]), t0, deadline,
                           std::ref(res.tasks[i]));
    std::atomic<bool> stop{false};
    std::thread watcher(monitor, server.port(), keys[0], std::cref(stop), std::ref(res));
    for (auto& t : threads) t.join();
    stop = true;
    watcher.join();
    for (const auto& t : res.tasks) res.wall_s = std::max(res.wall_s, t.end_s);
    if (!res.server_policy.empty() && res.server_policy != policy)
      res.error = "the server reports policy '" + res.server_policy + "', not '" + policy + "'";
  }
  server.stop();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return res;
}

// ---------------------------------------------------------------- metrics

// Nearest-rank percentile (p in (0,100]); NaN for no samples.
double percentile(std::vector<double> v, double p) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

using Interval = std::pair<double, double>;

std::vector<Interval> merge_intervals(std::vector<Interval> v) {
  std::sort(v.begin(), v.end());
  std::vector<Interval> out;
  for (const auto& iv : v) {
    if (!out.empty() && iv.first <= out.back().second) out.back().second = std::max(out.back().second, iv.second);
    else out.push_back(iv);
  }
  return out;
}

double union_seconds(const std::vector<Interval>& v) {
  double s = 0;
  for (const auto& [a, b] : merge_intervals(v)) s += b - a;
  return s;
}

// Longest stretch without service while backlogged: within each merged busy
// interval, the largest distance between its start, its service times and its end.
double max_service_gap(const std::vector<Interval>& busy, std::vector<double> service) {
  std::sort(service.begin(), service.end());
  double gap = 0;
  for (const auto& [a, b] : merge_intervals(busy)) {
    double prev = a;
    for (auto it = std::lower_bound(service.begin(), service.end(), a); it != service.end() && *it <= b; ++it) {
      gap = std::max(gap, *it - prev);
      prev = *it;
    }
    gap = std::max(gap, b - prev);
  }
  return gap;
}

struct MemberStats {
  int planned = 0, done = 0;
  double ttft_p50 = 0, ttft_p95 = 0;
  double tokens_per_s = 0;  // output tokens / seconds backlogged
  double max_gap_s = 0;
  int64_t output_tokens = 0;
  double mean_prompt_tokens = 0;
  std::vector<double> ttfts;
};

MemberStats member_stats(const RunResult& r, int member) {
  MemberStats s;
  std::vector<Interval> busy;
  std::vector<double> service;
  int64_t prompt_sum = 0;
  int submitted = 0;
  for (const auto& t : r.tasks) {
    if (t.member != member) continue;
    ++s.planned;
    if (t.state == "done") ++s.done;
    if (t.first_token_s >= 0) s.ttfts.push_back(t.first_token_s - t.submit_s);
    s.output_tokens += t.output_tokens;
    if (t.submit_s < 0 || t.state == "refused") continue;
    ++submitted;
    prompt_sum += t.prompt_tokens;
    busy.emplace_back(t.submit_s, t.end_s);
    service.insert(service.end(), t.token_s.begin(), t.token_s.end());
    if (t.state == "done") service.push_back(t.end_s);  // a task that ends serves its member too
  }
  s.ttft_p50 = percentile(s.ttfts, 50);
  s.ttft_p95 = percentile(s.ttfts, 95);
  double busy_s = union_seconds(busy);
  s.tokens_per_s = busy_s > 0 ? static_cast<double>(s.output_tokens) / busy_s : 0;
  s.max_gap_s = max_service_gap(busy, service);
  s.mean_prompt_tokens = submitted ? static_cast<double>(prompt_sum) / submitted : 0;
  return s;
}

// ---------------------------------------------------------------- report

std::string fmt(double v, const char* f = "%.2f") {
  if (std::isnan(v)) return "-";
  char b[32];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

// The chatting members' TTFTs pooled, and their worst gap.
void chat_summary(const RunResult& r, int members, double* p95, double* gap) {
  std::vector<double> all;
  *gap = 0;
  for (int m = 1; m < members; ++m) {
    MemberStats s = member_stats(r, m);
    all.insert(all.end(), s.ttfts.begin(), s.ttfts.end());
    *gap = std::max(*gap, s.max_gap_s);
  }
  *p95 = percentile(all, 95);
}

void print_report(const Options& o, const std::vector<RunResult>& runs) {
  std::printf("\nsharing benchmark: %d members, seed %llu, %s, per-member KV budget %s\n", o.members,
              static_cast<unsigned long long>(o.seed), o.model.empty() ? "random-weight demo model" : o.model.c_str(),
              o.budget_gib > 0 ? (fmt(o.budget_gib, "%g") + " GiB").c_str() : "server default");
  std::printf("  flood: %d long prompts at t=0 (max %d output tokens); chat1..chat%d: %d short chats each, "
              "Poisson arrivals (mean gap %.2f s), 16-32 output tokens\n",
              o.flood_tasks, o.flood_max_tokens, o.members - 1, o.tasks_per_member, o.mean_gap_s);
  std::printf("  ttft = submit to first token; tok/s = output tokens / time backlogged; gap = longest time "
              "backlogged without a token (s)\n\n");
  std::printf("%-8s %6s", "member", "prompt");
  for (const auto& r : runs) std::printf(" | %-6s %7s %8s %8s %7s %7s", r.policy.c_str(), "done", "ttft50", "ttft95", "tok/s", "gap");
  std::printf("\n");
  for (int m = 0; m < o.members; ++m) {
    MemberStats first = member_stats(runs[0], m);
    std::printf("%-8s %6.0f", member_name(m).c_str(), first.mean_prompt_tokens);
    for (const auto& r : runs) {
      MemberStats s = member_stats(r, m);
      std::string done = std::to_string(s.done) + "/" + std::to_string(s.planned);
      std::printf(" | %-6s %7s %8s %8s %7s %7s", "", done.c_str(), fmt(s.ttft_p50).c_str(), fmt(s.ttft_p95).c_str(),
                  fmt(s.tokens_per_s, "%.1f").c_str(), fmt(s.max_gap_s).c_str());
    }
    std::printf("\n");
  }
  std::printf("\n");
  std::string p95s, gaps, walls, floods;
  for (const auto& r : runs) {
    double p95 = 0, gap = 0;
    chat_summary(r, o.members, &p95, &gap);
    int64_t out = 0;
    for (const auto& t : r.tasks) out += t.output_tokens;
    std::string sep = p95s.empty() ? "" : ", ";
    p95s += sep + r.policy + " " + fmt(p95) + " s";
    gaps += sep + r.policy + " " + fmt(gap) + " s";
    floods += sep + r.policy + " " + fmt(member_stats(r, 0).tokens_per_s, "%.1f");
    walls += sep + r.policy + " " + fmt(r.wall_s, "%.1f") + " s (" +
             fmt(r.wall_s > 0 ? static_cast<double>(out) / r.wall_s : 0, "%.1f") + " output tok/s)";
  }
  for (const auto& r : runs) {
    std::printf("most tasks running at once (%s):", r.policy.c_str());
    for (int m = 0; m < o.members; ++m) {
      auto it = r.peak_running.find(member_name(m));
      std::printf("%s %s %d", m ? "," : "", member_name(m).c_str(), it == r.peak_running.end() ? 0 : it->second);
    }
    std::printf("\n");
  }
  for (const auto& r : runs) {
    std::map<std::string, int> unfinished;
    for (const auto& t : r.tasks)
      if (t.state != "done") ++unfinished[t.state];
    if (unfinished.empty()) continue;
    std::printf("NOT DONE (%s):", r.policy.c_str());
    for (const auto& [state, n] : unfinished) std::printf(" %s %d", state.c_str(), n);
    std::printf("  (cut: unfinished at --duration-cap, then cancelled; not_submitted: due after it; refused: the server said no)\n");
  }
  std::printf("short-chat members' p95 TTFT: %s\n", p95s.c_str());
  std::printf("short-chat members' longest service gap: %s\n", gaps.c_str());
  std::printf("flooding member's tokens/s: %s\n", floods.c_str());
  std::printf("whole run: %s\n", walls.c_str());
}

Json report_json(const Options& o, const std::vector<RunResult>& runs) {
  Json j{{"members", o.members}, {"tasks_per_member", o.tasks_per_member}, {"flood_tasks", o.flood_tasks},
         {"seed", o.seed}, {"budget_gib", o.budget_gib}, {"model", o.model.empty() ? "demo" : o.model}};
  for (const auto& r : runs) {
    Json pr{{"wall_s", r.wall_s}, {"error", r.error}, {"members", Json::array()}, {"peak_running", r.peak_running}};
    for (int m = 0; m < o.members && r.error.empty(); ++m) {
      MemberStats s = member_stats(r, m);
      auto num = [](double v) { return std::isnan(v) ? Json(nullptr) : Json(v); };
      pr["members"].push_back({{"member", member_name(m)}, {"done", s.done}, {"planned", s.planned},
                               {"ttft_p50_s", num(s.ttft_p50)}, {"ttft_p95_s", num(s.ttft_p95)},
                               {"tokens_per_s", s.tokens_per_s}, {"max_gap_s", s.max_gap_s},
                               {"output_tokens", s.output_tokens}, {"mean_prompt_tokens", s.mean_prompt_tokens}});
    }
    j["runs"][r.policy] = pr;
  }
  return j;
}

// ---------------------------------------------------------------- self-test

// Table-driven checks of the metric arithmetic; returns the failure count.
int self_test() {
  int failures = 0;
  auto check = [&](const char* what, double got, double want) {
    bool ok = std::isnan(want) ? std::isnan(got) : std::fabs(got - want) < 1e-9;
    if (!ok) std::fprintf(stderr, "FAIL %s: got %g, want %g\n", what, got, want), ++failures;
  };
  std::vector<double> ten = {10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
  check("p50 of 1..10", percentile(ten, 50), 5);
  check("p95 of 1..10", percentile(ten, 95), 10);
  check("p100 of one", percentile({3.5}, 100), 3.5);
  check("p50 of none", percentile({}, 50), std::nan(""));
  struct GapCase {
    const char* what;
    std::vector<Interval> busy;
    std::vector<double> service;
    double want;
  };
  const GapCase cases[] = {
      {"tokens inside one interval", {{0, 10}}, {1, 2, 7}, 5},
      {"overlapping tasks merge", {{0, 4}, {3, 10}}, {1, 2, 7}, 5},
      {"idle time between tasks is no gap", {{0, 2}, {8, 10}}, {1, 9}, 1},
      {"no token at all", {{0, 3}}, {}, 3},
      {"service outside busy time ignored", {{5, 6}}, {1, 2, 9}, 1},
      {"wait before the first token", {{0, 10}}, {6, 7, 8, 9, 10}, 6},
  };
  for (const auto& c : cases) check(c.what, max_service_gap(c.busy, c.service), c.want);
  check("union of busy time", union_seconds({{0, 4}, {3, 10}, {12, 13}}), 11);
  check("union of nothing", union_seconds({}), 0);
  // Workloads are a function of the options alone.
  Options o;
  o.flood_tasks = 5;
  auto a = make_workload(o), b = make_workload(o);
  check("same seed, same workload", a.size() == b.size() && a.back().prompt == b.back().prompt, 1);
  check("workload size", static_cast<double>(a.size()), o.flood_tasks + (o.members - 1) * o.tasks_per_member);
  o.seed = 2;
  check("another seed, another workload", make_workload(o).back().prompt != a.back().prompt, 1);
  std::printf("self-test: %s\n", failures ? "FAILED" : "ok");
  return failures;
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  Options o;
  if (!parse_options(argc, argv, &o)) return 2;
  if (o.self_test) return self_test() ? 1 : 0;
  if (access(o.binary.c_str(), X_OK) != 0) {
    std::fprintf(stderr, "no teamvl binary at %s (build the `teamvl` target or pass --binary)\n", o.binary.c_str());
    return 2;
  }
  std::vector<PlannedTask> plan = make_workload(o);
  std::vector<RunResult> runs;
  for (const auto& policy : o.policies) {
    std::fprintf(stderr, "running the workload (%zu tasks) with --scheduler %s ...\n", plan.size(), policy.c_str());
    runs.push_back(run_policy(o, plan, policy));
    if (!runs.back().error.empty()) {
      std::fprintf(stderr, "%s run failed: %s\n", policy.c_str(), runs.back().error.c_str());
      return 1;
    }
    for (const auto& t : runs.back().tasks)
      if (t.state != "done" && !t.error.empty())
        std::fprintf(stderr, "  %s task of %s: %s (%s)\n", policy.c_str(), member_name(t.member).c_str(),
                     t.state.c_str(), t.error.c_str());
  }
  print_report(o, runs);
  if (!o.json_path.empty()) {
    std::ofstream(o.json_path) << report_json(o, runs).dump(2) << "\n";
  }
  if (o.strict)
    for (const auto& r : runs)
      for (const auto& t : r.tasks)
        if (t.state != "done") return 3;
  return 0;
}
