// Live reload in the runtime (runtime_reload.cpp) with fake plugins under an endless stream:
// unchanged stages keep their objects, the swap is a batch boundary (nothing lost, nothing
// twice), a sink that cannot open rolls the reload back, and a plan whose plugin refuses to
// be created changes nothing.
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

class RuntimeReloadTest : public testing::Test {
 protected:
  std::string addr() { return std::to_string(reinterpret_cast<std::int64_t>(&probe_)); }
  // An endless source (batches of 10, one partition) and `rest` (sinks, APIs...).
  std::shared_ptr<const PipelinePlan> plan(const std::string& rest) {
    return std::make_shared<const PipelinePlan>(test::plan_from(
        "source: { plugin: fake_source, config: { probe: " + addr() + ", count: -1, batch: 10 } }\n" + rest,
        registry_));
  }
  std::string sink(const std::string& id, const std::string& config = "") {
    return "  - { id: " + id + ", plugin: fake_sink, config: { probe: " + addr() + ", name: " + id +
           (config.empty() ? "" : ", " + config) + " } }\n";
  }
  // Starts `first` on a thread.
  void start(std::shared_ptr<const PipelinePlan> first) {
    first_ = std::move(first);
    runtime_ = std::make_unique<Runtime>(*first_);
    thread_ = std::thread([this] { code_ = runtime_->run(); });
  }
  void stop() {
    runtime_->request_stop("test over");
    thread_.join();
  }
  void TearDown() override {
    if (thread_.joinable()) stop();
  }
  // Waits until `sink` has written at least `n` records.
  bool wait_written(const std::string& sink, std::size_t n) {
    return test::wait_until([&] { return written_by(sink).size() >= n; }, 20s, 2ms);
  }
  std::vector<std::int64_t> written_by(const std::string& sink) { return probe_.written_by(sink); }
  std::size_t events(const std::string& event) {
    std::lock_guard lock(probe_.mutex);
    return static_cast<std::size_t>(std::count(probe_.events.begin(), probe_.events.end(), event));
  }
  // The plugins' create/open/close/destroy/start/stop events, in order (for failure messages).
  std::string lifecycle() {
    std::lock_guard lock(probe_.mutex);
    std::string out;
    for (const auto& e : probe_.events) {
      if (e.rfind("poll", 0) != 0 && e.rfind("write", 0) != 0 && e.rfind("commit", 0) != 0) out += e + "; ";
    }
    return out;
  }
  std::uint64_t reloads(const std::string& result) {
    return runtime_->shared().metrics.counter("sluice_reloads_total", "", {{"result", result}}).value();
  }
  bool wait_reloads(const std::string& result, std::uint64_t n) {
    return test::wait_until([&] { return reloads(result) >= n; }, 20s, 2ms);
  }
  // Offsets `from`, `from`+1, ... each exactly once and in order.
  static void expect_contiguous(const std::vector<std::int64_t>& offsets, std::int64_t from, const std::string& who) {
    ASSERT_FALSE(offsets.empty()) << who;
    EXPECT_EQ(offsets.front(), from) << who;
    for (std::size_t i = 1; i < offsets.size(); ++i) {
      ASSERT_EQ(offsets[i], offsets[i - 1] + 1) << who << ": a gap or a repeat after " << offsets[i - 1];
    }
  }

  test::Probe probe_;
  PluginRegistry registry_ = test::test_registry();
  std::shared_ptr<const PipelinePlan> first_;
  std::unique_ptr<Runtime> runtime_;
  std::thread thread_;
  std::atomic<int> code_ = -1;
};

