// A small blocking HTTP/1.1 client for the HTTP layer's tests: plain sockets
// or OpenSSL, raw bytes in, parsed responses and SSE lines out. Deliberately
// independent of Beast so that the tests check the server against another
// implementation. Test-only; one client per thread.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace teamvl::server::testing {

struct RawResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  std::optional<std::string> header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
    }
    return std::nullopt;
  }
};

class TestClient {
 public:
  // Connects to 127.0.0.1:port; null on failure. With `ca_pem` set, speaks
  // TLS and verifies the server's certificate against that file.
  static std::unique_ptr<TestClient> connect(int port, const std::string& ca_pem = "") {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return nullptr;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd);
      return nullptr;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::unique_ptr<TestClient> c(new TestClient(fd));
    if (!ca_pem.empty() && !c->start_tls(ca_pem)) return nullptr;
    return c;
  }

  ~TestClient() {
    if (ssl_) SSL_free(ssl_);
    if (ctx_) SSL_CTX_free(ctx_);
    if (fd_ >= 0) ::close(fd_);
  }
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  int fd() const { return fd_; }

  bool send(std::string_view data) {
    while (!data.empty()) {
      long n = ssl_ ? SSL_write(ssl_, data.data(), static_cast<int>(data.size()))
                    : ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads one response (Content-Length, chunked, or until close when neither).
  std::optional<RawResponse> read_response(int timeout_ms = 5000, bool head = false) {
    auto deadline = now_ms() + timeout_ms;
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(deadline)) return std::nullopt;
    }
    RawResponse r;
    std::string head_block = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    size_t line_end = head_block.find("\r\n");
    std::string status_line = head_block.substr(0, line_end);
    if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) return std::nullopt;
    r.status = std::atoi(status_line.c_str() + 9);
    size_t pos = line_end == std::string::npos ? head_block.size() : line_end + 2;
    while (pos < head_block.size()) {
      size_t e = head_block.find("\r\n", pos);
      if (e == std::string::npos) e = head_block.size();
      std::string line = head_block.substr(pos, e - pos);
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        size_t v = line.find_first_not_of(' ', colon + 1);
        r.headers.emplace_back(line.substr(0, colon), v == std::string::npos ? "" : line.substr(v));
      }
      pos = e + 2;
    }
    if (head || r.status == 204 || r.status == 304 || r.status < 200) return r;
    if (auto cl = r.header("Content-Length")) {
      size_t len = std::stoul(*cl);
      while (buf_.size() < len) {
        if (!fill(deadline)) return std::nullopt;
      }
      r.body = buf_.substr(0, len);
      buf_.erase(0, len);
    } else if (auto te = r.header("Transfer-Encoding"); te && te->find("chunked") != std::string::npos) {
      if (!read_chunked(&r.body, deadline)) return std::nullopt;
    } else {
      while (fill(deadline)) {
      }
      r.body = std::move(buf_);
      buf_.clear();
    }
    return r;
  }

  // Reads until `delim` has arrived; returns everything up to and including it.
  std::optional<std::string> read_until(std::string_view delim, int timeout_ms = 5000) {
    auto deadline = now_ms() + timeout_ms;
    size_t at;
    while ((at = buf_.find(delim)) == std::string::npos) {
      if (!fill(deadline)) return std::nullopt;
    }
    std::string out = buf_.substr(0, at + delim.size());
    buf_.erase(0, at + delim.size());
    return out;
  }

  // True when the server closed the connection (EOF or reset) within the
  // time; bytes that arrive meanwhile are kept in the buffer.
  bool wait_closed(int timeout_ms) {
    auto deadline = now_ms() + timeout_ms;
    while (now_ms() < deadline) {
      int r = read_some(deadline);
      if (r <= 0 && r != kTimeout) return true;
      if (r == kTimeout) return false;
    }
    return false;
  }

  // Bytes received but not consumed yet.
  const std::string& pending() const { return buf_; }

 private:
  static constexpr int kTimeout = -2;
  explicit TestClient(int fd) : fd_(fd) {}

  static int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

  bool start_tls(const std::string& ca_pem) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (!ctx_) return false;
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    if (SSL_CTX_load_verify_locations(ctx_, ca_pem.c_str(), nullptr) != 1) return false;
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    SSL_set_tlsext_host_name(ssl_, "localhost");
    SSL_set1_host(ssl_, "localhost");
    return SSL_connect(ssl_) == 1;
  }

  // >0 bytes appended, 0 EOF, -1 error, kTimeout.
  int read_some(int64_t deadline) {
    if (!ssl_ || SSL_pending(ssl_) == 0) {
      pollfd p{fd_, POLLIN, 0};
      int wait = static_cast<int>(std::max<int64_t>(0, deadline - now_ms()));
      int pr = ::poll(&p, 1, wait);
      if (pr == 0) return kTimeout;
      if (pr < 0) return -1;
    }
    char tmp[16384];
    long n;
    if (ssl_) {
      n = SSL_read(ssl_, tmp, sizeof tmp);
      if (n <= 0) {
        int err = SSL_get_error(ssl_, static_cast<int>(n));
        ERR_clear_error();
        if (err == SSL_ERROR_WANT_READ) return read_some(deadline);
        return err == SSL_ERROR_ZERO_RETURN ? 0 : -1;
      }
    } else {
      n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n < 0) return -1;
      if (n == 0) return 0;
    }
    buf_.append(tmp, static_cast<size_t>(n));
    return static_cast<int>(n);
  }

  bool fill(int64_t deadline) { return read_some(deadline) > 0; }

  bool read_chunked(std::string* body, int64_t deadline) {
    for (;;) {
      size_t e;
      while ((e = buf_.find("\r\n")) == std::string::npos) {
        if (!fill(deadline)) return false;
      }
      size_t len = std::stoul(buf_.substr(0, e), nullptr, 16);
      buf_.erase(0, e + 2);
      while (buf_.size() < len + 2) {
        if (!fill(deadline)) return false;
      }
      body->append(buf_, 0, len);
      buf_.erase(0, len + 2);
      if (len == 0) return true;
    }
  }

  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string buf_;
};

// One request on a fresh connection ("Connection: close"); null on failure.
inline std::optional<RawResponse> http_request(int port, std::string_view method, std::string_view target,
                                               std::string_view body = "", std::string_view extra_headers = "",
                                               const std::string& ca_pem = "") {
  auto c = TestClient::connect(port, ca_pem);
  if (!c) return std::nullopt;
  std::string req = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: localhost\r\n" +
                    std::string(extra_headers) + "Connection: close\r\n";
  if (!body.empty() || method == "POST" || method == "PUT") {
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n";
  req += body;
  if (!c->send(req)) return std::nullopt;
  return c->read_response(5000, method == "HEAD");
}

}  // namespace teamvl::server::testing
