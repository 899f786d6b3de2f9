// The operator side (core/src/operator/) without a pipeline: what its Admin answers from the
// state the runtime publishes and the inputs it is given. Status JSON, a reload waiting for
// its own outcome (or its timeout), the dead-letter store withdrawn while a call holds it,
// tap points, and a replay handed to whoever plays the source thread.
#include "operator/operator_side.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "sluice/replay.hpp"
#include "support/process.hpp"

namespace sluice {
namespace {

using namespace std::chrono_literals;

// Letters in memory; list() can be held inside the store until released.
class MemoryLetters final : public DeadLetterStore {
 public:
  explicit MemoryLetters(std::string location) : location_(std::move(location)) {}
  Status list(const DeadLetterQuery& query, bool, std::vector<DeadLetter>& out) override {
    inside_ = true;
    while (hold_) std::this_thread::sleep_for(1ms);  // the test's gate, not a synchronisation
    inside_ = false;
    std::lock_guard lock(mutex_);
    for (const DeadLetter& l : letters_) {
      if (l.id <= query.after_id) continue;
      if (query.limit != 0 && out.size() >= query.limit) break;
      out.push_back(l);
    }
    return Status::ok();
  }
  Status get(std::int64_t, DeadLetter&, bool& found) override {
    found = false;
    return Status::ok();
  }
  Status reasons(std::vector<ReasonCount>&) override { return Status::ok(); }
  Status discard(const DeadLetterQuery&, std::int64_t& discarded) override {
    discarded = 0;
    return Status::ok();
  }
  Status retire(const std::vector<std::int64_t>& ids) override {
    std::lock_guard lock(mutex_);
    retired_.insert(retired_.end(), ids.begin(), ids.end());
    std::erase_if(letters_, [&](const DeadLetter& l) { return std::count(ids.begin(), ids.end(), l.id) > 0; });
    return Status::ok();
  }
  std::string location() const override { return location_; }

  void add(std::int64_t id, std::string raw, std::int64_t raw_bytes = -1) {
    DeadLetter l;
    l.id = id;
    l.stream = "orders";
    l.offset = id * 10;
    l.raw_bytes = raw_bytes < 0 ? static_cast<std::int64_t>(raw.size()) : raw_bytes;
    l.raw = std::move(raw);
    std::lock_guard lock(mutex_);
    letters_.push_back(std::move(l));
  }
  std::vector<std::int64_t> retired() {
    std::lock_guard lock(mutex_);
    return retired_;
  }

  std::atomic<bool> hold_{false};
  std::atomic<bool> inside_{false};

 private:
  const std::string location_;
  std::mutex mutex_;
  std::vector<DeadLetter> letters_;
  std::vector<std::int64_t> retired_;
};

class OperatorSideTest : public testing::Test {
 protected:
  OperatorSide& side() { return *side_; }
  Admin& admin() { return side_->admin(); }
  std::uint64_t counted(const char* name, const Labels& labels = {}) {
    return metrics_.counter(name, "", labels).value();
  }
  static PlanView plan() {
    return {"orders",
            "/etc/sluice/pipeline.yaml",
            "abc123",
            {{Role::source, "kafka", "kafka", "/lib/kafka.so", "1.2", 1},
             {Role::transform, "validate", "order_validate", "/lib/v.so", "", 1},
             {Role::sink, "pg", "postgres", "/lib/pg.so", "", 2},
             {Role::sink, "cache", "memory_cache", "/lib/mc.so", "", 1},
             {Role::dead_letter, "dead_letters", "postgres_dead_letter", "/lib/dl.so", "", 1},
             {Role::api, "rest", "rest", "/lib/rest.so", "", 1}}};
  }