TEST_F(RuntimeReloadTest, AddingASinkKeepsTheOthersAndLosesNothing) {
  start(plan("sinks:\n" + sink("a")));
  ASSERT_TRUE(wait_written("a", 200));
  runtime_->request_reload(plan("sinks:\n" + sink("a") + sink("b")));
  ASSERT_TRUE(wait_reloads("applied", 1));
  ASSERT_TRUE(wait_written("b", 200));
  stop();
  EXPECT_EQ(code_, 0);
  EXPECT_EQ(events("create a"), 1u) << "the unchanged sink was made again";
  EXPECT_EQ(events("open a"), 1u);
  auto a = written_by("a");
  expect_contiguous(a, 0, "a");
  // b starts at a batch boundary and from then on sees exactly what a sees.
  auto b = written_by("b");
  ASSERT_FALSE(b.empty());
  EXPECT_EQ(b.front() % 10, 0);
  expect_contiguous(b, b.front(), "b");
  EXPECT_EQ(std::vector<std::int64_t>(a.end() - static_cast<std::ptrdiff_t>(b.size()), a.end()), b);
  // Positions only move forward, across the swap too.
  std::lock_guard lock(probe_.mutex);
  EXPECT_TRUE(std::is_sorted(probe_.commits.begin(), probe_.commits.end()));
}

TEST_F(RuntimeReloadTest, AStageKeptByOneReloadIsKeptByTheNext) {
  start(plan("sinks:\n" + sink("a")));
  ASSERT_TRUE(wait_written("a", 100));
  runtime_->request_reload(plan("sinks:\n" + sink("a") + sink("b")));
  ASSERT_TRUE(wait_reloads("applied", 1));
  runtime_->request_reload(plan("sinks:\n" + sink("a")));
  ASSERT_TRUE(wait_reloads("applied", 2));
  std::size_t at_reload = written_by("a").size();
  ASSERT_TRUE(wait_written("a", at_reload + 100));
  stop();
  EXPECT_EQ(events("create a"), 1u) << lifecycle();
  EXPECT_EQ(events("open a"), 1u) << lifecycle();
  expect_contiguous(written_by("a"), 0, "a");
}

TEST_F(RuntimeReloadTest, AChangedConfigRemakesOnlyThatStage) {
  start(plan("sinks:\n" + sink("a") + sink("b")));
  ASSERT_TRUE(wait_written("b", 100));
  runtime_->request_reload(plan("sinks:\n" + sink("a") + sink("b", "reject_every: 1000000")));
  ASSERT_TRUE(wait_reloads("applied", 1));
  std::size_t at_reload = written_by("b").size();
  ASSERT_TRUE(wait_written("b", at_reload + 100));
  stop();
  EXPECT_EQ(events("create a"), 1u);
  EXPECT_EQ(events("create b"), 2u);
  EXPECT_EQ(events("close b"), 2u) << lifecycle();  // the old one at the swap, the new one at the end
  EXPECT_EQ(events("destroy b"), 1u) << "the old b is gone at once";
  runtime_.reset();
  EXPECT_EQ(events("destroy b"), 2u);
  expect_contiguous(written_by("a"), 0, "a");
  // The old b and the new b together: every record once (reject_every never matches here).
  expect_contiguous(written_by("b"), 0, "b, old and new");
}

TEST_F(RuntimeReloadTest, ASinkThatCannotOpenRollsBackAndThePipelineRunsOn) {
  start(plan("sinks:\n" + sink("a")));
  ASSERT_TRUE(wait_written("a", 100));
  runtime_->request_reload(plan("sinks:\n" + sink("a") + sink("c", "open_fails: true")));
  ASSERT_TRUE(wait_reloads("rolled_back", 1));
  std::size_t at_rollback = written_by("a").size();
  ASSERT_TRUE(wait_written("a", at_rollback + 100)) << "the pipeline did not run on after the rollback";
  std::string why;
  EXPECT_TRUE(runtime_->shared().health.ready(&why)) << why;
  stop();
  EXPECT_EQ(code_, 0);
  EXPECT_EQ(reloads("applied"), 0u);
  EXPECT_EQ(events("open c"), 1u);
  EXPECT_EQ(events("destroy c"), 1u);
  EXPECT_TRUE(written_by("c").empty());
  EXPECT_EQ(events("create a"), 1u);
  expect_contiguous(written_by("a"), 0, "a");
}

