// Connection behaviour: keep-alive for clients that send no Connection header (the Pistache
// 0.0.5 workaround), long URLs, oversized requests and slow clients.
#include <thread>

#include "raw_http.hpp"
#include "rest_server.hpp"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

class RestLimits : public RestServerTest {
 protected:
  nlohmann::json extra_config() const override { return {{"header_timeout_ms", 400}, {"keepalive_timeout_ms", 1500}}; }
};

TEST_F(RestLimits, Http11WithoutConnectionHeaderIsKeptAlive) {
  db.put(sample_uid, sample_order_json());
  RawConnection connection(port());
  ASSERT_TRUE(connection.connected());
  const int local_port = connection.local_port();
  const std::string request = std::string("GET /order/") + sample_uid + " HTTP/1.1\r\nHost: localhost\r\n\r\n";

  ASSERT_TRUE(connection.send(request));
  auto first = connection.read_response();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(lower(first->header("connection")), "keep-alive");
  EXPECT_FALSE(connection.closed_by_peer(200ms)) << "the server closed a keep-alive connection";

  // The second request on the very same socket (same local port) is answered too.
  ASSERT_TRUE(connection.send(request));
  auto second = connection.read_response();
  ASSERT_TRUE(second) << "no answer to a second request on the same connection";
  EXPECT_EQ(second->status, 200);
  EXPECT_EQ(second->body, first->body);
  EXPECT_EQ(lower(second->header("connection")), "keep-alive");
  EXPECT_EQ(connection.local_port(), local_port);
}

TEST_F(RestLimits, ExplicitCloseAndHttp10AreNotKeptAlive) {
  RawConnection closing(port());
  ASSERT_TRUE(closing.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  auto a = closing.read_response();
  ASSERT_TRUE(a);
  EXPECT_EQ(lower(a->header("connection")), "close");

  RawConnection old(port());
  ASSERT_TRUE(old.send("GET /healthz HTTP/1.0\r\n\r\n"));
  auto b = old.read_response();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->status, 200);
  EXPECT_EQ(lower(b->header("connection")), "close");

  RawConnection asked(port());
  ASSERT_TRUE(asked.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  auto c = asked.read_response();
  ASSERT_TRUE(c);
  EXPECT_EQ(lower(c->header("connection")), "keep-alive");
}

TEST_F(RestLimits, TenKilobyteUrlsAreRefusedCleanly) {
  for (const std::string& target :
       std::vector<std::string>{"/order/" + std::string(10 * 1024, 'a'), "/" + std::string(10 * 1024, 'b') + ".html",
                                "/order/abc?pad=" + std::string(10 * 1024, 'c')}) {
    RawConnection connection(port());
    ASSERT_TRUE(connection.send("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto res = connection.read_response();
    ASSERT_TRUE(res) << target.substr(0, 40);
    EXPECT_EQ(res->status, 414) << target.substr(0, 40);
    EXPECT_EQ(res->header("content-type"), "application/json");
    EXPECT_LT(res->body.size(), 200u) << "the long URL must not be echoed back";
    // The connection is still usable afterwards.
    ASSERT_TRUE(connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto next = connection.read_response();
    ASSERT_TRUE(next);
    EXPECT_EQ(next->status, 200);
  }
}

TEST_F(RestLimits, RequestsOverTheSizeLimitAreRefused) {
  RawConnection connection(port());
  ASSERT_TRUE(
      connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(40 * 1024, 'p') + "\r\n\r\n"));
  auto res = connection.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
}

TEST_F(RestLimits, SlowHeadersTimeOut) {
  RawConnection connection(port());
  ASSERT_TRUE(connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n"));  // never finishes its head
  auto started = std::chrono::steady_clock::now();
  auto res = connection.read_response(3s);
  ASSERT_TRUE(res) << "no 408 for a client that stalls mid-headers";
  EXPECT_EQ(res->status, 408);
  EXPECT_TRUE(connection.closed_by_peer(2s));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2500ms);
}

TEST_F(RestLimits, IdleKeepAliveConnectionsAreClosed) {
  RawConnection connection(port());
  ASSERT_TRUE(connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(connection.read_response());
  EXPECT_TRUE(connection.closed_by_peer(4s));
}

}  // namespace
}  // namespace sluice::test
