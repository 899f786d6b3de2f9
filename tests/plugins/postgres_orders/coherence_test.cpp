// The postgres side of README.md, "Coherent reads across instances", against a real PostgreSQL 15:
// versions that only grow per order (across batches and across writers), versioned reads, the
// change feed (NOTIFY in the batch transaction, LISTEN thread, resync after a lost session) and
// read-your-writes waits.
#include <gtest/gtest.h>

#include <thread>

#include "pipeline_steps.hpp"
#include "postgres_fixture.hpp"
#include "recording_follower.hpp"
#include "support/order_samples.hpp"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;

class CoherenceTest : public PostgresTest {
 protected:
  // Writes orders `uids` (variant `n` of each) as one batch, positions (stream, 0, next).
  Batch write(pg::PostgresSink& sink, const std::vector<std::string>& uids, int n, std::int64_t next,
              const std::string& stream = "orders") {
    Batch batch;
    for (std::size_t i = 0; i < uids.size(); ++i) {
      batch.records.push_back(
          make_record(make_order(uids[i], n).dump(), next - std::int64_t(uids.size() - i), 0, stream));
    }
    batch.positions.push_back({stream, 0, next});
    Outcome outcome;
    Status status = sink.write(batch, outcome);
    // As the runtime does: "retry" (e.g. two writers racing on one order) means call again.
    for (int attempt = 0; status.code() == StatusCode::retry && attempt < 20; ++attempt) {
      outcome.clear();
      status = sink.write(batch, outcome);
    }
    EXPECT_TRUE(status.is_ok()) << status.message();
    EXPECT_TRUE(outcome.rejected().empty());
    return batch;
  }
  // The change feeds' LISTEN sessions open on this test's database.
  std::string feed_sessions() const {
    return scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'sluice-feed' AND datname = "
        "current_database()");
  }
  std::int64_t stored_version(const std::string& uid) {
    std::string v = scalar("SELECT version FROM orders WHERE order_uid = '" + uid + "'");
    return v.empty() ? 0 : std::stoll(v);
  }
};

TEST_F(CoherenceTest, VersionsGrowPerOrderAcrossBatchesAndReadsReturnThem) {
  auto sink = make_sink();
  ASSERT_TRUE(sink->open().is_ok());
  Batch first = write(*sink, {"va", "vb"}, 1, 2);
  ASSERT_GT(first.records[0].version, 0);
  EXPECT_EQ(first.records[0].version, first.records[1].version);  // one per batch
  Batch second = write(*sink, {"va"}, 2, 3);
  EXPECT_GT(second.records[0].version, first.records[0].version);
  EXPECT_EQ(stored_version("va"), second.records[0].version);

  std::string value;
  std::int64_t version = 0;
  ASSERT_EQ(sink->get("va", value, version), Lookup::found);
  EXPECT_EQ(version, second.records[0].version);
  EXPECT_EQ(nlohmann::json::parse(value)["payment"]["amount"], 1819);

  // An older duplicate in the same batch is not stored and keeps version 0.
  Batch dup;
  dup.records = {make_record(make_order("vb", 5).dump(), 3), make_record(make_order("vb", 6).dump(), 4)};
  dup.positions = {{"orders", 0, 5}};
  Outcome outcome;
  ASSERT_TRUE(sink->write(dup, outcome).is_ok());
  EXPECT_EQ(dup.records[0].version, 0);
  EXPECT_GT(dup.records[1].version, second.records[0].version);

  std::map<std::string, std::int64_t> scanned;
  ASSERT_TRUE(sink->scan([&](std::string_view key, std::string_view, std::int64_t v) {
                    scanned[std::string(key)] = v;
                    return true;
                  })
                  .is_ok());
  EXPECT_EQ(scanned,
            (std::map<std::string, std::int64_t>{{"va", second.records[0].version}, {"vb", dup.records[1].version}}));
}

