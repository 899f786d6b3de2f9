// The delivery contract of the runtime (core/README.md, Delivery) with fake plugins that
// report every poll, write and commit to a Probe.
#include "runtime.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "pipeline_fixture.hpp"
#include "probe.hpp"
#include "support/process.hpp"

namespace sluice {
namespace {

using namespace std::chrono_literals;

class RuntimeTest : public testing::Test {
 protected:
  std::string addr() { return std::to_string(reinterpret_cast<std::int64_t>(&probe_)); }

  // A pipeline of the fake source and the given sinks (YAML list items).
  PipelinePlan plan(const std::string& source_config, const std::string& sinks, const std::string& extra = "") {
    plan_storage_ =
        std::make_unique<PipelinePlan>(test::plan_from("source: { plugin: fake_source, config: { probe: " + addr() +
                                                           ", " + source_config + " } }\nsinks:\n" + sinks + extra,
                                                       registry_));
    return *plan_storage_;
  }
  std::string sink(const std::string& id, const std::string& config = "") {
    return "  - { id: " + id + ", plugin: fake_sink, config: { probe: " + addr() + ", name: " + id +
           (config.empty() ? "" : ", " + config) + " } }\n";
  }
  // Backpressure: the source has been told to idle a few times (the runtime is full).
  bool wait_until_full() {
    return test::wait_until(
        [&] {
          std::lock_guard lock(probe_.mutex);
          return probe_.idle_calls >= 5;
        },
        10s);
  }
  std::int64_t last_commit() {
    std::lock_guard lock(probe_.mutex);
    return probe_.commits.empty() ? -1 : probe_.commits.back();
  }
  std::size_t count_written(const std::string& prefix) {
    std::lock_guard lock(probe_.mutex);
    return std::count_if(probe_.written.begin(), probe_.written.end(),
                         [&](const std::string& w) { return w.rfind(prefix, 0) == 0; });
  }

