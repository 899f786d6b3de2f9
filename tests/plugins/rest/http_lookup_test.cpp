// Lookups that block on a store run on the lookup threads, never on the HTTP event loop:
// health and cache hits stay prompt while the database hangs, and overload is a JSON 503
// (queue full at once, a queued lookup at its deadline) rather than an ever-growing wait.
#include <httplib.h>

#include <future>

#include "rest_server.hpp"
#include "support/process.hpp"

namespace sluice::test {
namespace {

httplib::Result http_get(int port, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(30, 0);
  return client.Get(path.c_str());
}

class LookupThreads : public RestServerTest {
 protected:
  void TearDown() override {
    db.open_gate();  // the lookup threads must be free before the server stops
    for (auto& pending : pending_) pending.wait();
    RestServerTest::TearDown();
  }
  // A request on its own thread (the server may hold it for a while); null if it failed.
  using Answer = std::shared_ptr<const httplib::Response>;
  std::shared_future<Answer> get_async(const std::string& path) {
    auto future = std::async(std::launch::async, [port = port(), path]() -> Answer {
                    auto res = http_get(port, path);
                    return res ? std::make_shared<const httplib::Response>(*res) : nullptr;
                  }).share();
    pending_.push_back(future);
    return future;
  }
  httplib::Result get(const std::string& path) { return http_get(port(), path); }
  std::string metrics() {
    auto res = get("/metrics");
    return res ? res->body : std::string();
  }

  std::vector<std::shared_future<Answer>> pending_;
};

TEST_F(LookupThreads, HealthAndCacheHitsAreAnsweredWhileTheDatabaseHangs) {
  cache.put("cached", R"({"order_uid":"cached"})");
  db.close_gate();
  // More blocked lookups than the server has HTTP threads (2): inline, they would take every
  // event loop and nothing else would be answered.
  std::vector<std::shared_future<Answer>> misses;
  for (int i = 0; i < 8; ++i) misses.push_back(get_async("/order/miss" + std::to_string(i)));
  ASSERT_TRUE(wait_until([&] { return db.blocked() == 8; }, 10s, 5ms)) << "blocked: " << db.blocked();

  auto health = get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto hit = get("/order/cached");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->status, 200);
  EXPECT_EQ(hit->get_header_value("X-Sluice-Source"), "cache");
  EXPECT_EQ(db.blocked(), 8) << "answered while every lookup thread was still stuck in the database";
  for (auto& miss : misses) EXPECT_EQ(miss.wait_for(0s), std::future_status::timeout);

  db.open_gate();
  for (auto& miss : misses) {
    auto res = miss.get();
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 404);
    EXPECT_EQ(res->get_header_value("X-Sluice-Source"), "db");
  }
}

class LookupQueueFull : public LookupThreads {
 protected:
  nlohmann::json extra_config() const override {
    return {{"lookup_threads", 1}, {"lookup_queue", 1}, {"lookup_timeout_ms", 60000}};
  }
};

TEST_F(LookupQueueFull, AFullQueueIs503AtOnce) {
  db.close_gate();
  auto running = get_async("/order/first");
  ASSERT_TRUE(wait_until([&] { return db.blocked() == 1; }, 10s, 5ms));
  auto queued = get_async("/order/second");
  ASSERT_TRUE(
      wait_until([&] { return metrics().find("sluice_http_lookup_queue_depth 1\n") != std::string::npos; }, 10s, 5ms))
      << metrics();

  auto refused = get("/order/third");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(refused->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(nlohmann::json::parse(refused->body),
            (nlohmann::json{{"error", "too many lookups waiting for an order store"}, {"order_uid", "third"}}));
  EXPECT_NE(metrics().find("sluice_http_lookup_queue_full_total 1\n"), std::string::npos) << metrics();
  EXPECT_EQ(db.gets(), 1) << "the refused lookup must not reach the store";

  db.open_gate();
  ASSERT_TRUE(running.get());
  EXPECT_EQ(running.get()->status, 404);
  ASSERT_TRUE(queued.get());
  EXPECT_EQ(queued.get()->status, 404);
}

class LookupDeadline : public LookupThreads {
 protected:
  nlohmann::json extra_config() const override {
    return {{"lookup_threads", 1}, {"lookup_queue", 8}, {"lookup_timeout_ms", 200}};
  }
};

TEST_F(LookupDeadline, AQueuedLookupPastItsDeadlineIs503WithoutTouchingTheStore) {
  db.close_gate();
  auto running = get_async("/order/first");
  ASSERT_TRUE(wait_until([&] { return db.blocked() == 1; }, 10s, 5ms));

  auto late = get("/order/second");  // the only thread is stuck: answered at the deadline
  ASSERT_TRUE(late);
  EXPECT_EQ(late->status, 503);
  EXPECT_EQ(nlohmann::json::parse(late->body),
            (nlohmann::json{{"error", "order store did not answer in time"}, {"order_uid", "second"}}));
  EXPECT_EQ(db.blocked(), 1) << "refused while the store was still stuck, not when it freed";
  EXPECT_EQ(db.gets(), 1);
  EXPECT_NE(metrics().find("sluice_http_lookup_timeouts_total 1\n"), std::string::npos) << metrics();

  db.open_gate();
  ASSERT_TRUE(running.get());
  EXPECT_EQ(running.get()->status, 404);
}

TEST_F(LookupQueueFull, StoppingAnswersQueuedLookupsAndFinishesRunningOnes) {
  db.close_gate();
  auto running = get_async("/order/first");
  ASSERT_TRUE(wait_until([&] { return db.blocked() == 1; }, 10s, 5ms));
  auto queued = get_async("/order/second");
  ASSERT_TRUE(
      wait_until([&] { return metrics().find("sluice_http_lookup_queue_depth 1\n") != std::string::npos; }, 10s, 5ms));
  // stop() waits for the running lookup, so it runs in the background while the store hangs.
  auto stopped = std::async(std::launch::async, [&] { api->stop(); });
  auto refused = queued.get();
  ASSERT_TRUE(refused) << "a queued lookup is answered when the server stops";
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(nlohmann::json::parse(refused->body)["error"], "server is stopping");
  EXPECT_EQ(db.blocked(), 1) << "answered before the running lookup finished";

  db.open_gate();
  stopped.get();
  EXPECT_EQ(db.gets(), 1);
  // Its answer is written before the server's event loops stop, not dropped with them (the
  // client would wait for its own read timeout, 30 s here).
  auto finished = running.get();
  ASSERT_TRUE(finished) << "the running lookup's answer was lost when the server stopped";
  EXPECT_EQ(finished->status, 404);
}

}  // namespace
}  // namespace sluice::test
