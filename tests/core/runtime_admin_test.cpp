// The runtime's Admin (operator/operator_admin.cpp, runtime_replay.cpp, tap_hub.cpp) with fake plugins
// under an endless stream: dead letters replayed through the running pipeline once its rule
// is relaxed (each stored exactly once, then retired), refused again (kept, attempts + 1),
// dry runs, taps at a stage, the status view and a reload through the admin interface.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "pipeline_fixture.hpp"
#include "probe.hpp"
#include "runtime.hpp"
#include "support/process.hpp"

namespace sluice {
namespace {

using namespace std::chrono_literals;

class RuntimeAdminTest : public testing::Test {
 protected:
  std::string addr() { return std::to_string(reinterpret_cast<std::int64_t>(&probe_)); }
  // An endless source (batches of 10), sink `a` refusing every `reject_every`th offset, and
  // dead letters kept in memory.
  std::shared_ptr<const PipelinePlan> plan(int reject_every) {
    return std::make_shared<const PipelinePlan>(
        test::plan_from("name: admin-test\n"
                        "source: { plugin: fake_source, config: { probe: " +
                            addr() +
                            ", count: -1, batch: 10 } }\n"
                            "sinks:\n  - { id: a, plugin: fake_sink, config: { probe: " +
                            addr() + ", name: a, reject_every: " + std::to_string(reject_every) +
                            " } }\n"
                            "dead_letter: { plugin: fake_dead_letters }\n",
                        registry_));
  }
  void start(std::shared_ptr<const PipelinePlan> first) {
    plans_.push_back(first);
    runtime_ = std::make_unique<Runtime>(*first);
    thread_ = std::thread([this] { code_ = runtime_->run(); });
    ASSERT_TRUE(test::wait_until([&] { return admin() && admin()->dead_letters(); }, 20s, 2ms));
  }
  void TearDown() override {
    if (thread_.joinable()) {
      runtime_->request_stop("test over");
      thread_.join();
    }
  }
  Admin* admin() { return runtime_->shared().admin; }
  std::vector<DeadLetter> letters() {
    std::vector<DeadLetter> out;
    DeadLetterQuery all;
    all.limit = 0;
    EXPECT_TRUE(admin()->dead_letters()->list(all, true, out).is_ok());
    return out;
  }
  bool wait_letters(std::size_t n) {
    return test::wait_until([&] { return letters().size() >= n; }, 20s, 2ms);
  }
  std::uint64_t reloads(const std::string& result) {
    return runtime_->shared().metrics.counter("sluice_reloads_total", "", {{"result", result}}).value();
  }
  std::uint64_t replays(const std::string& outcome) {
    return runtime_->shared().metrics.counter("sluice_replay_records_total", "", {{"outcome", outcome}}).value();
  }
  std::uint64_t retired() {
    return runtime_->shared().metrics.counter("sluice_dead_letters_retired_total", "").value();
  }
  // Relaxes the rule: from the next batch on, `a` refuses nothing.
  void relax() {
    runtime_->request_reload(plan(0));
    plans_.push_back(nullptr);  // kept alive by the runtime
    ASSERT_TRUE(test::wait_until([&] { return reloads("applied") >= 1; }, 20s, 2ms));
  }

