// No valid order vanishes (README.md, "Delivery guarantees"), through the real default pipeline: an
// order whose newest version in a batch is refused by the database keeps its older version of the
// same batch, and the database, the cache (/order) and the dead letters agree, before and after a
// restart (which warms the cache from the database).
//
// Before the fix the older version was neither stored nor dead-lettered, yet cached: /order
// served it from the cache while the database had nothing, and a restart made it vanish.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "default_pipeline.hpp"
#include "support/order_samples.hpp"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;

// The track_number of /order/UID as the instance serves it ("" when not 200).
std::string served_track_number(DefaultPipeline& p, const std::string& uid) {
  HttpReply reply = http_get(p.http_port(), "/order/" + uid);
  if (reply.status != 200) return "";
  return nlohmann::json::parse(reply.body).value("track_number", "");
}

TEST(RefusedVersion, OlderVersionOfTheSameBatchIsStoredAndEveryStoreAgrees) {
  DefaultPipeline p({.name = "refused-version", .partitions = 1});
  // A first run creates the schema (every sink opened: /healthz answers before that); then a
  // rule the validator cannot know refuses version 2.
  ASSERT_TRUE(p.start()) << p.logs();
  ASSERT_TRUE(p.process().wait_stderr("pipeline 'orders' is running", 60s)) << p.logs();
  ASSERT_EQ(p.terminate(30s), 0) << p.logs();
  p.db().query("ALTER TABLE orders ADD CONSTRAINT no_version_two CHECK (track_number NOT LIKE '%-v2')");

  // Both versions go in one produce request and wait in the topic before the pipeline
  // starts, so its first batch holds both.
  std::string lines;
  for (int version : {1, 2}) {
    auto order = make_order("twice-1", version);
    order["track_number"] = "TWICE-v" + std::to_string(version);
    lines += order.dump() + "\n";
  }
  auto file = scratch_dir("refused-version-orders") / "both.ndjson";
  write_file(file, lines);
  auto published = run({sluice_binary().string(), "publish", "--brokers", p.broker().address(), "--topic", p.topic(),
                        "--file", file.string()});
  ASSERT_EQ(published.code, 0) << published.err;
  ASSERT_TRUE(p.start()) << p.logs();
  ASSERT_TRUE(wait_until([&] { return p.db().scalar("SELECT count(*) FROM dead_letters") == "1"; }, 60s, 100ms))
      << p.logs();
  ASSERT_TRUE(wait_until([&] { return p.stored_offsets() == p.end_offsets(); }, 60s, 100ms)) << p.logs();

  auto expect_agreement = [&](const std::string& when) {
    SCOPED_TRACE(when);
    std::string stored = p.db().scalar("SELECT track_number FROM orders WHERE order_uid = 'twice-1'");
    EXPECT_TRUE(stored.ends_with("-v1")) << "database: '" << stored << "'" << p.logs();
    EXPECT_EQ(served_track_number(p, "twice-1"), stored) << p.logs();
    EXPECT_EQ(p.db().scalar("SELECT reason || ' ' || (convert_from(raw, 'UTF8')::json->>'track_number') LIKE "
                            "'db_refused %-v2' FROM dead_letters"),
              "t");
  };
  expect_agreement("after the batch");
  ASSERT_EQ(p.terminate(30s), 0) << p.logs();
  ASSERT_TRUE(p.start()) << p.logs();
  ASSERT_TRUE(wait_until([&] { return http_get(p.http_port(), "/readyz").status == 200; }, 60s, 100ms)) << p.logs();
  expect_agreement("after a restart");
  EXPECT_EQ(p.db().scalar("SELECT count(*) FROM dead_letters"), "1");
  EXPECT_EQ(p.terminate(30s), 0) << p.logs();
}

}  // namespace
}  // namespace sluice::test
