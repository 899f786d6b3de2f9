// The admin API's authentication over real sockets, beside the rest API as a default pipeline
// runs them: /metrics moved to it, its methods and page, and no listener without an admin token.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth_table.hpp"

namespace sluice::test {
namespace {

class OpenReads : public AuthTable {};

class MetricsOnAdmin : public AuthTable {
 protected:
  nlohmann::json auth_config() const override { return {{"read_auth", "token"}, {"metrics_on", "none"}}; }
  nlohmann::json admin_config() const override { return {{"metrics", true}}; }
};

TEST_F(MetricsOnAdmin, MetricsMoveToTheAdminListenerAndStillNeedAReadToken) {
  check({
      {{Listener::main, "/metrics"}, {404, 404, 404, 404}},
      {{Listener::admin, "/metrics"}, {401, 200, 200, 401}},
  });
  auto res = request(admin_port(), "/metrics", read_token);
  ASSERT_TRUE(res);
  EXPECT_NE(res->body.find("sluice_http_auth_failures_total"), std::string::npos);
}

TEST_F(OpenReads, AdminMethodsAndStaticPage) {
  for (const char* method : {"GET", "POST", "DELETE"}) {
    auto res = request(admin_port(), "/admin/dead_letters?limit=5", admin_token, method);
    ASSERT_TRUE(res) << method;
    EXPECT_EQ(res->status, 503) << method << " should reach the admin routes: " << res->body;
  }
  auto put = request(admin_port(), "/admin/status", admin_token, "PUT");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 405);
  EXPECT_EQ(put->get_header_value("Allow"), "GET, POST, DELETE");
  // The page folder is served on the admin listener too (the operator page's origin).
  auto page = request(admin_port(), "/app.js", "");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->body, "console.log(1);");
}

class ReadTokenOnly : public AuthServerTest {
 protected:
  std::string tokens() const override { return std::string("read:") + read_token; }
  nlohmann::json admin_config() const override { return {{"listen", "127.0.0.1:" + std::to_string(admin_port_)}}; }
  int admin_port_ = free_port();
};

TEST_F(ReadTokenOnly, NoAdminTokenMeansNoAdminListener) {
  EXPECT_EQ(admin_port(), 0);
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(admin_port_));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int connected = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  const int error = errno;
  ::close(fd);
  EXPECT_EQ(connected, -1);
  EXPECT_EQ(error, ECONNREFUSED);
  // And the main listener has no /admin either.
  auto res = request(port(), "/admin/status", read_token);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
}

}  // namespace
}  // namespace sluice::test
