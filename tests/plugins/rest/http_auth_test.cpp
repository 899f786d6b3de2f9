// Authentication over real sockets: every endpoint x {no, read, admin, wrong token} x
// read_auth open/token, with the exact status each time (the admin API's own cases:
// tests/plugins/admin/admin_auth_test.cpp).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth_table.hpp"

namespace sluice::test {
namespace {

class OpenReads : public AuthTable {};
class TokenReads : public AuthTable {
 protected:
  nlohmann::json auth_config() const override { return {{"read_auth", "token"}}; }
};

const std::string order_path = std::string("/order/") + sample_uid;

TEST_F(OpenReads, EveryEndpointAnswersAsDocumented) {
  ASSERT_GT(admin_port(), 0);
  check({
      {{Listener::main, order_path}, {200, 200, 200, 200}},
      // The listing never is open: it would hand out every id to look up.
      {{Listener::main, "/api/orders"}, {401, 200, 200, 401}},
      {{Listener::main, "/metrics"}, {200, 200, 200, 200}},
      {{Listener::main, "/healthz"}, {200, 200, 200, 200}},
      {{Listener::main, "/readyz"}, {200, 200, 200, 200}},
      {{Listener::main, "/admin/status"}, {404, 404, 404, 404}},
      // 503: the test host has no Admin, which is AdminRoutes' answer: the request got there.
      {{Listener::admin, "/admin/status"}, {401, 403, 503, 401}},
      {{Listener::admin, "/healthz"}, {200, 200, 200, 200}},
      {{Listener::admin, "/metrics"}, {404, 404, 404, 404}},  // metrics_on: main
  });
}

TEST_F(TokenReads, EveryEndpointAnswersAsDocumented) {
  check({
      {{Listener::main, order_path}, {401, 200, 200, 401}},
      {{Listener::main, "/api/orders"}, {401, 200, 200, 401}},
      {{Listener::main, "/metrics"}, {401, 200, 200, 401}},
      {{Listener::main, "/healthz"}, {200, 200, 200, 200}},
      {{Listener::main, "/readyz"}, {200, 200, 200, 200}},
      {{Listener::main, "/admin/status"}, {404, 404, 404, 404}},
      {{Listener::admin, "/admin/status"}, {401, 403, 503, 401}},
      {{Listener::admin, "/healthz"}, {200, 200, 200, 200}},
  });
}

class NeverRefills : public AuthServerTest {
 protected:
  // One hour per credit: the test runs long before a single one comes back.
  nlohmann::json auth_config() const override {
    return {{"read_auth", "token"}, {"auth_failures_refill_ms", 3600 * 1000}};
  }
  nlohmann::json admin_config() const override { return {{"auth_failures_refill_ms", 3600 * 1000}}; }
};

TEST_F(NeverRefills, ThousandWrongTokensAreMostlyRefusedWith429AndCounted) {
  httplib::Client client("127.0.0.1", port());  // one keep-alive connection: one client
  client.set_keep_alive(true);
  client.set_read_timeout(5, 0);
  const httplib::Headers wrong{{"Authorization", std::string("Bearer ") + wrong_token}};
  int unauthorized = 0;
  int limited = 0;
  for (int i = 0; i < 1000; ++i) {
    auto res = client.Get("/api/orders", wrong);
    ASSERT_TRUE(res) << i;
    if (res->status == 401) ++unauthorized;
    if (res->status == 429) {
      ++limited;
      EXPECT_FALSE(res->get_header_value("Retry-After").empty());
    }
  }
  EXPECT_EQ(unauthorized, 10);  // the burst
  EXPECT_EQ(limited, 990);
  const std::string metrics = host.metrics().render();
  EXPECT_NE(metrics.find(R"(sluice_http_auth_failures_total{reason="invalid"} 10)"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find(R"(sluice_http_auth_failures_total{reason="limited"} 990)"), std::string::npos) << metrics;

  // A right token passes even from a locked-out client: behind a NAT or a proxy that client
  // is every reader (Prometheus too), and one of them guessing must not lock out the rest.
  auto right = client.Get("/api/orders", {{"Authorization", std::string("Bearer ") + read_token}});
  ASSERT_TRUE(right);
  EXPECT_EQ(right->status, 200) << right->body;
  // Open endpoints stay open for it.
  auto health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

TEST_F(NeverRefills, ElevenWrongTokensThenARightOneGets200) {
  for (int i = 0; i < 11; ++i) {
    auto res = request(port(), "/api/orders", wrong_token);
    ASSERT_TRUE(res) << i;
    EXPECT_EQ(res->status, i < 10 ? 401 : 429) << i;
  }
  auto right = request(port(), "/api/orders", read_token);
  ASSERT_TRUE(right);
  EXPECT_EQ(right->status, 200) << right->body;
}

TEST_F(NeverRefills, EachListenerHasItsOwnBuckets) {
  // The public port's bucket emptied by guesses...
  for (int i = 0; i < 11; ++i) ASSERT_TRUE(request(port(), "/api/orders", wrong_token));
  ASSERT_EQ(request(port(), "/api/orders", wrong_token)->status, 429);
  // ...leaves the admin port's untouched: a wrong token there is a plain 401, not 429.
  auto admin = request(admin_port(), "/admin/status", wrong_token);
  ASSERT_TRUE(admin);
  EXPECT_EQ(admin->status, 401) << admin->body;
  // And the other way round.
  for (int i = 0; i < 11; ++i) ASSERT_TRUE(request(admin_port(), "/admin/status", wrong_token));
  EXPECT_EQ(request(admin_port(), "/admin/status", wrong_token)->status, 429);
}

// GET /api/orders with a wrong token and an X-Forwarded-For header.
httplib::Result forwarded(int port, const std::string& forwarded_for) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(5, 0);
  return client.Get("/api/orders",
                    {{"Authorization", std::string("Bearer ") + wrong_token}, {"X-Forwarded-For", forwarded_for}});
}

TEST_F(NeverRefills, ForwardedForIsIgnoredFromAnUntrustedPeer) {
  // Without trusted_proxies every request is the peer's (127.0.0.1), whatever it claims.
  for (int i = 0; i < 10; ++i) ASSERT_EQ(forwarded(port(), "192.0.2." + std::to_string(i))->status, 401) << i;
  EXPECT_EQ(forwarded(port(), "192.0.2.99")->status, 429);
}

class BehindTrustedProxy : public NeverRefills {
 protected:
  nlohmann::json auth_config() const override {
    auto config = NeverRefills::auth_config();
    config["trusted_proxies"] = {"127.0.0.1", "10.0.0.0/8"};
    return config;
  }
  nlohmann::json admin_config() const override {
    auto config = NeverRefills::admin_config();
    config["trusted_proxies"] = {"127.0.0.1", "10.0.0.0/8"};
    return config;
  }
};

TEST_F(BehindTrustedProxy, EachForwardedClientHasItsOwnBucket) {
  for (int i = 0; i < 11; ++i) ASSERT_TRUE(forwarded(port(), "192.0.2.1"));
  EXPECT_EQ(forwarded(port(), "192.0.2.1")->status, 429);
  EXPECT_EQ(forwarded(port(), "192.0.2.2")->status, 401) << "another client behind the same proxy";
  // The rightmost untrusted hop counts: a client cannot escape its bucket by prepending hops,
  // and trusted hops (10.0.0.0/8, a second proxy) are skipped.
  EXPECT_EQ(forwarded(port(), "198.51.100.7, 192.0.2.1")->status, 429);
  EXPECT_EQ(forwarded(port(), "192.0.2.1, 10.1.2.3")->status, 429);
  // Two IPv6 clients in one /64 share a bucket; another /64 does not.
  for (int i = 0; i < 10; ++i) ASSERT_EQ(forwarded(port(), "2001:db8:1:2::" + std::to_string(i + 1))->status, 401);
  EXPECT_EQ(forwarded(port(), "2001:db8:1:2:ffff::1")->status, 429);
  EXPECT_EQ(forwarded(port(), "2001:db8:1:3::1")->status, 401);
}

class ReadyzPrivacy : public RestServerTest {};

TEST_F(ReadyzPrivacy, ReadyzNamesComponentsWithoutReasons) {
  host.health().set("postgres", false, "connection to host=db.internal user=alice failed: password rejected");
  host.health().set("cache", true);
  host.health().set("kafka", false, "broker kafka-1.internal:9092 unreachable");
  httplib::Client client("127.0.0.1", port());
  auto res = client.Get("/readyz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(nlohmann::json::parse(res->body),
            (nlohmann::json{{"status", "not ready"}, {"not_ready", {"kafka", "postgres"}}}));
  for (const char* secret : {"db.internal", "alice", "password", "kafka-1.internal", "host="}) {
    EXPECT_EQ(res->body.find(secret), std::string::npos) << secret << " leaked: " << res->body;
  }
}

}  // namespace
}  // namespace sluice::test