  test::Probe probe_;
  PluginRegistry registry_ = test::test_registry();
  std::vector<std::shared_ptr<const PipelinePlan>> plans_;
  std::unique_ptr<Runtime> runtime_;
  std::thread thread_;
  std::atomic<int> code_ = -1;
};

TEST_F(RuntimeAdminTest, ReplayAfterTheRuleIsRelaxedStoresEachLetterOnceAndRetiresIt) {
  start(plan(5));
  ASSERT_TRUE(wait_letters(50));
  relax();
  const auto before = letters();
  ASSERT_GE(before.size(), 50u);
  for (const auto& l : before) ASSERT_EQ(l.offset % 5, 0) << "letter " << l.id;

  ReplayOptions options;
  options.query.limit = 0;    // every letter
  options.batch_records = 7;  // several replay batches between the source's
  ReplayReport report;
  ASSERT_TRUE(admin()->replay(options, report).is_ok());
  EXPECT_EQ(report.error, "");
  EXPECT_EQ(report.matched, before.size());
  EXPECT_EQ(report.replayed, before.size());
  EXPECT_EQ(report.failed, 0u);
  EXPECT_TRUE(letters().empty()) << "replayed letters must be retired";
  EXPECT_EQ(replays("replayed"), before.size());
  EXPECT_EQ(replays("failed"), 0u);
  EXPECT_EQ(retired(), before.size());

  // Every offset `a` ever wrote, exactly once: the refused ones arrived through the replay.
  auto written = probe_.written_by("a");
  std::multiset<std::int64_t> seen(written.begin(), written.end());
  for (const auto& l : before) EXPECT_EQ(seen.count(l.offset), 1u) << "offset " << l.offset;
  for (auto offset : seen) ASSERT_EQ(seen.count(offset), 1u) << "offset " << offset << " written twice";
}

TEST_F(RuntimeAdminTest, ALetterRefusedAgainStaysWithOneMoreAttempt) {
  start(plan(5));
  ASSERT_TRUE(wait_letters(10));
  DeadLetterQuery first;
  first.limit = 3;
  std::vector<DeadLetter> chosen;
  ASSERT_TRUE(admin()->dead_letters()->list(first, false, chosen).is_ok());
  ASSERT_EQ(chosen.size(), 3u);

  ReplayOptions options;
  for (const auto& l : chosen) options.query.ids.push_back(l.id);
  options.query.limit = 0;
  ReplayReport report;
  ASSERT_TRUE(admin()->replay(options, report).is_ok());
  EXPECT_EQ(report.matched, 3u);
  EXPECT_EQ(report.replayed, 0u);
  EXPECT_EQ(report.failed, 3u);
  EXPECT_EQ(report.failed_ids, options.query.ids);
  EXPECT_EQ(replays("failed"), 3u);
  EXPECT_EQ(replays("replayed"), 0u);
  EXPECT_EQ(retired(), 0u);
  for (const auto& l : chosen) {
    DeadLetter now;
    bool found = false;
    ASSERT_TRUE(admin()->dead_letters()->get(l.id, now, found).is_ok());
    ASSERT_TRUE(found) << "a letter refused again must stay";
    EXPECT_EQ(now.attempts, 2);
    EXPECT_EQ(now.reason, "fake_reason");
  }
}

// A replay batch the sink partly refuses again: the letter ids travel beside the records
// (Batch::replay), so when the refused records leave the middle of the batch, the ids of the
// ones stored must still be theirs. Exactly the stored letters are retired, exactly the refused
// ones stay with one more attempt.
TEST_F(RuntimeAdminTest, AReplayPartlyRefusedRetiresExactlyTheStoredLetters) {
  start(plan(5));
  ASSERT_TRUE(wait_letters(20));
  runtime_->request_reload(plan(10));  // now refuses offsets 0, 10, 20...: half the letters
  plans_.push_back(nullptr);
  ASSERT_TRUE(test::wait_until([&] { return reloads("applied") >= 1; }, 20s, 2ms));
  DeadLetterQuery first;
  first.limit = 20;
  std::vector<DeadLetter> chosen;
  ASSERT_TRUE(admin()->dead_letters()->list(first, false, chosen).is_ok());
  ASSERT_EQ(chosen.size(), 20u);
  std::vector<std::int64_t> refused, stored;
  for (const auto& l : chosen) (l.offset % 10 == 0 ? refused : stored).push_back(l.id);
  ASSERT_FALSE(refused.empty());
  ASSERT_FALSE(stored.empty());

  ReplayOptions options;
  for (const auto& l : chosen) options.query.ids.push_back(l.id);
  options.query.limit = 0;
  options.batch_records = 7;  // mixed batches: refused records leave from their middle
  ReplayReport report;
  ASSERT_TRUE(admin()->replay(options, report).is_ok());
  EXPECT_EQ(report.error, "");
  EXPECT_EQ(report.replayed_ids, stored);
  EXPECT_EQ(report.failed_ids, refused);
  for (const auto& l : chosen) {
    DeadLetter now;
    bool found = false;
    ASSERT_TRUE(admin()->dead_letters()->get(l.id, now, found).is_ok());
    if (l.offset % 10 == 0) {
      ASSERT_TRUE(found) << "letter " << l.id << " (offset " << l.offset << ") was refused again";
      EXPECT_EQ(now.attempts, 2) << "letter " << l.id;
    } else {
      EXPECT_FALSE(found) << "letter " << l.id << " (offset " << l.offset << ") was stored: retired";
    }
  }
}

// A tap shows which letter a replayed record is (TapRecord::dead_letter_id): refused again, the
// record reaches the dead-letter tap with its own letter's id, next to the source's new refusals
// (id 0).
TEST_F(RuntimeAdminTest, TheDeadLetterTapNamesTheLetterAReplayedRecordCameFrom) {
  start(plan(5));
  ASSERT_TRUE(wait_letters(10));
  DeadLetterQuery first;
  first.limit = 3;
  std::vector<DeadLetter> chosen;
  ASSERT_TRUE(admin()->dead_letters()->list(first, false, chosen).is_ok());
  ASSERT_EQ(chosen.size(), 3u);
  std::map<std::int64_t, std::int64_t> offset_of;  // letter id -> its record's offset
  for (const auto& l : chosen) offset_of[l.id] = l.offset;

  TapLimits limits;
  limits.limit = 100000;
  limits.max_per_second = 100000;
  std::string error;
  auto tap = admin()->tap("dead_letter", limits, error);
  ASSERT_TRUE(tap) << error;
  ReplayOptions options;
  for (const auto& l : chosen) options.query.ids.push_back(l.id);
  options.query.limit = 0;
  ReplayReport report;
  ASSERT_TRUE(admin()->replay(options, report).is_ok());
  ASSERT_EQ(report.failed, 3u);

  std::map<std::int64_t, std::int64_t> seen;  // letter id -> the tapped record's offset
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  TapRecord record;
  while (seen.size() < offset_of.size() && tap->next(record, deadline)) {
    if (record.dead_letter_id != 0) seen[record.dead_letter_id] = record.record.offset;
  }
  EXPECT_EQ(seen, offset_of);
}

TEST_F(RuntimeAdminTest, ADryRunChangesNothing) {
  start(plan(5));
  ASSERT_TRUE(wait_letters(10));
  relax();
  const auto before = letters();
  ReplayOptions options;
  options.query.limit = 0;
  options.dry_run = true;
  ReplayReport report;
  ASSERT_TRUE(admin()->replay(options, report).is_ok());
  EXPECT_EQ(report.matched, before.size());
  EXPECT_EQ(report.replayed, before.size());  // would be
  EXPECT_EQ(letters().size(), before.size());
  EXPECT_EQ(replays("replayed"), 0u) << "a dry run counts nothing";
  EXPECT_EQ(retired(), 0u);
  for (const auto& l : before) {
    auto written = probe_.written_by("a");
    EXPECT_EQ(std::count(written.begin(), written.end(), l.offset), 0) << "a dry run wrote offset " << l.offset;
  }
}

TEST_F(RuntimeAdminTest, ATapSeesRecordsAtItsStageAndEndsAtItsLimit) {
  start(plan(5));
  std::string error;
  TapLimits limits;
  limits.limit = 5;
  auto tap = admin()->tap("a", limits, error);
  ASSERT_TRUE(tap) << error;
  std::vector<TapRecord> got;
  TapRecord record;
  while (tap->next(record, std::chrono::steady_clock::now() + 10s)) got.push_back(record);
  ASSERT_EQ(got.size(), 5u);
  EXPECT_TRUE(tap->ended());
  for (const auto& r : got) {
    EXPECT_EQ(r.stage, "a");
    EXPECT_NE(r.record.offset % 5, 0) << "records `a` refused do not pass it";
  }

  auto dead = admin()->tap("dead_letter", limits, error);
  ASSERT_TRUE(dead) << error;
  ASSERT_TRUE(dead->next(record, std::chrono::steady_clock::now() + 10s));
  EXPECT_EQ(record.record.rejection.reason, "fake_reason");
  EXPECT_EQ(record.record.offset % 5, 0);

  EXPECT_FALSE(admin()->tap("nowhere", limits, error));
  EXPECT_NE(error.find("nowhere"), std::string::npos) << error;
}

TEST_F(RuntimeAdminTest, StatusNamesThePipelineItsStagesAndCommittedPositions) {
  start(plan(0));
  ASSERT_TRUE(test::wait_until([&] { return !admin()->status()["positions"].empty(); }, 20s, 2ms));
  auto status = admin()->status();
  EXPECT_EQ(status["pipeline"], "admin-test");
  EXPECT_FALSE(status["config_hash"].get<std::string>().empty());
  std::set<std::string> ids;
  for (const auto& s : status["stages"]) {
    ids.insert(s["id"].get<std::string>());
    EXPECT_NE(s["file"].get<std::string>().find(".so"), std::string::npos) << s.dump();
  }
  EXPECT_TRUE(ids.count("a") && ids.count("fake_source") && ids.count("fake_dead_letters")) << status.dump();
  const auto first = status["positions"][0]["committed"].get<std::int64_t>();
  ASSERT_TRUE(test::wait_until(
      [&] { return admin()->status()["positions"][0]["committed"].get<std::int64_t>() > first; }, 20s, 2ms));
  EXPECT_TRUE(status["last_reload"].is_null());
}

// The lag comes from the source through SourceHost::report_lag (fake_source reports what it read
// past each commit), not from a plugin's metric read by name: a source without a kafka gauge
// still shows it.
TEST_F(RuntimeAdminTest, StatusShowsTheLagTheSourceReports) {
  start(plan(0));
  ASSERT_TRUE(test::wait_until(
      [&] {
        auto positions = admin()->status()["positions"];
        return !positions.empty() && positions[0]["lag"].is_number_integer();
      },
      20s, 2ms))
      << admin()->status().dump();
  EXPECT_GE(admin()->status()["positions"][0]["lag"].get<std::int64_t>(), 0);
  EXPECT_FALSE(runtime_->shared().metrics.gauge_value("sluice_kafka_lag", {{"topic", "fake"}, {"partition", "0"}}))
      << "no kafka gauge: the lag came through the host";
}

TEST_F(RuntimeAdminTest, AReloadThroughTheAdminReportsItsOutcome) {
  start(plan(5));
  EXPECT_EQ(admin()->reload(1s).result, "unavailable") << "no trigger: not started from a file";
  bool reject = true;
  runtime_->set_reload_trigger([&] {
    if (reject) {
      runtime_->reject_reload({"p.yaml:3:7: unknown key 'sinkz'"});
    } else {
      runtime_->request_reload(plan(0));
    }
  });
  auto refused = admin()->reload(20s);
  EXPECT_EQ(refused.result, "rejected");
  ASSERT_EQ(refused.messages.size(), 1u);
  EXPECT_NE(refused.messages[0].find("p.yaml:3:7"), std::string::npos);
  reject = false;
  auto applied = admin()->reload(20s);
  EXPECT_EQ(applied.result, "applied");
  EXPECT_EQ(applied.number, refused.number + 1);
  EXPECT_EQ(admin()->status()["last_reload"]["result"], "applied");
}

}  // namespace
}  // namespace sluice

namespace sluice {
namespace {

TEST_F(RuntimeAdminTest, AReplayOnceThePipelineStoppedSaysSoAndKeepsTheLetters) {
  start(plan(5));
  ASSERT_TRUE(wait_letters(5));
  runtime_->request_stop("test");
  thread_.join();
  const auto before = letters().size();
  ReplayOptions options;
  options.query.limit = 0;
  ReplayReport report;
  ASSERT_TRUE(admin()->replay(options, report).is_ok());
  EXPECT_NE(report.error.find("not running"), std::string::npos) << report.error;
  EXPECT_EQ(report.replayed, 0u);
  EXPECT_EQ(letters().size(), before);
}

}  // namespace
}  // namespace sluice