  Metrics metrics_;
  Health health_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> reloads_{0};
  std::map<PartitionKey, std::int64_t> lags_;
  std::unique_ptr<OperatorSide> side_ = std::make_unique<OperatorSide>(
      OperatorInputs{metrics_, health_, [this] { return stopping_.load(); }, [this] { return reloads_.load(); },
                     [this](const PartitionKey& key) -> std::optional<std::int64_t> {
                       auto it = lags_.find(key);
                       if (it == lags_.end()) return std::nullopt;
                       return it->second;
                     }},
      2s);
};

TEST_F(OperatorSideTest, StatusIsThePublishedPlanCommitsLagReadinessAndCounters) {
  side().publish_plan(plan());
  side().record_commit({{"orders", 0, 41}, {"orders", 1, 7}});
  side().record_commit({{"orders", 0, 42}});  // a later commit replaces the partition's earlier one
  lags_[{"orders", 0}] = 5;
  health_.set("pipeline", true);
  health_.set("postgres", false, "connection refused to db.internal as admin");
  stopping_ = true;
  metrics_.counter("sluice_records_consumed_total", "").inc(12);
  metrics_.counter("sluice_records_stored_total", "").inc(9);

  const auto s = admin().status();
  EXPECT_EQ(s["pipeline"], "orders");
  EXPECT_EQ(s["file"], "/etc/sluice/pipeline.yaml");
  EXPECT_EQ(s["config_hash"], "abc123");
  ASSERT_EQ(s["stages"].size(), 6u);
  EXPECT_EQ(s["stages"][2], nlohmann::json({{"role", "sink"},
                                            {"id", "pg"},
                                            {"plugin", "postgres"},
                                            {"file", "/lib/pg.so"},
                                            {"version", ""},
                                            {"generation", 2}}));
  EXPECT_EQ(s["stages"][4]["role"], "dead_letter");
  EXPECT_EQ(s["positions"], nlohmann::json::parse(R"([
      {"stream": "orders", "partition": 0, "committed": 42, "lag": 5},
      {"stream": "orders", "partition": 1, "committed": 7, "lag": null}])"));
  EXPECT_FALSE(s["ready"]);
  // Names only: the reason (hosts, users) stays in the log.
  EXPECT_EQ(s["not_ready"], nlohmann::json({"postgres"}));
  EXPECT_EQ(s["stopping"], true);
  EXPECT_EQ(s["records"], nlohmann::json({{"consumed", 12}, {"stored", 9}}));
  EXPECT_TRUE(s["last_reload"].is_null());
}

TEST_F(OperatorSideTest, BeforeAnyPublicationStatusStillAnswers) {
  const auto s = admin().status();
  EXPECT_TRUE(s["last_reload"].is_null());
  EXPECT_EQ(s["positions"], nlohmann::json::array());
  EXPECT_EQ(s["ready"], true);
  EXPECT_EQ(s["stopping"], false);
  EXPECT_TRUE(admin().tap_points().empty());  // nothing runs yet: nothing to tap
  std::string error;
  EXPECT_EQ(admin().tap("source", {}, error), nullptr);
  EXPECT_EQ(admin().dead_letters(), nullptr);
}

TEST_F(OperatorSideTest, AReloadWithoutATriggerIsUnavailable) {
  const auto r = admin().reload(1s);
  EXPECT_EQ(r.result, "unavailable");
  EXPECT_EQ(r.number, 0);
}

TEST_F(OperatorSideTest, AReloadAnswersWithTheOutcomeRecordedForItsNumber) {
  reloads_ = 3;
  side().record_reload(3, "rejected", {"an earlier one"});
  std::thread recorder;
  side().set_reload_trigger([&] {
    // As the source thread would: later, on a thread of its own.
    recorder = std::thread([&] { side().record_reload(4, "applied", {"sink 'b' added", "2 stage(s) kept"}); });
  });
  const auto r = admin().reload(10s);
  recorder.join();
  EXPECT_EQ(r.result, "applied");
  EXPECT_EQ(r.number, 4);
  EXPECT_EQ(r.messages, (std::vector<std::string>{"sink 'b' added", "2 stage(s) kept"}));
  const auto last = admin().status()["last_reload"];
  EXPECT_EQ(last["number"], 4);
  EXPECT_EQ(last["result"], "applied");
  EXPECT_GT(last["at_ms"].get<std::int64_t>(), 0);
}

TEST_F(OperatorSideTest, AReloadNeverRecordedTimesOutWithTheNumberItWouldHave) {
  reloads_ = 3;
  side().record_reload(3, "applied", {"nothing changed"});  // not the one asked for
  int triggered = 0;
  side().set_reload_trigger([&] { ++triggered; });
  const auto start = std::chrono::steady_clock::now();
  const auto r = admin().reload(150ms);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 150ms);
  EXPECT_EQ(triggered, 1);
  EXPECT_EQ(r.result, "timeout");
  EXPECT_EQ(r.number, 4);
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0], "not applied within 150 ms; it may still be");
}

