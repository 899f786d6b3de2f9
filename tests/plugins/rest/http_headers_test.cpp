// The headers that keep browsers safe, on both listeners: X-Content-Type-Options on every
// answer, the Content-Security-Policy on page answers, the operator page only on the admin
// listener, and the Host check against DNS rebinding (allowed_hosts).
#include <gtest/gtest.h>

#include "auth_server.hpp"
#include "raw_http.hpp"
#include "support/process.hpp"

namespace sluice::test {
namespace {

// One GET with an exact Host header, on a fresh connection.
std::optional<RawResponse> get_with_host(int port, const std::string& target, const std::string& host,
                                         const std::string& token = "") {
  RawConnection connection(port);
  if (!connection.connected()) return std::nullopt;
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\n";
  if (!token.empty()) request += "Authorization: Bearer " + token + "\r\n";
  if (!connection.send(request + "\r\n")) return std::nullopt;
  return connection.read_response();
}

void expect_page_csp(const RawResponse& res, const std::string& where) {
  const std::string csp = res.header("content-security-policy");
  EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << where << ": " << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << where << ": " << csp;
}

class PageHeaders : public AuthServerTest {
 protected:
  void SetUp() override {
    AuthServerTest::SetUp();
    write_file(page_dir() / "admin.html", "<!doctype html><title>operator</title>");
    write_file(page_dir() / "admin.js", "console.log('admin');");
    write_file(page_dir() / "admin.css", "body{}");
    cache.put(sample_uid, sample_order_json());
  }
};

TEST_F(PageHeaders, EveryAnswerOfTheMainListenerSaysNosniff) {
  for (const std::string& target : std::vector<std::string>{
           "/", "/app.js", "/healthz", "/readyz", "/metrics", "/api/orders", "/order/" + std::string(sample_uid),
           "/order/unknown-id", "/order/bad%20id", "/nope", "/admin/status", "/openapi.json"}) {
    auto res = raw_get(port(), target);
    ASSERT_TRUE(res) << target;
    EXPECT_EQ(res->header("x-content-type-options"), "nosniff") << target << " -> " << res->status;
  }
}

TEST_F(PageHeaders, EveryAnswerOfTheAdminListenerSaysNosniff) {
  for (const auto& [target, token] : std::vector<std::pair<std::string, std::string>>{{"/admin/status", ""},
                                                                                      {"/admin/status", admin_token},
                                                                                      {"/admin/status", read_token},
                                                                                      {"/healthz", ""},
                                                                                      {"/admin.html", ""},
                                                                                      {"/nope", ""},
                                                                                      {"/openapi.json", ""}}) {
    auto res = get_with_host(admin_port(), target, "127.0.0.1", token);
    ASSERT_TRUE(res) << target;
    EXPECT_EQ(res->header("x-content-type-options"), "nosniff") << target << " -> " << res->status;
  }
}

TEST_F(PageHeaders, PageAnswersCarryTheContentSecurityPolicy) {
  for (const char* target : {"/", "/index.html", "/app.js", "/css/style.css"}) {
    auto res = raw_get(port(), target);
    ASSERT_TRUE(res) << target;
    ASSERT_EQ(res->status, 200) << target;
    expect_page_csp(*res, target);
  }
  for (const char* target : {"/admin.html", "/admin.js", "/index.html"}) {
    auto res = raw_get(admin_port(), target);
    ASSERT_TRUE(res) << target;
    ASSERT_EQ(res->status, 200) << target;
    expect_page_csp(*res, std::string("admin listener ") + target);
  }
}

TEST_F(PageHeaders, TheOperatorPageIsServedOnlyOnTheAdminListener) {
  for (const char* target : {"/admin.html", "/admin.js", "/admin.css", "/%61dmin.html"}) {
    auto main = raw_get(port(), target);
    ASSERT_TRUE(main) << target;
    EXPECT_EQ(main->status, 404) << "main listener " << target;
    EXPECT_EQ(main->body.find("operator"), std::string::npos) << target;
    auto admin = raw_get(admin_port(), target);
    ASSERT_TRUE(admin) << target;
    EXPECT_EQ(admin->status, 200) << "admin listener " << target;
  }
}

class HostChecked : public PageHeaders {
 protected:
  nlohmann::json auth_config() const override { return {{"allowed_hosts", {"Sluice.Example", "127.0.0.1", "::1"}}}; }
  nlohmann::json admin_config() const override { return auth_config(); }
};

TEST_F(HostChecked, OnlyListedHostsAreAnsweredOnBothListeners) {
  const std::string order = "/order/" + std::string(sample_uid);
  for (int port : {port(), admin_port()}) {
    const std::string where = port == this->port() ? "main" : "admin";
    for (const std::string& host : std::vector<std::string>{"sluice.example", "SLUICE.example:8081",
                                                            "127.0.0.1:" + std::to_string(port), "[::1]:8081"}) {
      auto res = get_with_host(port, "/index.html", host);
      ASSERT_TRUE(res) << where << " " << host;
      EXPECT_EQ(res->status, 200) << where << " " << host;
    }
    for (const std::string& host :
         std::vector<std::string>{"evil.example", "evil.example:8081", "sluice.example.evil.example", "localhost"}) {
      for (const std::string& target : std::vector<std::string>{"/index.html", order, "/admin/status"}) {
        auto res = get_with_host(port, target, host, admin_token);
        ASSERT_TRUE(res) << where << " " << host << target;
        EXPECT_EQ(res->status, 421) << where << " " << host << target;
        EXPECT_EQ(res->body.find("b563feb7b2b84b6test\","), std::string::npos);
      }
      auto probe = get_with_host(port, "/healthz", host);
      ASSERT_TRUE(probe);
      EXPECT_EQ(probe->status, 200) << "probes address the server by IP: " << where << " " << host;
    }
  }
}

TEST_F(PageHeaders, WithoutAllowedHostsAnyHostIsAnswered) {
  auto res = get_with_host(port(), "/index.html", "anything.example");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

}  // namespace
}  // namespace sluice::test
