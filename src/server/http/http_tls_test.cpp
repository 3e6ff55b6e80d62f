// HTTPS: a self-signed certificate made here with the OpenSSL API (no CLI),
// verified by the client; plain HTTP on the TLS port is not served.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "server/http/http.h"
#include "server/http/http_test_client.h"

namespace teamvl::server {
namespace {
namespace fs = std::filesystem;
using testing::http_request;
using testing::TestClient;

bool add_ext(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// Writes an EC P-256 key and a self-signed certificate for "localhost".
bool make_self_signed(const fs::path& cert_path, const fs::path& key_path) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (!key) return false;
  X509* cert = X509_new();
  bool ok = cert != nullptr;
  if (ok) {
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1,
                               -1, 0);
    X509_set_issuer_name(cert, name);
    ok = add_ext(cert, NID_basic_constraints, "critical,CA:TRUE") &&
         add_ext(cert, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1") &&
         X509_sign(cert, key, EVP_sha256()) > 0;
  }
  if (ok) {
    FILE* f = std::fopen(cert_path.c_str(), "wb");
    ok = f && PEM_write_X509(f, cert) == 1;
    if (f) std::fclose(f);
  }
  if (ok) {
    FILE* f = std::fopen(key_path.c_str(), "wb");
    ok = f && PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
    if (f) std::fclose(f);
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  return ok;
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/teamvl_tls_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    cert_ = (dir_ / "cert.pem").string();
    key_ = (dir_ / "key.pem").string();
    ASSERT_TRUE(make_self_signed(cert_, key_));
    opts_.host = "127.0.0.1";
    opts_.port = 0;
    opts_.tls_cert = cert_;
    opts_.tls_key = key_;
    router_.add("GET", "/api/v1/whoami", [](HttpRequest& req) {
      nlohmann::json j = {{"secure", req.secure}, {"peer", req.client_addr}};
      return HttpResponse::json(200, j.dump());
    });
    router_.add("GET", "/api/v1/stream", [this](HttpRequest&) {
      HttpResponse r;
      r.sse = std::make_shared<SseStream>();
      r.sse->send({"1", "", "over tls"});
      stream_ = r.sse;
      return r;
    });
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
  }
  void start() {
    std::string error;
    server_ = start_http_server(opts_, router_, &error);
    ASSERT_TRUE(server_) << error;
    port_ = server_->port();
  }

  fs::path dir_;
  std::string cert_, key_;
  HttpServerOptions opts_;
  Router router_;
  std::shared_ptr<SseStream> stream_;
  std::unique_ptr<HttpServer> server_;
  int port_ = 0;
};

TEST_F(TlsTest, HttpsRequestsAreSecure) {
  start();
  auto r = http_request(port_, "GET", "/api/v1/whoami", "", "", cert_);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["secure"], true);
  EXPECT_EQ(j["peer"], "127.0.0.1");
  // Keep-alive over TLS.
  auto c = TestClient::connect(port_, cert_);
  ASSERT_TRUE(c);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c->send("GET /api/v1/whoami HTTP/1.1\r\nHost: localhost\r\n\r\n"));
    auto resp = c->read_response();
    ASSERT_TRUE(resp) << i;
    EXPECT_EQ(resp->status, 200);
  }
  auto missing = http_request(port_, "GET", "/api/v1/nope", "", "", cert_);
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

TEST_F(TlsTest, SseOverTls) {
  start();
  auto c = TestClient::connect(port_, cert_);
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->send("GET /api/v1/stream HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  auto head = c->read_until("\r\n\r\n");
  ASSERT_TRUE(head);
  EXPECT_NE(head->find("text/event-stream"), std::string::npos);
  auto ev = c->read_until("\n\n");
  ASSERT_TRUE(ev);
  EXPECT_EQ(*ev, "id: 1\ndata: over tls\n\n");
  ASSERT_TRUE(stream_);
  ASSERT_TRUE(stream_->send({"2", "", "second"}));
  ev = c->read_until("\n\n");
  ASSERT_TRUE(ev);
  EXPECT_EQ(*ev, "id: 2\ndata: second\n\n");
  stream_->close();
  EXPECT_TRUE(c->wait_closed(3000));
}

TEST_F(TlsTest, PlainHttpIsNotServed) {
  start();
  auto c = TestClient::connect(port_);
  ASSERT_TRUE(c);
  c->send("GET /api/v1/whoami HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_TRUE(c->wait_closed(3000));
  EXPECT_EQ(c->pending().find("HTTP/1.1 200"), std::string::npos);
  EXPECT_EQ(c->pending().find("secure"), std::string::npos);
  // The server still serves TLS afterwards.
  auto r = http_request(port_, "GET", "/api/v1/whoami", "", "", cert_);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(TlsTest, BadKeyFilesFailToStart) {
  fs::path other_cert = dir_ / "other_cert.pem", other_key = dir_ / "other_key.pem";
  ASSERT_TRUE(make_self_signed(other_cert, other_key));
  HttpServerOptions o = opts_;
  o.tls_key = other_key.string();  // does not match the certificate
  std::string error;
  EXPECT_EQ(start_http_server(o, router_, &error), nullptr);
  EXPECT_NE(error.find("mismatch"), std::string::npos) << error;
  o.tls_key = cert_;  // not a key at all
  error.clear();
  EXPECT_EQ(start_http_server(o, router_, &error), nullptr);
  EXPECT_NE(error.find("TLS key"), std::string::npos) << error;
}

}  // namespace
}  // namespace teamvl::server