// An admin reload asked for while the reload before it stops the admin API answering it: that
// stop waits for the request, and the reload asked for cannot run before the stop ended.
TEST_F(OperatorSideTest, AReloadAskedForWhileItsApiIsReplacedAnswersAtOnce) {
  reloads_ = 3;
  side().record_reload(3, "applied", {"admin.threads 2 -> 3"});
  side().set_reload_trigger([] {});
  side().last_reload().answer_waiters_now("not applied yet: it runs next");
  const auto r = admin().reload(60s);
  EXPECT_EQ(r.result, "timeout");
  EXPECT_EQ(r.number, 4);
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0], "not applied yet: it runs next");
  // One already waiting when the replacement begins answers too.
  side().last_reload().let_waiters_wait();
  std::atomic<bool> triggered = false;
  side().set_reload_trigger([&] { triggered = true; });
  auto waiting = std::async(std::launch::async, [&] { return admin().reload(60s); });
  while (!triggered) std::this_thread::yield();
  side().last_reload().answer_waiters_now("stopping");
  EXPECT_EQ(waiting.get().result, "timeout");
  // A reload recorded meanwhile is still the answer of whoever waited for it.
  side().record_reload(4, "applied", {});
  EXPECT_EQ(side().last_reload().wait_past(3, 1s)->result, "applied");
}

TEST_F(OperatorSideTest, TheDeadLetterStoreIsNotWithdrawnUnderACallAndCallsMeanwhileAreToldToRetry) {
  MemoryLetters old_store("postgresql://old:5432/db"), new_store("postgresql://new:5432/db");
  old_store.add(1, "a");
  new_store.add(2, "b");
  side().set_dead_letter_store(&old_store);
  DeadLetterStore* letters = admin().dead_letters();
  ASSERT_NE(letters, nullptr);

  old_store.hold_ = true;
  auto call = std::async(std::launch::async, [&] {
    std::vector<DeadLetter> out;
    Status s = letters->list({}, true, out);
    return s.is_ok() && out.size() == 1 && out[0].id == 1;
  });
  ASSERT_TRUE(test::wait_until([&] { return old_store.inside_.load(); }, 10s, 1ms));
  std::atomic<bool> withdrawn{false};
  std::promise<void> release_withdrawal;
  auto reload = std::async(std::launch::async, [&] {
    auto hold = side().withdraw_dead_letter_store();
    withdrawn = true;
    release_withdrawal.get_future().wait();  // as a reload destroying the old sink
  });
  // The reload waits for the call inside the old store...
  EXPECT_FALSE(test::wait_until([&] { return withdrawn.load(); }, 100ms, 1ms));
  old_store.hold_ = false;
  EXPECT_TRUE(call.get());
  ASSERT_TRUE(test::wait_until([&] { return withdrawn.load(); }, 10s, 1ms));
  // ...and while it destroys it, a call finds no store and says why.
  std::vector<DeadLetter> out;
  auto during = std::async(std::launch::async, [&] { return letters->list({}, true, out); });
  EXPECT_EQ(during.wait_for(100ms), std::future_status::timeout);  // waits for the withdrawal to end
  release_withdrawal.set_value();
  reload.get();
  const Status s = during.get();
  EXPECT_EQ(s.code(), StatusCode::retry);
  EXPECT_EQ(s.message(), "the dead-letter sink is being replaced");
  EXPECT_EQ(admin().dead_letters(), nullptr);

  side().set_dead_letter_store(&new_store);
  ASSERT_EQ(admin().dead_letters(), letters);  // the same object, now over the new store
  out.clear();
  ASSERT_TRUE(letters->list({}, true, out).is_ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].id, 2);
  EXPECT_EQ(letters->location(), "postgresql://new:5432/db");
}

TEST_F(OperatorSideTest, TapPointsFollowThePublishedPlanAndOnlyThoseOpen) {
  side().publish_plan(plan());
  EXPECT_EQ(admin().tap_points(), (std::vector<std::string>{"source", "validate", "pg", "cache", "dead_letter"}));
  std::string error;
  EXPECT_EQ(admin().tap("rest", {}, error), nullptr);
  EXPECT_EQ(error, "no stage 'rest' to tap");
  auto tap = admin().tap("cache", {}, error);
  ASSERT_NE(tap, nullptr);
  EXPECT_EQ(metrics_.gauge_value("sluice_taps_open", {}), 1.0);
  Record r;
  r.value = "v";
  side().tap_hub().offer("cache", {r});
  TapRecord seen;
  ASSERT_TRUE(tap->next(seen, std::chrono::steady_clock::now() + 5s));
  EXPECT_EQ(seen.stage, "cache");
  side().end_taps();
  EXPECT_FALSE(tap->next(seen, std::chrono::steady_clock::now() + 5s));

  PlanView without_cache = plan();
  without_cache.stages.erase(without_cache.stages.begin() + 3);
  side().publish_plan(without_cache);
  error.clear();
  EXPECT_EQ(admin().tap("cache", {}, error), nullptr);
  EXPECT_EQ(error, "no stage 'cache' to tap");
}