TEST_F(RuntimeReloadTest, APluginThatRefusesItsConfigIsRejectedBeforeAnythingStops) {
  start(plan("sinks:\n" + sink("a")));
  ASSERT_TRUE(wait_written("a", 100));
  // create_throws plans fine but its create() fails, as a plugin that checks more than the
  // declared keys does.
  runtime_->request_reload(plan("sinks:\n" + sink("a") + "  - { id: bad, plugin: create_throws }\n"));
  ASSERT_TRUE(wait_reloads("rejected", 1));
  std::size_t at_reject = written_by("a").size();
  ASSERT_TRUE(wait_written("a", at_reject + 100));
  stop();
  EXPECT_EQ(reloads("applied"), 0u);
  EXPECT_EQ(events("create a"), 1u);
  EXPECT_EQ(events("close a"), 1u) << "the running sink was closed by a rejected reload";
  expect_contiguous(written_by("a"), 0, "a");
}

TEST_F(RuntimeReloadTest, AnApiRestartsWhenAStoreItLooksUpIsReplaced) {
  std::string api = "api:\n  - { plugin: fake_api, config: { probe: " + addr() + ", lookup: [b] } }\n";
  start(plan("sinks:\n" + sink("a") + sink("b") + api));
  ASSERT_TRUE(wait_written("b", 50));
  // Changing a leaves the api alone; changing b, which it looked up, restarts it.
  runtime_->request_reload(plan("sinks:\n" + sink("a", "reject_every: 1000000") + sink("b") + api));
  ASSERT_TRUE(wait_reloads("applied", 1));
  EXPECT_EQ(events("start api"), 1u);
  EXPECT_EQ(events("stop api"), 0u);
  runtime_->request_reload(
      plan("sinks:\n" + sink("a", "reject_every: 1000000") + sink("b", "reject_every: 1000000") + api));
  ASSERT_TRUE(wait_reloads("applied", 2));
  EXPECT_EQ(events("start api"), 2u);
  EXPECT_EQ(events("stop api"), 1u);
  stop();
}

// APIs ask the running source where its stream ends (ApiHost::source_end_offset) from their own
// threads, while reloads replace and close that source: no question may reach a closed one.
// fake_source cannot be open twice (no sluice_flag_opens_beside): the old one closes first, and
// when the new one fails to open, the old config opens again and the pipeline reads on.
TEST_F(RuntimeReloadTest, ASourceThatCannotOpenRollsBackAndTheOldConfigReadsOn) {
  start(plan("sinks:\n" + sink("a")));
  ASSERT_TRUE(wait_written("a", 100));
  runtime_->request_reload(std::make_shared<const PipelinePlan>(
      test::plan_from("source: { plugin: fake_source, config: { probe: " + addr() +
                          ", count: -1, open_fails: true } }\nsinks:\n" + sink("a"),
                      registry_)));
  ASSERT_TRUE(wait_reloads("rolled_back", 1)) << lifecycle();
  const std::size_t at_rollback = written_by("a").size();
  ASSERT_TRUE(wait_written("a", at_rollback + 100)) << "the pipeline did not read on after the rollback";
  std::string why;
  EXPECT_TRUE(runtime_->shared().health.ready(&why)) << why;
  stop();
  EXPECT_EQ(code_, 0) << lifecycle();
  EXPECT_EQ(reloads("applied"), 0u);
  EXPECT_EQ(events("open source (fails)"), 1u) << lifecycle();
  EXPECT_EQ(events("open source"), 2u) << "the start, and the old config again: " << lifecycle();
  EXPECT_EQ(events("close source"), 2u) << "before the new one opened, and at the stop: " << lifecycle();
  EXPECT_EQ(events("create a"), 1u) << "the sink was kept: " << lifecycle();
}

