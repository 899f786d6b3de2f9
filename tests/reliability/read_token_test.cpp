// Read-your-writes and reads under database pressure (README.md, "Coherent reads across instances";
// plugins/rest/README.md, Read-your-writes), against the real processes.
//
// - A producer publishes an order, takes the position `sluice publish` prints as a token, and
//   reads the order with it from either instance: never an older version than it wrote. A
//   token for a position that will never be committed (on a stream the source does not read)
//   gets the documented 409 after the bounded wait.
// - With `orders` locked (ACCESS EXCLUSIVE: reads wait too), lookups of unknown ids still get
//   an answer (503 or 404) within the deadline, and /healthz stays fast meanwhile.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <mutex>
#include <thread>

#include "coherent_reads.hpp"
#include "default_pipeline.hpp"
#include "support/text.hpp"
#include "table_lock.hpp"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(ReadToken, ReadsTheProducersOwnWriteFromEitherInstance) {
  DefaultPipeline p({.name = "read-token", .partitions = 4});
  ASSERT_TRUE(p.start()) << p.logs();
  auto b = p.start_member();
  ASSERT_TRUE(b) << p.logs();
  const std::vector<std::size_t> runs{0, *b};
  for (auto run : runs) {
    ASSERT_TRUE(wait_until([&] { return http_get(p.http_port_of(run), "/readyz").status == 200; }, 60s, 50ms))
        << p.logs();
  }

  for (int version = 1; version <= 20; ++version) {
    auto publish = p.publish(1, "tok", 0, version);
    ASSERT_EQ(publish->wait(60s), 0) << publish->err();
    const std::string token = last_line(publish->out());
    ASSERT_TRUE(token.rfind(p.topic() + "/", 0) == 0 && token.find('@') != std::string::npos)
        << "publish printed no position: '" << publish->out() << "'";
    const std::size_t run = runs[version % runs.size()];
    // Header on odd versions, query parameter on even ones: both are the documented forms.
    HttpReply reply = version % 2 ? http_get(p.http_port_of(run), "/order/tok-1", 5s, {{"Sluice-Min-Position", token}})
                                  : http_get(p.http_port_of(run), "/order/tok-1?min_position=" + token, 5s);
    ASSERT_EQ(reply.status, 200) << "token " << token << " on instance " << run << ": " << reply.body << p.logs();
    EXPECT_EQ(published_version(reply), version) << "token " << token << " on instance " << run;
    EXPECT_FALSE(reply.header("x-sluice-source").empty());
    EXPECT_GT(std::stoll("0" + reply.header("x-sluice-version")), 0);
  }

  // A position on a stream this pipeline does not read: never committed, and the source
  // cannot say where that stream ends, so it is waited for. (One beyond the end of the
  // source's own stream is refused at once: stream_end_test.)
  const std::string never = "elsewhere/0@5";
  const auto asked = Clock::now();
  HttpReply reply = http_get(p.http_port_of(runs[1]), "/order/tok-1", 10s, {{"Sluice-Min-Position", never}});
  const long long waited = ms_since(asked);
  EXPECT_EQ(reply.status, 409) << reply.body;
  EXPECT_NE(reply.body.find("not yet committed"), std::string::npos) << reply.body;
  EXPECT_NE(reply.body.find(never), std::string::npos) << reply.body;
  EXPECT_GE(waited, 1900) << "answered before the documented 2 s wait";
  EXPECT_LT(waited, 4000) << "the wait is bounded";

  // A malformed token is the client's error, named in the answer.
  reply = http_get(p.http_port_of(runs[0]), "/order/tok-1", 5s, {{"Sluice-Min-Position", "orders-3-1234"}});
  EXPECT_EQ(reply.status, 400) << reply.body;
}

TEST(ReadUnderPressure, LockedOrdersTableAnswersWithinTheDeadlineAndHealthStaysFast) {
  constexpr int kUnknown = 1000;
  constexpr int kClients = 16;
  DefaultPipeline p({.name = "read-pressure", .partitions = 2});
  ASSERT_TRUE(p.start()) << p.logs();
  ASSERT_TRUE(wait_until([&] { return http_get(p.http_port(), "/readyz").status == 200; }, 60s, 50ms)) << p.logs();
  ASSERT_EQ(p.publish(20, "known", 0, 1)->wait(60s), 0);
  ASSERT_TRUE(p.wait_caught_up(20, 60s)) << p.logs();

  std::vector<long long> health_ms;
  std::atomic<int> slow{0};
  std::atomic<int> unanswered{0};
  std::atomic<int> unavailable{0};
  std::atomic<int> not_found{0};
  long long slowest = 0;
  std::mutex mutex;
  {
    TableLock lock(p.db(), "orders", "ACCESS EXCLUSIVE");
    ASSERT_TRUE(lock.held());
    const auto locked_at = Clock::now();
    std::atomic<bool> done{false};
    std::thread health([&] {
      while (!done) {
        const auto t = Clock::now();
        HttpReply r = http_get(p.http_port(), "/healthz", 5s);
        const long long took = ms_since(t);
        std::lock_guard guard(mutex);
        health_ms.push_back(r.status == 200 ? took : 5000);
        // A sampling period, not a synchronisation.
        std::this_thread::sleep_for(10ms);
      }
    });
    std::atomic<int> next{0};
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back([&] {
        for (int i = next++; i < kUnknown; i = next++) {
          const auto t = Clock::now();
          HttpReply r = http_get(p.http_port(), "/order/unknown-" + std::to_string(i), 10s);
          const long long took = ms_since(t);
          if (r.status == 503)
            ++unavailable;
          else if (r.status == 404)
            ++not_found;
          else
            ++unanswered;
          if (took > 3500) ++slow;
          std::lock_guard guard(mutex);
          slowest = std::max(slowest, took);
        }
      });
    }
    // The lock stays for 10 s (or until every lookup is answered, if that comes first).
    wait_until([&] { return next >= kUnknown + kClients; }, 10s - std::chrono::milliseconds(ms_since(locked_at)), 50ms);
    lock.release();
    for (auto& t : clients) t.join();
    done = true;
    health.join();
  }
  std::sort(health_ms.begin(), health_ms.end());
  const long long p99 = health_ms.empty() ? -1 : health_ms[health_ms.size() * 99 / 100];
  std::cout << kUnknown << " unknown ids with orders locked: " << unavailable << " x 503, " << not_found
            << " x 404, slowest " << slowest << " ms; /healthz p99 " << p99 << " ms over " << health_ms.size()
            << " probes" << std::endl;
  EXPECT_EQ(unanswered, 0) << "lookups answered neither 503 nor 404";
  EXPECT_EQ(slow, 0) << "lookups slower than the deadline (2 s queue + 1 s statement) allows";
  EXPECT_GT(unavailable, 0) << "no lookup met the locked table: the test did not test anything";
  ASSERT_FALSE(health_ms.empty());
  EXPECT_LT(p99, 50) << "/healthz waited on the database";
  // After the lock: the database answers again.
  EXPECT_EQ(http_get(p.http_port(), "/order/unknown-0").status, 404);
  EXPECT_EQ(http_get(p.http_port(), "/order/known-1").status, 200);
}

}  // namespace
}  // namespace sluice::test
