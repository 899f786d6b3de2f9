// Read-your-writes over HTTP (Sluice-Min-Position header or ?min_position=) and the headers
// saying where an answer came from (X-Sluice-Source, X-Sluice-Version, X-Sluice-Stale).
#include <httplib.h>

#include <future>
#include <mutex>
#include <optional>
#include <vector>

#include "rest_server.hpp"
#include "support/process.hpp"

namespace sluice::test {
namespace {

class Tokens : public RestServerTest {
 protected:
  nlohmann::json extra_config() const override { return {{"min_position_wait_ms", 30000}}; }
  void TearDown() override {
    db.commit_up_to(std::numeric_limits<std::int64_t>::max());  // no lookup thread left waiting
    RestServerTest::TearDown();
  }
  httplib::Result get(const std::string& path, const std::string& token = {}) {
    httplib::Client client("127.0.0.1", port());
    client.set_read_timeout(60, 0);
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Sluice-Min-Position", token);
    return client.Get(path.c_str(), headers);
  }
  std::string metrics() { return get("/metrics")->body; }
};

TEST_F(Tokens, WaitsUntilTheStoreReachesThePositionThenReadsFromIt) {
  cache.put("o1", "old", 1);  // the cache cannot vouch for positions (wait_for: unknown)
  db.put("o1", "new", 2);
  db.set_reach(Reach::not_yet);
  auto answer = std::async(std::launch::async, [&] { return get("/order/o1", "orders/3@1234"); });
  ASSERT_TRUE(wait_until([&] { return db.waits() == 1; }, 10s, 5ms));
  EXPECT_EQ(answer.wait_for(0s), std::future_status::timeout) << "answered before the position was reached";
  const Position asked = db.last_wait();
  EXPECT_EQ(asked.stream, "orders");
  EXPECT_EQ(asked.partition, 3);
  EXPECT_EQ(asked.offset, 1235) << "a token names the message; stores take the next offset";

  db.commit_up_to(1235);
  auto res = answer.get();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "new") << "the cache could not vouch for the position: read from the store that did";
  EXPECT_EQ(res->get_header_value("X-Sluice-Source"), "db");
  EXPECT_EQ(res->get_header_value("X-Sluice-Version"), "2");
  EXPECT_EQ(cache.version_of("o1"), 2);
  EXPECT_NE(metrics().find("sluice_http_token_waits_total 1\n"), std::string::npos);
}

TEST_F(Tokens, QueryTokensArePercentDecodedAndListsAllowed) {
  db.put("o1", "{}", 5);
  db.set_reach(Reach::reached);
  auto res = get("/order/o1?min_position=orders%2F3%401234");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(db.last_wait().offset, 1235);

  res = get("/order/o1?min_position=orders%2F1%405,orders%2F2%409", "orders/0@1");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(db.waits(), 4) << "the header's token and both of the query's";
}

TEST_F(Tokens, BadTokensAre400NamingTheToken) {
  db.set_reach(Reach::reached);
  for (const std::string bad : {"orders3@1", "orders/x@1", "orders/3@", "orders/3@-1", "orders/1@1,junk"}) {
    auto res = get("/order/o1", bad);
    ASSERT_TRUE(res) << bad;
    EXPECT_EQ(res->status, 400) << bad;
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
    auto body = nlohmann::json::parse(res->body);
    EXPECT_NE(body["error"].get<std::string>().find("min_position"), std::string::npos) << res->body;
    const std::string named = bad == "orders/1@1,junk" ? "junk" : bad;
    EXPECT_EQ(body["min_position"], named);
  }
  auto res = get("/order/o1?min_position=orders%2");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  std::string many;
  for (int i = 0; i < 17; ++i) many += (i ? "," : "") + std::string("orders/0@") + std::to_string(i);
  res = get("/order/o1", many);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(db.waits(), 0) << "a bad request never waits";
}

TEST_F(Tokens, NoStoreThatCanJudgeIs409) {
  db.put("o1", "{}");
  auto res = get("/order/o1", "orders/0@1");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 409);
  auto body = nlohmann::json::parse(res->body);
  EXPECT_EQ(body["error"], "no store of this instance can check positions");
  EXPECT_EQ(body["min_position"], "orders/0@1");
}

