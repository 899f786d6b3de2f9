// The REST routes over real HTTP (cpp-httplib client): status codes, headers, JSON bodies.
#include <httplib.h>

#include <regex>

#include "auth_server.hpp"

namespace sluice::test {
namespace {

class RestApiHttp : public RestServerTest {
 protected:
  httplib::Result get(const std::string& path) {
    httplib::Client client("127.0.0.1", port());
    client.set_read_timeout(5, 0);
    return client.Get(path.c_str());
  }
  static nlohmann::json json_of(const httplib::Result& res) { return nlohmann::json::parse(res->body); }
};

TEST_F(RestApiHttp, SampleOrderIsServedVerbatimAndFillsTheCache) {
  const std::string order = sample_order_json();
  db.put(sample_uid, order);
  auto res = get(std::string("/order/") + sample_uid);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(res->body, order);
  EXPECT_EQ(nlohmann::json::parse(res->body)["delivery"]["name"], "Test Testov");
  EXPECT_TRUE(cache.has(sample_uid));

  int db_gets = db.gets();
  auto again = get(std::string("/order/") + sample_uid);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->body, order);
  EXPECT_EQ(db.gets(), db_gets) << "the second lookup should be answered by the cache";
}

TEST_F(RestApiHttp, MissingOrderIs404Json) {
  auto res = get("/order/nosuchorder");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(json_of(res), (nlohmann::json{{"error", "order not found"}, {"order_uid", "nosuchorder"}}));
}

TEST_F(RestApiHttp, InvalidIdsAre400JsonNever500) {
  for (const std::string& target :
       std::vector<std::string>{"/order/", "/order/a.b", "/order/a%20b", "/order/%2e%2e", "/order/a/b", "/order/%C3%BC",
                                "/order/" + std::string(65, 'x'), "/order/a;b"}) {
    auto res = get(target);
    ASSERT_TRUE(res) << target;
    EXPECT_EQ(res->status, 400) << target;
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json") << target;
    auto body = json_of(res);
    EXPECT_EQ(body["error"], "invalid order_uid") << target;
    EXPECT_TRUE(body.contains("order_uid")) << target;
  }
  EXPECT_EQ(db.gets(), 0) << "invalid ids must not reach the stores";
}

TEST_F(RestApiHttp, StoresDownIs503Json) {
  cache.set_available(false);
  db.set_available(false);
  auto res = get("/order/abc");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(json_of(res)["error"], "order store unavailable");
}

// read_auth: open, and no token configured at all: orders are served, the listing of ids is not.
TEST_F(RestApiHttp, RecentOrdersNeedATokenEvenWhenReadsAreOpen) {
  cache.put("first", "{}");
  auto listing = get("/api/orders?limit=2");
  ASSERT_TRUE(listing);
  EXPECT_EQ(listing->status, 401) << listing->body;
  EXPECT_EQ(listing->body.find("first"), std::string::npos);
  EXPECT_EQ(listing->get_header_value("WWW-Authenticate"), "Bearer realm=\"sluice\"");
  auto order = get("/order/first");
  ASSERT_TRUE(order);
  EXPECT_EQ(order->status, 200);
}

class RecentListing : public AuthServerTest {
 protected:
  httplib::Result get(const std::string& path) { return request(port(), path, read_token); }
  static nlohmann::json json_of(const httplib::Result& res) { return nlohmann::json::parse(res->body); }
};

TEST_F(RecentListing, RecentOrders) {
  cache.put("first", "{}");
  cache.put("second", "{}");
  cache.put("third", "{}");
  auto res = get("/api/orders?limit=2");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(json_of(res)["orders"], (nlohmann::json{"third", "second"}));

  auto capped = get("/api/orders?limit=100000");
  ASSERT_TRUE(capped);
  EXPECT_EQ(capped->status, 200);
  EXPECT_EQ(json_of(capped)["limit"], 50);

  auto all = get("/api/orders");
  ASSERT_TRUE(all);
  EXPECT_EQ(json_of(all)["orders"].size(), 3u);

  for (const char* bad :
       {"/api/orders?limit=abc", "/api/orders?limit=0", "/api/orders?limit=-1", "/api/orders?limit="}) {
    auto r = get(bad);
    ASSERT_TRUE(r) << bad;
    EXPECT_EQ(r->status, 400) << bad;
    EXPECT_TRUE(json_of(r).contains("error")) << bad;
  }
}

TEST_F(RestApiHttp, HealthAndReadiness) {
  auto health = get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(json_of(health)["status"], "ok");

  host.health().set("db", false, "connecting to postgres");
  auto not_ready = get("/readyz");
  ASSERT_TRUE(not_ready);
  EXPECT_EQ(not_ready->status, 503);
  EXPECT_EQ(not_ready->get_header_value("Content-Type"), "application/json");
  // Names only: the reason stays in the log (see auth tests: ReadyzNamesComponentsWithoutReasons).
  EXPECT_EQ(json_of(not_ready), (nlohmann::json{{"status", "not ready"}, {"not_ready", {"db"}}}));

  host.health().set("db", true);
  auto ready = get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
}

TEST_F(RestApiHttp, MetricsArePrometheusTextAndCountRequests) {
  db.put(sample_uid, sample_order_json());
  get(std::string("/order/") + sample_uid);
  get("/order/missing");
  get("/order/bad.id");
  auto res = get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = res->body;
  EXPECT_NE(text.find(R"(sluice_http_requests_total{code="200",route="/order/{order_uid}"} 1)"), std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(sluice_http_requests_total{code="404",route="/order/{order_uid}"} 1)"), std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(sluice_http_requests_total{code="400",route="/order/{order_uid}"} 1)"), std::string::npos)
      << text;
  EXPECT_NE(text.find("sluice_http_request_duration_seconds_bucket{"), std::string::npos) << text;
  // Every line is a comment or `name{labels} value` (the exposition format, loosely).
  const std::regex sample(
      R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? [-+0-9.eEInfa]+$)");
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line.starts_with("# HELP ") || line.starts_with("# TYPE ")) continue;
    EXPECT_TRUE(std::regex_match(line, sample)) << line;
  }
}

TEST_F(RestApiHttp, OnlyGetIsAllowed) {
  httplib::Client client("127.0.0.1", port());
  auto res = client.Post("/order/abc", "{}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  EXPECT_EQ(res->get_header_value("Allow"), "GET");
  EXPECT_EQ(nlohmann::json::parse(res->body)["error"], "method not allowed");
}

TEST_F(RestApiHttp, UnknownPathIs404Json) {
  auto res = get("/nope/nothing.html");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
}

}  // namespace
}  // namespace sluice::test