// A new API that cannot start after the source was switched (closed first: fake_source cannot
// be open twice): the new source closes, the old config opens again, the old API never stopped.
TEST_F(RuntimeReloadTest, AnApiThatCannotStartRollsTheSourceBackToo) {
  const std::string api = "api:\n  - { plugin: fake_api, config: { probe: " + addr();
  start(plan("sinks:\n" + sink("a") + api + " } }\n"));
  ASSERT_TRUE(wait_written("a", 100));
  runtime_->request_reload(std::make_shared<const PipelinePlan>(
      test::plan_from("source: { plugin: fake_source, config: { probe: " + addr() +
                          ", count: -1, batch: 11 } }\nsinks:\n" + sink("a") + api + ", start_fails: true } }\n",
                      registry_)));
  ASSERT_TRUE(wait_reloads("rolled_back", 1)) << lifecycle();
  const std::size_t at_rollback = written_by("a").size();
  ASSERT_TRUE(wait_written("a", at_rollback + 100)) << "the pipeline did not read on after the rollback";
  const std::size_t stops_before_the_end = events("stop api");
  stop();
  EXPECT_EQ(code_, 0) << lifecycle();
  EXPECT_EQ(reloads("applied"), 0u);
  EXPECT_EQ(events("start api (fails)"), 1u) << lifecycle();
  EXPECT_EQ(stops_before_the_end, 0u) << "the running API was stopped: " << lifecycle();
  EXPECT_EQ(events("open source"), 3u) << "the start, the new one, the old config again: " << lifecycle();
  EXPECT_EQ(events("close source"), 3u) << "the old one, the new one, and at the stop: " << lifecycle();
}

TEST_F(RuntimeReloadTest, EndOffsetQuestionsNeverReachAClosedSourceAcrossReloads) {
  auto with_batch = [&](int batch) {
    return std::make_shared<const PipelinePlan>(
        test::plan_from("source: { plugin: fake_source, config: { probe: " + addr() +
                            ", count: -1, batch: " + std::to_string(batch) + " } }\nsinks:\n" + sink("a"),
                        registry_));
  };
  start(with_batch(10));
  ASSERT_TRUE(wait_written("a", 50));
  HostImpl host("api", runtime_->shared());
  std::atomic<bool> asking{true};
  std::atomic<int> known{0};
  std::thread asker([&] {
    while (asking) {
      if (host.source_end_offset("fake", 0, 100ms)) ++known;
    }
  });
  for (int n = 1; n <= 6; ++n) {
    runtime_->request_reload(with_batch(n % 2 == 0 ? 10 : 11));  // a changed source: closed, a new one opened
    ASSERT_TRUE(wait_reloads("applied", static_cast<std::uint64_t>(n))) << lifecycle();
    ASSERT_TRUE(wait_written("a", 50 + 20 * static_cast<std::size_t>(n)));
  }
  stop();
  asking = false;
  asker.join();
  EXPECT_FALSE(host.source_end_offset("fake", 0, 100ms)) << "stopped: nothing is known";
  EXPECT_GT(known.load(), 0) << "the open source answered";
  std::lock_guard lock(probe_.mutex);
  EXPECT_EQ(probe_.end_offset_while_closed, 0) << "a question reached a closed source";
  EXPECT_GT(probe_.end_offset_calls, 0);
}

TEST_F(RuntimeReloadTest, TheConfigInfoMetricFollowsTheRunningPlan) {
  start(plan("sinks:\n" + sink("a")));
  ASSERT_TRUE(wait_written("a", 10));
  std::string before = runtime_->shared().metrics.render();
  runtime_->request_reload(plan("sinks:\n" + sink("a") + sink("b")));
  ASSERT_TRUE(wait_reloads("applied", 1));
  std::string after = runtime_->shared().metrics.render();
  auto info = [](const std::string& text) {
    auto at = text.find("sluice_config_info{");
    return at == std::string::npos ? std::string() : text.substr(at, text.find('\n', at) - at);
  };
  ASSERT_FALSE(info(before).empty()) << before;
  ASSERT_FALSE(info(after).empty()) << after;
  EXPECT_NE(info(before), info(after));
  EXPECT_EQ(after.find(info(before)), std::string::npos) << "the old config's info is still exported";
}

}  // namespace
}  // namespace sluice