class CappedWaits : public Tokens {
 protected:
  nlohmann::json extra_config() const override { return {{"min_position_wait_ms", 30000}, {"max_position_waits", 1}}; }
};

TEST_F(CappedWaits, WaitsOverTheCapAre503AtOnceAndPlainLookupsStillWork) {
  cache.put("o1", "cached", 1);
  db.put("o1", "new", 2);
  db.set_reach(Reach::not_yet);
  auto first = std::async(std::launch::async, [&] { return get("/order/o1", "orders/0@100"); });
  ASSERT_TRUE(wait_until([&] { return db.waits() == 1; }, 10s, 5ms));
  EXPECT_NE(metrics().find("sluice_http_token_waits_in_progress 1\n"), std::string::npos) << metrics();

  const auto started = std::chrono::steady_clock::now();
  auto refused = get("/order/o1", "orders/0@5");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503) << refused->body;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s) << "refused at once, not after a wait";
  EXPECT_EQ(refused->get_header_value("Retry-After"), "1");
  EXPECT_EQ(nlohmann::json::parse(refused->body)["max_position_waits"], "1");
  EXPECT_EQ(db.waits(), 1) << "the refused request never reached a store";
  auto plain = get("/order/o1");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 200) << "lookups without a position are not capped";

  db.commit_up_to(101);
  auto done = first.get();
  ASSERT_TRUE(done);
  EXPECT_EQ(done->status, 200);
  ASSERT_TRUE(wait_until([&] { return metrics().find("sluice_http_token_waits_in_progress 0\n") != std::string::npos; },
                         5s, 5ms));
  auto again = get("/order/o1", "orders/0@5");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200) << "the slot came back: " << again->body;
  EXPECT_NE(metrics().find("sluice_http_token_waits_refused_total 1\n"), std::string::npos);
}

class ShortTokenWait : public Tokens {
 protected:
  nlohmann::json extra_config() const override { return {{"min_position_wait_ms", 100}}; }
};

TEST_F(ShortTokenWait, NotReachedInTimeIs409WithTheWait) {
  db.put("o1", "{}");
  db.set_reach(Reach::not_yet);
  auto res = get("/order/o1", "orders/3@1234");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 409);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  auto body = nlohmann::json::parse(res->body);
  EXPECT_EQ(body["error"], "position not yet committed");
  EXPECT_EQ(body["min_position"], "orders/3@1234");
  EXPECT_GE(body["waited_ms"].get<int>(), 100);
  EXPECT_NE(metrics().find("sluice_http_token_timeouts_total 1\n"), std::string::npos);
}

// The source says where its stream ends (ApiHost::source_end_offset): a position beyond it is
// refused at once instead of holding a lookup thread for the whole min_position_wait.
class StreamEnds : public Tokens {
 protected:
  struct Asked {
    std::string stream;
    std::int32_t partition = -1;
    std::chrono::milliseconds timeout{0};
  };
  void SetUp() override {
    Tokens::SetUp();
    host.set_source_end([this](const std::string& stream, std::int32_t partition,
                               std::chrono::milliseconds timeout) -> std::optional<std::int64_t> {
      std::lock_guard lock(mutex_);
      asked_.push_back({stream, partition, timeout});
      if (stream == "orders" && partition == 0) return 100;  // offsets 0..99 exist
      return std::nullopt;
    });
  }
  std::vector<Asked> asked() {
    std::lock_guard lock(mutex_);
    return asked_;
  }

 private:
  std::mutex mutex_;
  std::vector<Asked> asked_;
};