TEST_F(CoherenceTest, TwoWritersOfTheSameOrderNeverStoreAnOlderVersionLast) {
  auto one = make_sink();
  auto two = make_sink();
  ASSERT_TRUE(one->open().is_ok());
  ASSERT_TRUE(two->open().is_ok());
  // Two instances writing the same hot orders (different streams, so fencing stays out of
  // it): whatever the interleaving, the row left is the one with the highest version handed
  // out, and each writer sees its own versions grow.
  std::vector<std::int64_t> versions[2];
  std::map<std::int64_t, int> amount_of;  // version -> payment.amount written with it
  std::mutex mutex;
  auto run = [&](pg::PostgresSink& sink, int who) {
    for (int n = 0; n < 40; ++n) {
      Batch batch = write(sink, {"hot-1", "hot-2"}, who * 1000 + n, n + 2, who ? "b" : "a");
      std::lock_guard lock(mutex);
      versions[who].push_back(batch.records[1].version);
      amount_of[batch.records[1].version] = 1817 + who * 1000 + n;
    }
  };
  std::thread other([&] { run(*two, 1); });
  run(*one, 0);
  other.join();
  for (const auto& mine : versions) {
    for (std::size_t i = 1; i < mine.size(); ++i) EXPECT_GT(mine[i], mine[i - 1]);
  }
  const std::int64_t highest = std::max(versions[0].back(), versions[1].back());
  EXPECT_EQ(stored_version("hot-2"), highest);
  EXPECT_EQ(scalar("SELECT amount FROM payments WHERE order_uid = 'hot-2'"), std::to_string(amount_of[highest]));
}

TEST_F(CoherenceTest, GetManyVisitsTheStoredKeysWithVersions) {
  auto sink = make_sink();
  ASSERT_TRUE(sink->open().is_ok());
  Batch batch = write(*sink, {"m1", "m2", "m3"}, 0, 3);
  std::map<std::string, std::int64_t> found;
  ASSERT_TRUE(sink->get_many({"m1", "nope", "m3", "m\"quote"},
                             [&](std::string_view key, std::string_view value, std::int64_t version) {
                               EXPECT_EQ(nlohmann::json::parse(value)["order_uid"], key);
                               found[std::string(key)] = version;
                             })
                  .is_ok());
  EXPECT_EQ(found,
            (std::map<std::string, std::int64_t>{{"m1", batch.records[0].version}, {"m3", batch.records[2].version}}));
}

TEST_F(CoherenceTest, FollowerReceivesEveryCommittedBatch) {
  auto reader = make_sink();
  auto writer = make_sink();
  ASSERT_TRUE(writer->open().is_ok());
  ASSERT_TRUE(reader->open().is_ok());
  RecordingFollower follower(*reader);
  ASSERT_TRUE(reader->follow(follower).is_ok());
  ASSERT_TRUE(reader->follow(follower).is_ok());  // again: nothing changes
  ASSERT_TRUE(wait_until([&] { return follower.resumes() == 1; }, 10s));

  const auto before = std::chrono::system_clock::now();
  Batch batch = write(*writer, {"f1", "f2"}, 0, 7);
  ASSERT_TRUE(wait_until([&] { return !follower.changes().empty(); }, 10s));
  CommittedChange change = follower.changes()[0];
  ASSERT_EQ(change.keys.size(), 2u);
  std::map<std::string, std::int64_t> keys;
  for (const auto& key : change.keys) keys[key.key] = key.version;
  EXPECT_EQ(keys,
            (std::map<std::string, std::int64_t>{{"f1", batch.records[0].version}, {"f2", batch.records[1].version}}));
  ASSERT_EQ(change.positions.size(), 1u);
  EXPECT_EQ(change.positions[0].stream, "orders");
  EXPECT_EQ(change.positions[0].offset, 7);
  const auto at = std::chrono::system_clock::time_point(std::chrono::microseconds(change.committed_at_us));
  EXPECT_GE(at, before - 5s);
  EXPECT_LE(at, std::chrono::system_clock::now() + 5s);

  // A batch too large for one NOTIFY arrives whole, positions after every key.
  std::vector<std::string> many;
  for (int i = 0; i < 600; ++i) many.push_back("bulk-order-with-a-long-name-" + std::to_string(i));
  write(*writer, many, 0, 1000);
  ASSERT_TRUE(wait_until([&] { return follower.held(many.back()) > 0 && follower.held(many.front()) > 0; }, 10s));
  auto changes = follower.changes();
  ASSERT_GT(changes.size(), 2u);
  EXPECT_EQ(changes.back().positions.size(), 1u);
  EXPECT_TRUE(changes[changes.size() - 2].positions.empty());
  std::size_t announced = 0;
  for (std::size_t i = 1; i < changes.size(); ++i) announced += changes[i].keys.size();
  EXPECT_EQ(announced, many.size());

  reader->unfollow(follower);
  reader->unfollow(follower);  // twice is fine
  const auto seen = follower.changes().size();
  write(*writer, {"after-unfollow"}, 0, 1001);
  EXPECT_TRUE(wait_until([&] { return feed_sessions() == "0"; }, 5s));
  EXPECT_EQ(follower.changes().size(), seen);
  reader->close();
  reader->close();
}