TEST_F(OperatorSideTest, AReplayIsHandedToTheSourceThreadAndRetiresWhatEverySinkKept) {
  MemoryLetters store("postgresql://db:5432/orders");
  store.add(1, "one");
  store.add(2, "two");
  store.add(3, "thr", /*raw_bytes=*/9);  // only part kept: skipped
  store.add(4, "four");
  side().set_dead_letter_store(&store);
  side().open_replays();

  // The source thread: takes each batch, "refuses" offset 40 (letter 4), keeps the rest.
  std::atomic<bool> done{false};
  std::vector<std::string> handed_locations;
  std::thread source([&] {
    while (!done) {
      for (auto& [batch, finish] : side().take_replays()) {
        ASSERT_TRUE(batch.replay);
        handed_locations.push_back(batch.replay->retire_in);
        EXPECT_TRUE(batch.positions.empty());  // nothing to commit to the source
        // As the stage pipeline does with a refused record: it leaves with its letter's id.
        Batch kept;
        ReplayBatch kept_ids{{}, batch.replay->retire_in};
        for (std::size_t i = 0; i < batch.records.size(); ++i) {
          if (batch.records[i].offset == 40) continue;
          kept.records.push_back(batch.records[i]);
          kept_ids.dead_letter_ids.push_back(dead_letter_id(batch, i));
        }
        kept.replay = std::make_shared<const ReplayBatch>(std::move(kept_ids));
        finish(kept, true);
      }
      std::this_thread::sleep_for(1ms);  // between batches, as the source loop polls
    }
  });
  ReplayOptions options;
  options.query.limit = 0;
  options.batch_records = 2;
  ReplayReport report;
  const Status s = admin().replay(options, report);
  done = true;
  source.join();

  ASSERT_TRUE(s.is_ok()) << s.message();
  EXPECT_EQ(report.error, "");
  EXPECT_EQ(report.matched, 4u);
  EXPECT_EQ(report.replayed_ids, (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(report.failed_ids, (std::vector<std::int64_t>{4}));
  EXPECT_EQ(report.skipped_ids, (std::vector<std::int64_t>{3}));
  EXPECT_EQ(store.retired(), (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(handed_locations, (std::vector<std::string>{"postgresql://db:5432/orders", "postgresql://db:5432/orders"}));
  EXPECT_EQ(counted("sluice_replay_records_total", {{"outcome", "replayed"}}), 2u);
  EXPECT_EQ(counted("sluice_replay_records_total", {{"outcome", "failed"}}), 1u);
  EXPECT_EQ(counted("sluice_replay_records_total", {{"outcome", "skipped"}}), 1u);
  EXPECT_EQ(counted("sluice_dead_letters_retired_total"), 2u);
}

TEST_F(OperatorSideTest, AReplayWhileTheQueueIsClosedSaysWhyAndKeepsTheLetters) {
  MemoryLetters store("postgresql://db:5432/orders");
  store.add(1, "one");
  side().set_dead_letter_store(&store);
  side().open_replays();
  side().close_replays("the pipeline is not running (stopping, or its source ended)");
  ReplayReport report;
  ASSERT_TRUE(admin().replay({}, report).is_ok());
  EXPECT_EQ(report.error, "the pipeline is not running (stopping, or its source ended)");
  EXPECT_EQ(report.replayed, 0u);
  EXPECT_TRUE(store.retired().empty());
}

TEST_F(OperatorSideTest, AReplayWithoutAStoreThatListsIsRefused) {
  ReplayReport report;
  const Status s = admin().replay({}, report);
  EXPECT_EQ(s.code(), StatusCode::fatal);
  EXPECT_EQ(s.message(), "the pipeline has no dead-letter store that can list its letters");
}

}  // namespace
}  // namespace sluice