TEST_F(StreamEnds, APositionBeyondTheEndIs409AtOnceNamingTheEnd) {
  db.put("o1", "{}");
  db.set_reach(Reach::not_yet);
  const auto started = std::chrono::steady_clock::now();
  auto res = get("/order/o1", "orders/0@100");  // the message after the last one
  ASSERT_TRUE(res);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s) << "refused at once, not after the 30 s wait";
  EXPECT_EQ(res->status, 409) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  auto body = nlohmann::json::parse(res->body);
  EXPECT_EQ(body["error"], "position beyond the end of the stream");
  EXPECT_EQ(body["min_position"], "orders/0@100");
  EXPECT_EQ(body["end_offset"], 100);
  EXPECT_EQ(db.waits(), 0) << "no store was waited for";
  ASSERT_EQ(asked().size(), 1u);
  EXPECT_EQ(asked()[0].stream, "orders");
  EXPECT_EQ(asked()[0].partition, 0);
  EXPECT_GT(asked()[0].timeout, 0ms);
  EXPECT_LE(asked()[0].timeout, 1000ms) << "a slow broker must not hold the thread long";
  EXPECT_NE(metrics().find("sluice_http_token_beyond_end_total 1\n"), std::string::npos);
  EXPECT_NE(metrics().find("sluice_http_token_waits_in_progress 0\n"), std::string::npos) << "slot given back";
}

TEST_F(StreamEnds, OneTokenBeyondTheEndRefusesTheRequestEvenAfterOthers) {
  db.put("o1", "{}");
  db.set_reach(Reach::not_yet);
  db.commit_up_to(5);
  auto res = get("/order/o1", "orders/0@4, orders/0@5000");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 409) << res->body;
  EXPECT_EQ(nlohmann::json::parse(res->body)["min_position"], "orders/0@5000");
}

TEST_F(StreamEnds, TheLastWrittenMessageStillWaitsAndIsServed) {
  cache.put("o1", "old", 1);
  db.put("o1", "new", 2);
  db.set_reach(Reach::not_yet);
  auto answer = std::async(std::launch::async, [&] { return get("/order/o1", "orders/0@99"); });
  ASSERT_TRUE(wait_until([&] { return db.waits() == 1; }, 10s, 5ms));
  EXPECT_EQ(answer.wait_for(0s), std::future_status::timeout) << "offset 99 exists: it is waited for";
  db.commit_up_to(100);
  auto res = answer.get();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->body, "new");
}

TEST_F(StreamEnds, AnUnknownEndWaitsAsBefore) {
  db.put("o1", "{}");
  db.set_reach(Reach::not_yet);
  auto answer = std::async(std::launch::async, [&] { return get("/order/o1", "orders/7@100000"); });
  ASSERT_TRUE(wait_until([&] { return db.waits() == 1; }, 10s, 5ms));
  EXPECT_EQ(answer.wait_for(0s), std::future_status::timeout) << "no end known for partition 7: the wait decides";
  db.commit_up_to(100001);
  auto res = answer.get();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
}

TEST_F(StreamEnds, APositionAnInMemoryStoreReflectsNeverAsksTheSource) {
  cache.put("o1", "{}", 1);
  cache.set_reach(Reach::reached);
  auto res = get("/order/o1", "orders/0@5000");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_TRUE(asked().empty()) << "the cache vouched for it: no broker round trip";
}

using SourceHeaders = Tokens;

TEST_F(SourceHeaders, SayWhichStoreAnsweredWhichVersionAndWhetherStale) {
  cache.put("v0", "{}");  // unversioned: no version header
  auto res = get("/order/v0");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->get_header_value("X-Sluice-Source"), "cache");
  EXPECT_FALSE(res->has_header("X-Sluice-Version"));
  EXPECT_FALSE(res->has_header("X-Sluice-Stale"));

  db.put("v9", "{}", 9);
  res = get("/order/v9");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->get_header_value("X-Sluice-Source"), "db");
  EXPECT_EQ(res->get_header_value("X-Sluice-Version"), "9");
  res = get("/order/v9");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->get_header_value("X-Sluice-Source"), "cache");
  EXPECT_EQ(res->get_header_value("X-Sluice-Version"), "9");

  cache.set_stale(true);
  db.set_available(false);
  res = get("/order/v9");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("X-Sluice-Stale"), "true");
  EXPECT_EQ(res->get_header_value("X-Sluice-Source"), "cache");
}

}  // namespace
}  // namespace sluice::test