// Two caches on one store (a bounded hot one and a full one): both hear every commit, and
// one leaving does not silence the other.
TEST_F(CoherenceTest, EveryFollowerOfOneStoreReceivesEveryCommit) {
  auto reader = make_sink();
  auto writer = make_sink();
  ASSERT_TRUE(writer->open().is_ok());
  ASSERT_TRUE(reader->open().is_ok());
  RecordingFollower hot(*reader);
  RecordingFollower full(*reader);
  ASSERT_TRUE(reader->follow(hot).is_ok());
  ASSERT_TRUE(reader->follow(full).is_ok());
  ASSERT_TRUE(wait_until([&] { return hot.resumes() == 1 && full.resumes() == 1; }, 10s));

  Batch batch = write(*writer, {"both-1", "both-2"}, 0, 20);
  ASSERT_TRUE(wait_until([&] { return hot.held("both-2") > 0 && full.held("both-2") > 0; }, 10s));
  EXPECT_EQ(hot.held("both-1"), batch.records[0].version);
  EXPECT_EQ(full.held("both-1"), batch.records[0].version);

  reader->unfollow(hot);
  Batch later = write(*writer, {"both-1"}, 0, 21);
  ASSERT_TRUE(wait_until([&] { return full.held("both-1") == later.records[0].version; }, 10s));
  EXPECT_EQ(hot.held("both-1"), batch.records[0].version);  // unfollowed: hears nothing more
  reader->close();
  EXPECT_TRUE(wait_until([&] { return feed_sessions() == "0"; }, 5s));
}

TEST_F(CoherenceTest, LostSessionIsReportedThenResumedWithNothingMissed) {
  auto reader = make_sink();
  auto writer = make_sink();
  ASSERT_TRUE(writer->open().is_ok());
  ASSERT_TRUE(reader->open().is_ok());
  RecordingFollower follower(*reader);
  ASSERT_TRUE(reader->follow(follower).is_ok());
  ASSERT_TRUE(wait_until([&] { return follower.resumes() == 1; }, 10s));

  // Written while the feed is down for sure (lost() runs on the feed thread, between the
  // lost session and the next one): only the resync scan inside resumed() can cover it.
  Batch while_down;
  follower.on_lost([&] { while_down = write(*writer, {"while-down"}, 3, 11); });
  ASSERT_EQ(scalar("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = "
                   "'sluice-feed' AND datname = '" +
                   database_ + "'"),
            "1");
  ASSERT_TRUE(wait_until([&] { return follower.resumes() == 2; }, 10s));
  auto reasons = follower.lost_reasons();
  ASSERT_EQ(reasons.size(), 1u);
  for (const std::string& secret : {std::string("127.0.0.1"), std::to_string(cluster_->port()), database_}) {
    EXPECT_EQ(reasons[0].find(secret), std::string::npos) << reasons[0];
  }
  ASSERT_GT(while_down.records.size(), 0u);
  EXPECT_EQ(follower.held("while-down"), while_down.records[0].version);
  bool resumed_at_11 = false;
  for (const Position& p : follower.resumed_positions()) resumed_at_11 |= p.stream == "orders" && p.offset == 11;
  EXPECT_TRUE(resumed_at_11);

  Batch after = write(*writer, {"while-down", "after"}, 4, 13);
  ASSERT_TRUE(wait_until([&] { return follower.held("after") > 0; }, 10s));
  EXPECT_EQ(follower.held("while-down"), after.records[0].version);
}

TEST_F(CoherenceTest, WaitForReachesStoredPositionsWithinTheDeadline) {
  auto sink = make_sink();
  ASSERT_TRUE(sink->open().is_ok());
  write(*sink, {"w1"}, 0, 10);
  EXPECT_EQ(sink->wait_for({"orders", 0, 10}, std::chrono::steady_clock::now() + 1s), Reach::reached);
  EXPECT_EQ(sink->wait_for({"orders", 0, 0}, std::chrono::steady_clock::now()), Reach::reached);

  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(sink->wait_for({"orders", 0, 11}, started + 300ms), Reach::not_yet);
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 1s);
  EXPECT_EQ(sink->wait_for({"elsewhere", 3, 1}, std::chrono::steady_clock::now() + 50ms), Reach::not_yet);

  // Reached as soon as another writer stores the position, well before the deadline.
  auto writer = make_sink();
  ASSERT_TRUE(writer->open().is_ok());
  Reach reach = Reach::unknown;
  started = std::chrono::steady_clock::now();
  std::thread waiter([&] { reach = sink->wait_for({"orders", 0, 20}, started + 10s); });
  write(*writer, {"w2"}, 0, 20);
  waiter.join();
  EXPECT_EQ(reach, Reach::reached);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

}  // namespace
}  // namespace sluice::test
