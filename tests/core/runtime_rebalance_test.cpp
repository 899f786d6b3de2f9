// What the runtime does when the ground moves under a batch
// (README.md, "Crashes, restarts and the consumer group"): a sink that finds its partition stored
// further by someone else (fencing), and a rebalance whose drain cannot wait for a stuck sink.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "pipeline_fixture.hpp"
#include "probe.hpp"
#include "runtime.hpp"
#include "support/process.hpp"

namespace sluice {
namespace {

using namespace std::chrono_literals;

class RuntimeRebalanceTest : public testing::Test {
 protected:
  std::string addr() { return std::to_string(reinterpret_cast<std::int64_t>(&probe_)); }
  PipelinePlan& plan(const std::string& source_config, const std::string& sinks, const std::string& runtime = "") {
    plan_ = std::make_unique<PipelinePlan>(
        test::plan_from("source: { plugin: fake_source, config: { probe: " + addr() + ", " + source_config +
                            " } }\nsinks:\n" + sinks + (runtime.empty() ? "" : "runtime: { " + runtime + " }\n"),
                        registry_));
    return *plan_;
  }
  std::string sink(const std::string& id, const std::string& config = "") {
    return "  - { id: " + id + ", plugin: fake_sink, config: { probe: " + addr() + ", name: " + id +
           (config.empty() ? "" : ", " + config) + " } }\n";
  }
  std::vector<std::int64_t> written_by(const std::string& sink) { return probe_.written_by(sink); }

  test::Probe probe_;
  PluginRegistry registry_ = test::test_registry();
  std::unique_ptr<PipelinePlan> plan_;
};

TEST_F(RuntimeRebalanceTest, RecordsBehindTheStoredPositionNeverReachLaterSinks) {
  Runtime runtime(plan("count: 50, batch: 10", sink("db", "stored_up_to: 25") + sink("cache")));
  ASSERT_EQ(runtime.run(), 0);
  auto cache = written_by("cache");
  ASSERT_EQ(cache.size(), 25u);
  EXPECT_EQ(*std::min_element(cache.begin(), cache.end()), 25);
  // The source heard where the store is, and nothing at or below it was committed again.
  ASSERT_FALSE(probe_.fenced.empty());
  EXPECT_TRUE(std::all_of(probe_.fenced.begin(), probe_.fenced.end(), [](auto o) { return o == 25; }));
  ASSERT_FALSE(probe_.commits.empty());
  EXPECT_GT(probe_.commits.front(), 25);
  EXPECT_EQ(probe_.commits.back(), 50);
  std::string metrics = runtime.shared().metrics.render();
  EXPECT_NE(metrics.find("sluice_records_fenced_total 25"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("sluice_records_stored_total 25"), std::string::npos) << metrics;
}

TEST_F(RuntimeRebalanceTest, ADrainPastItsLimitAbandonsTheBatchesInFlight) {
  probe_.gate_open = false;  // the first sink hangs, as on a database that does not answer
  Runtime runtime(plan("count: 100, batch: 10, drain_after: 3, drain_limit_ms: 200",
                       sink("db", "wait_gate: true") + sink("cache")));
  int code = -1;
  std::thread run([&] { code = runtime.run(); });
  bool drained = test::wait_until(
      [&] {
        std::lock_guard lock(probe_.mutex);
        return !probe_.drains.empty();
      },
      10s, 5ms);
  {
    std::lock_guard lock(probe_.mutex);
    probe_.gate_open = true;
  }
  probe_.changed.notify_all();
  run.join();
  ASSERT_TRUE(drained) << "the drain never returned while the sink hung";
  EXPECT_EQ(probe_.drains, std::vector<bool>{false});
  EXPECT_EQ(code, 0);
  // The three batches handed out before the drain (r0..r29) are abandoned: the first may
  // have been written by the hanging sink (a write under way finishes), but no later stage
  // gets any of them and none is committed. Everything after flows as usual.
  auto db = written_by("db");
  EXPECT_TRUE(std::none_of(db.begin(), db.end(), [](auto o) { return o >= 10 && o < 30; }));
  auto cache = written_by("cache");
  EXPECT_EQ(cache.size(), 70u);
  EXPECT_TRUE(std::all_of(cache.begin(), cache.end(), [](auto o) { return o >= 30; }));
  ASSERT_FALSE(probe_.commits.empty());
  EXPECT_GE(probe_.commits.front(), 40);
  EXPECT_EQ(probe_.commits.back(), 100);
}

// A sink waiting to retry a batch that a rebalance abandons gives up on it at once, not when
// its pause ends: until then the batch would count as in flight and hold back new batches.
TEST_F(RuntimeRebalanceTest, ARetryPauseEndsWhenARebalanceAbandonsItsBatch) {
  // The first write asks to retry, and the pause before the next try is ten minutes.
  Runtime runtime(plan("count: 100, batch: 10, drain_after: 3, drain_limit_ms: 200",
                       sink("db", "retry_first: 1") + sink("cache"), "retry_initial_ms: 600000, retry_max_ms: 600000"));
  std::atomic<bool> finished = false;
  int code = -1;
  std::thread run([&] {
    code = runtime.run();
    finished = true;
  });
  bool in_time = test::wait_until([&] { return finished.load(); }, 60s, 10ms);
  if (!in_time) runtime.request_stop("test: the pipeline is stuck in the retry pause");
  run.join();
  ASSERT_TRUE(in_time) << "the abandoned batch kept its sink in the ten-minute retry pause";
  EXPECT_EQ(probe_.drains, std::vector<bool>{false});
  EXPECT_EQ(code, 0);
  // The three batches handed out before the drain are abandoned; everything after flows.
  auto cache = written_by("cache");
  EXPECT_EQ(cache.size(), 70u);
  ASSERT_FALSE(probe_.commits.empty());
  EXPECT_EQ(probe_.commits.back(), 100);
}

TEST_F(RuntimeRebalanceTest, ADrainWithinItsLimitCommitsEverythingHandedOut) {
  Runtime runtime(plan("count: 100, batch: 10, drain_after: 3, drain_limit_ms: 10000", sink("db") + sink("cache")));
  ASSERT_EQ(runtime.run(), 0);
  EXPECT_EQ(probe_.drains, std::vector<bool>{true});
  EXPECT_EQ(written_by("cache").size(), 100u);
  // The drain committed the first three batches before the source went on.
  auto at = std::find(probe_.events.begin(), probe_.events.end(), "commit 30");
  auto next_poll = std::find(probe_.events.begin(), probe_.events.end(), "poll 40");
  EXPECT_LT(at, next_poll);
}

}  // namespace
}  // namespace sluice