  test::Probe probe_;
  PluginRegistry registry_ = test::test_registry();
  std::unique_ptr<PipelinePlan> plan_storage_;
};

TEST_F(RuntimeTest, EveryRecordReachesEverySinkAndCommitsAreInOrder) {
  auto p = plan("count: 95, batch: 10", sink("a") + sink("b"));
  Runtime runtime(p);
  EXPECT_EQ(runtime.run(), 0);
  EXPECT_EQ(count_written("a:"), 95u);
  EXPECT_EQ(count_written("b:"), 95u);
  ASSERT_FALSE(probe_.commits.empty());
  EXPECT_TRUE(std::is_sorted(probe_.commits.begin(), probe_.commits.end()));
  EXPECT_EQ(probe_.commits.back(), 95);
}

TEST_F(RuntimeTest, ABatchIsCommittedOnlyAfterTheLastSinkWroteIt) {
  auto p = plan("count: 50, batch: 10", sink("a") + sink("b"));
  Runtime runtime(p);
  ASSERT_EQ(runtime.run(), 0);
  // For every commit of offset N, "write b N" happened before it.
  for (std::size_t i = 0; i < probe_.events.size(); ++i) {
    const std::string& e = probe_.events[i];
    if (e.rfind("commit ", 0) != 0) continue;
    std::string offset = e.substr(7);
    auto written = std::find(probe_.events.begin(), probe_.events.begin() + i, "write b " + offset);
    EXPECT_NE(written, probe_.events.begin() + i) << "commit " << offset << " before sink b wrote it";
  }
}

TEST_F(RuntimeTest, BackpressureBoundsBatchesInFlightAndKeepsTheSourceIdle) {
  probe_.gate_open = false;
  auto p = plan("count: 1000, batch: 10", sink("slow", "wait_gate: true"), "runtime: { max_in_flight: 3 }\n");
  Runtime runtime(p);
  int code = -1;
  std::thread run([&] { code = runtime.run(); });
  ASSERT_TRUE(wait_until_full());
  {
    std::lock_guard lock(probe_.mutex);
    EXPECT_LE(probe_.polled_batches, 3);  // never more than max_in_flight handed out
    EXPECT_TRUE(probe_.commits.empty());  // nothing acknowledged while the sink holds it
    probe_.gate_open = true;
  }
  probe_.changed.notify_all();
  run.join();
  EXPECT_EQ(code, 0);
  EXPECT_EQ(count_written("slow:"), 1000u);
  EXPECT_EQ(last_commit(), 1000);
}

// Large records: the byte bound holds where the batch count would let far more through.
// 1000-byte values, max_in_flight_bytes 10000 over max_in_flight 100: a batch is cut at
// 100 bytes (one record), and the source stops handing out at 10000 bytes (ten batches).
TEST_F(RuntimeTest, BackpressureBoundsBytesInFlightWhateverTheRecordSize) {
  probe_.gate_open = false;
  auto p = plan("count: 200, batch: 50, value_bytes: 1000", sink("slow", "wait_gate: true"),
                "runtime: { max_in_flight: 100, max_in_flight_bytes: 10000 }\n");
  Runtime runtime(p);
  int code = -1;
  std::thread run([&] { code = runtime.run(); });
  ASSERT_TRUE(wait_until_full());
  {
    std::lock_guard lock(probe_.mutex);
    EXPECT_EQ(probe_.polled_batches, 10);
    probe_.gate_open = true;
  }
  probe_.changed.notify_all();
  run.join();
  EXPECT_EQ(code, 0);
  EXPECT_EQ(count_written("slow:"), 200u);
}

TEST_F(RuntimeTest, StagesOverlapAnEarlierSinkTakesTheNextBatchWhileALaterOneWrites) {
  // Each sink runs on its own thread. The later sink is stuck on the first batch; the earlier
  // one must go on with the next ones (up to max_in_flight), which one worker never could.
  probe_.gate_open = false;
  auto p = plan("count: 100, batch: 10", sink("first") + sink("second", "wait_gate: true"),
                "runtime: { max_in_flight: 4 }\n");
  Runtime runtime(p);
  int code = -1;
  std::thread run([&] { code = runtime.run(); });
  bool overlapped = test::wait_until([&] { return count_written("first:") >= 30; }, 10s);
  {
    std::lock_guard lock(probe_.mutex);
    EXPECT_TRUE(probe_.commits.empty());  // nothing is acknowledged before the last sink has it
    probe_.gate_open = true;
  }
  probe_.changed.notify_all();
  run.join();
  EXPECT_TRUE(overlapped) << "the first sink waited for the second";
  EXPECT_EQ(code, 0);
  EXPECT_EQ(count_written("second:"), 100u);
  EXPECT_EQ(last_commit(), 100);
  EXPECT_TRUE(std::is_sorted(probe_.commits.begin(), probe_.commits.end()));
}

TEST_F(RuntimeTest, RejectedRecordsGoToTheDeadLetterSinkAndTheBatchGoesOn) {
  auto p = plan("count: 30, batch: 10", sink("a", "reject_every: 3") + sink("b"),
                "dead_letter: { plugin: fake_sink, config: { probe: " + addr() + ", name: dl } }\n");
  Runtime runtime(p);
  ASSERT_EQ(runtime.run(), 0);
  EXPECT_EQ(count_written("a:"), 20u);
  EXPECT_EQ(count_written("b:"), 20u);  // the next sink only sees what the first accepted
  EXPECT_EQ(count_written("dl:"), 10u);
  EXPECT_EQ(std::count(probe_.written.begin(), probe_.written.end(), "dl:r3:fake_reason"), 1);
  EXPECT_EQ(last_commit(), 30);  // dead-lettered records count as handled
  std::string metrics = runtime.shared().metrics.render();
  EXPECT_NE(metrics.find("sluice_records_dead_lettered_total{reason=\"fake_reason\"} 10"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("sluice_records_consumed_total 30"), std::string::npos);
  EXPECT_NE(metrics.find("sluice_records_stored_total 20"), std::string::npos);
  // Commits happened (how many batches one commit covers is the runtime's business), and
  // with every stage done the process says it is ready.
  EXPECT_EQ(metrics.find("sluice_commits_total 0\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("sluice_commits_total "), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("sluice_ready 1\n"), std::string::npos) << metrics;
}

// A sink that kept the letters of what it refused (in its own transaction, where the letters live:
// README.md, "Delivery guarantees") reports them stored: they are counted and handled, but never
// written to the dead-letter sink a second time; the sink learnt where they go and its stage.
TEST_F(RuntimeTest, LettersASinkKeptAreCountedButNotWrittenAgain) {
  auto p = plan("count: 30, batch: 10", sink("a", "reject_every: 3, keeps_letters: true") + sink("b"),
                "dead_letter: { plugin: fake_sink, config: { probe: " + addr() + ", name: dl } }\n");
  Runtime runtime(p);
  ASSERT_EQ(runtime.run(), 0);
  EXPECT_EQ(count_written("b:"), 20u);
  EXPECT_EQ(count_written("dl:"), 0u) << "letters the sink kept were written a second time";
  EXPECT_EQ(last_commit(), 30);  // handled
  EXPECT_EQ(std::count(probe_.events.begin(), probe_.events.end(), "kept letter r3 of a for none"), 1);
  std::string metrics = runtime.shared().metrics.render();
  EXPECT_NE(metrics.find("sluice_records_dead_lettered_total{reason=\"fake_reason\"} 10"), std::string::npos)
      << metrics;
}

// The route a sink is given names the dead-letter sink's store (what it compares its own database
// with), whichever sink it is.
TEST_F(RuntimeTest, ASinkIsToldWhereItsRejectionsGo) {
  auto p = plan("count: 10, batch: 10", sink("a", "reject_every: 3, keeps_letters: true"),
                "dead_letter: { plugin: fake_dead_letters, config: { location: \"memory://kept\" } }\n");
  Runtime runtime(p);
  ASSERT_EQ(runtime.run(), 0);
  EXPECT_EQ(std::count(probe_.events.begin(), probe_.events.end(), "kept letter r3 of a for memory://kept"), 1);
}

TEST_F(RuntimeTest, DeadLettersAreDurableBeforeLaterSinksRun) {
  // A later sink may commit the batch's positions with its data (postgres); the records an
  // earlier stage refused must already be in the dead-letter store by then.
  auto p = plan("count: 30, batch: 10", sink("a", "reject_every: 3") + sink("b"),
                "dead_letter: { plugin: fake_sink, config: { probe: " + addr() + ", name: dl } }\n");
  Runtime runtime(p);
  ASSERT_EQ(runtime.run(), 0);
  const auto& e = probe_.events;
  for (const char* offset : {"10", "20", "30"}) {
    auto a = std::find(e.begin(), e.end(), std::string("write a ") + offset);
    auto b = std::find(e.begin(), e.end(), std::string("write b ") + offset);
    auto dl = std::find(a, e.end(), "write dl -1");  // dead-letter batches carry no positions
    ASSERT_NE(b, e.end());
    EXPECT_LT(dl - e.begin(), b - e.begin()) << "batch ending at " << offset;
  }
}

TEST_F(RuntimeTest, TransientFailuresAreRetriedWithoutLossOrDuplicates) {
  auto p = plan("count: 20, batch: 10", sink("flaky", "retry_first: 3"),
                "runtime: { retry_initial_ms: 1, retry_max_ms: 4 }\n");
  Runtime runtime(p);
  ASSERT_EQ(runtime.run(), 0);
  EXPECT_EQ(count_written("flaky:"), 20u);
  EXPECT_NE(runtime.shared().metrics.render().find("sluice_retries_total{stage=\"flaky\"} 3"), std::string::npos);
  EXPECT_TRUE(runtime.shared().health.ready());
}

TEST_F(RuntimeTest, FatalSinkErrorStopsNonZeroWithoutCommittingTheFailedBatch) {
  auto p = plan("count: 100, batch: 10", sink("bad", "fatal_at: 3"));
  Runtime runtime(p);
  EXPECT_EQ(runtime.run(), 1);
  ASSERT_FALSE(probe_.commits.empty());
  EXPECT_LE(last_commit(), 20);  // batches 1 and 2 at most; never batch 3 or later
}

TEST_F(RuntimeTest, PluginExceptionIsAFatalErrorNotACrash) {
  auto p = plan("count: 100, batch: 10", sink("boom", "throw_at: 2"));
  Runtime runtime(p);
  EXPECT_EQ(runtime.run(), 1);
  EXPECT_LE(last_commit(), 10);
}

TEST_F(RuntimeTest, GracefulStopDrainsInFlightBatchesAndCommitsThem) {
  auto p = plan("count: -1, batch: 10", sink("a"));
  Runtime runtime(p);
  int code = -1;
  std::thread run([&] { code = runtime.run(); });
  ASSERT_TRUE(test::wait_until([&] { return last_commit() >= 200; }, 10s));
  runtime.request_stop("test");
  run.join();
  EXPECT_EQ(code, 0);
  // Everything handed to the sink was committed, nothing more.
  EXPECT_EQ(static_cast<std::int64_t>(count_written("a:")), last_commit());
}

}  // namespace
}  // namespace sluice
