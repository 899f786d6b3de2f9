// postgres_dead_letter's DeadLetterStore over a real PostgreSQL 15 (README.md, "Operating Sluice"):
// letters written through the sink, then listed with every filter, paged, read, counted, discarded
// and retired; a replay refused again updating its letter; payloads beyond max_payload_bytes kept
// truncated with their whole size and SHA-256; retention by count and age.
#include <gtest/gtest.h>

#include <chrono>

#include "plugins/postgres_orders/postgres_fixture.hpp"
#include "sluice/replay.hpp"

namespace sluice::test {
namespace {

using nlohmann::json;

Record letter(std::string raw, std::int64_t offset, std::string reason, std::string stage, std::string pointer = "/x") {
  Record record;
  record.value = std::move(raw);
  record.stream = "orders";
  record.partition = 2;
  record.offset = offset;
  record.rejection.reason = std::move(reason);
  record.rejection.pointer = std::move(pointer);
  record.rejection.detail = "a sentence";
  record.rejection.stage = std::move(stage);
  return record;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class DeadLetterStoreTest : public PostgresTest {
 protected:
  std::unique_ptr<pg::DeadLetterSink> open_sink(json extra = json::object()) {
    extra["dsn"] = dsn();
    auto sink = std::make_unique<pg::DeadLetterSink>(Config(extra), host_);
    Status status = sink->open();
    EXPECT_TRUE(status.is_ok()) << status.message();
    return sink;
  }
  // `replayed`: a replay's letter ids, one per record (sluice/replay.hpp); empty: none.
  void write(pg::DeadLetterSink& sink, std::vector<Record> records, std::vector<std::int64_t> replayed = {}) {
    Batch batch;
    batch.records = std::move(records);
    if (!replayed.empty()) batch.replay = std::make_shared<const ReplayBatch>(ReplayBatch{std::move(replayed), ""});
    Outcome outcome;
    Status status = sink.write(batch, outcome);
    ASSERT_TRUE(status.is_ok()) << status.message();
  }
  std::vector<std::int64_t> ids_of(DeadLetterStore& store, const DeadLetterQuery& query) {
    std::vector<DeadLetter> letters;
    Status status = store.list(query, false, letters);
    EXPECT_TRUE(status.is_ok()) << status.message();
    std::vector<std::int64_t> ids;
    for (const DeadLetter& l : letters) ids.push_back(l.id);
    return ids;
  }
  std::vector<std::int64_t> all_ids() {
    std::vector<std::int64_t> ids;
    for (const auto& row : query("SELECT id FROM dead_letters ORDER BY id")) ids.push_back(std::stoll(row[0]));
    return ids;
  }

  // Five letters: ids[0..4] at offsets 0..3 and one without a position.
  void write_five(pg::DeadLetterSink& sink) {
    Record binary_key = letter(std::string("not json\0\xff", 10), -1, "too_large", "validate", "");
    binary_key.key = std::string("k\0\x80", 3);
    write(sink, {letter("{\"a\":1}", 0, "missing_field", "validate"), letter("{", 1, "invalid_json", "validate"),
                 letter("{\"b\":2}", 2, "missing_field", "db"), letter("{\"c\":3}", 3, "missing_field", "validate"),
                 binary_key});
    ids = all_ids();
    ASSERT_EQ(ids.size(), 5u);
  }

  std::vector<std::int64_t> ids;
};

TEST_F(DeadLetterStoreTest, ListsWithEveryFilterInIdOrder) {
  auto sink = open_sink();
  std::int64_t before = now_ms();
  write_five(*sink);
  std::int64_t after = now_ms();
  DeadLetterStore& store = *sink->dead_letter_store();

  std::vector<DeadLetter> letters;
  ASSERT_TRUE(store.list({}, true, letters).is_ok());
  ASSERT_EQ(letters.size(), 5u);
  const DeadLetter& first = letters[0];
  EXPECT_EQ(first.id, ids[0]);
  EXPECT_EQ(first.stream, "orders");
  EXPECT_EQ(first.partition, 2);
  EXPECT_EQ(first.offset, 0);
  EXPECT_EQ(first.raw, "{\"a\":1}");
  EXPECT_EQ(first.raw_bytes, 7);
  EXPECT_EQ(first.reason, "missing_field");
  EXPECT_EQ(first.pointer, "/x");
  EXPECT_EQ(first.detail, "a sentence");
  EXPECT_EQ(first.stage, "validate");
  EXPECT_EQ(first.attempts, 1);
  EXPECT_FALSE(first.truncated());
  // Same machine, same clock; the server's now() lies within the write call.
  EXPECT_GE(first.first_seen_ms, before - 1000);
  EXPECT_LE(first.first_seen_ms, after + 1000);
  EXPECT_EQ(first.first_seen_ms, first.last_seen_ms);
  const DeadLetter& binary = letters[4];
  EXPECT_EQ(binary.offset, -1);
  EXPECT_EQ(binary.key, std::string("k\0\x80", 3));
  EXPECT_EQ(binary.raw, std::string("not json\0\xff", 10));
  EXPECT_EQ(binary.raw_bytes, 10);
  EXPECT_EQ(binary.pointer, "");

  // Without payload: no key, no raw, the rest as it is.
  ASSERT_TRUE(store.list({}, false, letters).is_ok());
  ASSERT_EQ(letters.size(), 5u);
  EXPECT_TRUE(letters[4].key.empty());
  EXPECT_TRUE(letters[4].raw.empty());
  EXPECT_EQ(letters[4].raw_bytes, 10);
  EXPECT_EQ(letters[4].raw_sha256, scalar("SELECT encode(sha256('\\x6e6f74206a736f6e00ff'::bytea), 'hex')"));

  DeadLetterQuery by_reason;
  by_reason.reason = "missing_field";
  EXPECT_EQ(ids_of(store, by_reason), (std::vector<std::int64_t>{ids[0], ids[2], ids[3]}));
  DeadLetterQuery by_stage;
  by_stage.stage = "db";
  EXPECT_EQ(ids_of(store, by_stage), (std::vector<std::int64_t>{ids[2]}));
  DeadLetterQuery both = by_reason;
  both.stage = "validate";
  EXPECT_EQ(ids_of(store, both), (std::vector<std::int64_t>{ids[0], ids[3]}));
  DeadLetterQuery by_ids;
  by_ids.ids = {ids[4], ids[1], 999999};
  EXPECT_EQ(ids_of(store, by_ids), (std::vector<std::int64_t>{ids[1], ids[4]}));
  DeadLetterQuery none;
  none.reason = "no_such_reason";
  EXPECT_TRUE(ids_of(store, none).empty());
  // The key matches byte for byte (NUL and a byte that is not UTF-8 included), nothing else.
  DeadLetterQuery by_key;
  by_key.key = std::string("k\0\x80", 3);
  EXPECT_EQ(ids_of(store, by_key), (std::vector<std::int64_t>{ids[4]}));
  for (const std::string& near : {std::string("k"), std::string("k\0", 2), std::string("K\0\x80", 3),
                                  std::string("' OR ''='"), std::string("\\x6b0080")}) {
    by_key.key = near;
    EXPECT_TRUE(ids_of(store, by_key).empty()) << near;
  }
  by_key.key = std::string("k\0\x80", 3);
  by_key.reason = "missing_field";
  EXPECT_TRUE(ids_of(store, by_key).empty()) << "every condition must hold";

  // since: last_seen at or after; two letters last seen an hour ago.
  query("UPDATE dead_letters SET last_seen = now() - interval '1 hour' WHERE id IN (" + std::to_string(ids[0]) + "," +
        std::to_string(ids[1]) + ")");
  DeadLetterQuery since;
  since.since_ms = now_ms() - 10 * 60 * 1000;
  EXPECT_EQ(ids_of(store, since), (std::vector<std::int64_t>{ids[2], ids[3], ids[4]}));
  ASSERT_TRUE(store.list({}, false, letters).is_ok());
  since.since_ms = letters[1].last_seen_ms;  // exactly a letter's own time includes it
  EXPECT_EQ(ids_of(store, since), ids);
}

// 0006's index on record_key must not limit which letters can be stored: a btree refuses
// entries beyond about 2.7 kB, so a producer's 8 kB key would make its letter unstorable.
TEST_F(DeadLetterStoreTest, ALetterWithAHugeKeyIsStoredAndFoundByIt) {
  auto sink = open_sink();
  EXPECT_EQ(scalar("SELECT indexdef LIKE '%USING hash (record_key)%' FROM pg_indexes"
                   " WHERE indexname = 'dead_letters_record_key_idx'"),
            "t");
  std::string huge(8192, '\0');
  std::uint32_t state = 12345;  // incompressible bytes: a compressed entry could still fit a btree
  for (char& c : huge) c = static_cast<char>((state = state * 1103515245u + 12345u) >> 24);
  Record record = letter("{}", 7, "missing_field", "validate");
  record.key = huge;
  write(*sink, {record, letter("{}", 8, "missing_field", "validate")});
  DeadLetterQuery by_key;
  by_key.key = huge;
  auto found = ids_of(*sink->dead_letter_store(), by_key);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0], all_ids().front());
}

TEST_F(DeadLetterStoreTest, PagesByAfterIdAndReadsOne) {
  auto sink = open_sink();
  write_five(*sink);
  DeadLetterStore& store = *sink->dead_letter_store();
  DeadLetterQuery page;
  page.limit = 2;
  std::vector<std::int64_t> seen;
  for (int pages = 0; pages < 10; ++pages) {
    auto got = ids_of(store, page);
    if (got.empty()) break;
    EXPECT_LE(got.size(), 2u);
    seen.insert(seen.end(), got.begin(), got.end());
    page.after_id = got.back();
  }
  EXPECT_EQ(seen, ids);

  DeadLetter one;
  bool found = false;
  ASSERT_TRUE(store.get(ids[4], one, found).is_ok());
  ASSERT_TRUE(found);
  EXPECT_EQ(one.id, ids[4]);
  EXPECT_EQ(one.key, std::string("k\0\x80", 3));
  EXPECT_EQ(one.raw, std::string("not json\0\xff", 10));
  EXPECT_EQ(one.reason, "too_large");
  ASSERT_TRUE(store.get(ids.back() + 1000, one, found).is_ok());
  EXPECT_FALSE(found);
}

TEST_F(DeadLetterStoreTest, CountsReasonsLargestFirst) {
  auto sink = open_sink();
  write_five(*sink);
  std::vector<ReasonCount> reasons;
  ASSERT_TRUE(sink->dead_letter_store()->reasons(reasons).is_ok());
  ASSERT_EQ(reasons.size(), 3u);
  EXPECT_EQ(reasons[0].reason, "missing_field");
  EXPECT_EQ(reasons[0].count, 3);
  EXPECT_EQ(reasons[1].reason, "invalid_json");  // ties: by name
  EXPECT_EQ(reasons[1].count, 1);
  EXPECT_EQ(reasons[2].reason, "too_large");
}

TEST_F(DeadLetterStoreTest, DiscardsByIdAndByReasonAndRetires) {
  auto sink = open_sink();
  write_five(*sink);
  DeadLetterStore& store = *sink->dead_letter_store();
  std::int64_t discarded = -1;
  DeadLetterQuery by_id;
  by_id.ids = {ids[1]};
  ASSERT_TRUE(store.discard(by_id, discarded).is_ok());
  EXPECT_EQ(discarded, 1);
  EXPECT_EQ(all_ids(), (std::vector<std::int64_t>{ids[0], ids[2], ids[3], ids[4]}));

  DeadLetterQuery by_reason;
  by_reason.reason = "missing_field";
  by_reason.limit = 2;  // the two lowest ids
  ASSERT_TRUE(store.discard(by_reason, discarded).is_ok());
  EXPECT_EQ(discarded, 2);
  EXPECT_EQ(all_ids(), (std::vector<std::int64_t>{ids[3], ids[4]}));
  by_reason.limit = 0;  // all that match
  ASSERT_TRUE(store.discard(by_reason, discarded).is_ok());
  EXPECT_EQ(discarded, 1);
  EXPECT_EQ(all_ids(), (std::vector<std::int64_t>{ids[4]}));

  // Retire: ids already gone are fine.
  ASSERT_TRUE(store.retire({ids[0], ids[4], 999999}).is_ok());
  EXPECT_TRUE(all_ids().empty());
  ASSERT_TRUE(store.retire({}).is_ok());
}

TEST_F(DeadLetterStoreTest, LongPayloadKeepsItsHeadWithWholeSizeAndHash) {
  auto sink = open_sink({{"max_payload_bytes", 65536}});
  write(*sink,
        {letter(std::string(204800, 'x'), 0, "too_large", "validate"), letter("short", 1, "invalid_json", "validate")});
  ids = all_ids();
  ASSERT_EQ(ids.size(), 2u);
  DeadLetter big;
  bool found = false;
  ASSERT_TRUE(sink->dead_letter_store()->get(ids[0], big, found).is_ok());
  ASSERT_TRUE(found);
  EXPECT_EQ(big.raw, std::string(65536, 'x'));
  EXPECT_EQ(big.raw_bytes, 204800);
  EXPECT_EQ(big.raw_sha256, "5d4abf60daba0b11555b6da942dd4f40d5f99ee617e14ba4ba686b47d75a5049");  // sha256sum
  EXPECT_TRUE(big.truncated());
  EXPECT_EQ(
      scalar("SELECT octet_length(raw) || ',' || raw_bytes FROM dead_letters WHERE id = " + std::to_string(ids[0])),
      "65536,204800");
  DeadLetter small;
  ASSERT_TRUE(sink->dead_letter_store()->get(ids[1], small, found).is_ok());
  EXPECT_EQ(small.raw, "short");
  EXPECT_EQ(small.raw_sha256, scalar("SELECT encode(sha256('short'::bytea), 'hex')"));
  EXPECT_FALSE(small.truncated());
}

TEST_F(DeadLetterStoreTest, ReplayRefusedAgainUpdatesItsLetter) {
  auto sink = open_sink();
  // One letter with a source position, one without (offset -1: never matched by position,
  // so only the letter's id can find it again).
  write(*sink, {letter("{\"a\":1}", 4, "missing_field", "validate", "/a"),
                letter("{\"b\":2}", -1, "missing_field", "validate", "/b")});
  ids = all_ids();
  ASSERT_EQ(ids.size(), 2u);
  query("UPDATE dead_letters SET first_seen = now() - interval '1 day', last_seen = now() - interval '1 day'");

  // The operator fixed nothing: the replays are refused again, for another reason.
  std::vector<Record> again;
  for (std::size_t i = 0; i < 2; ++i) {
    again.push_back(letter(i == 0 ? "{\"a\":1}" : "{\"b\":2}", i == 0 ? 4 : -1, "db_refused", "db", "/customer_id"));
  }
  write(*sink, again, ids);   // replays of those letters
  EXPECT_EQ(all_ids(), ids);  // the same letters, no new ones
  for (std::size_t i = 0; i < 2; ++i) {
    SCOPED_TRACE(i);
    DeadLetter updated;
    bool found = false;
    ASSERT_TRUE(sink->dead_letter_store()->get(ids[i], updated, found).is_ok());
    ASSERT_TRUE(found);
    EXPECT_EQ(updated.attempts, 2);
    EXPECT_EQ(updated.reason, "db_refused");
    EXPECT_EQ(updated.pointer, "/customer_id");
    EXPECT_EQ(updated.stage, "db");
    EXPECT_EQ(updated.raw, i == 0 ? "{\"a\":1}" : "{\"b\":2}");
    EXPECT_GT(updated.last_seen_ms, updated.first_seen_ms + 23 * 3600 * 1000);
  }

  // Discarded meanwhile: the refused replay is a letter again.
  std::int64_t discarded = 0;
  DeadLetterQuery all;
  all.limit = 0;
  ASSERT_TRUE(sink->dead_letter_store()->discard(all, discarded).is_ok());
  ASSERT_EQ(discarded, 2);
  write(*sink, {again[1]});
  auto now_ids = all_ids();
  ASSERT_EQ(now_ids.size(), 1u);
  EXPECT_GT(now_ids[0], ids[1]);
  EXPECT_EQ(scalar("SELECT reason || ',' || attempts || ',' || convert_from(raw, 'UTF8') FROM dead_letters"),
            "db_refused,1,{\"b\":2}");
}

TEST_F(DeadLetterStoreTest, RetentionPrunesTheOldestBeyondCountAndAge) {
  {
    auto unlimited = open_sink();
    std::vector<Record> records;
    for (int i = 0; i < 10; ++i) records.push_back(letter("{}", i, "missing_field", "validate"));
    write(*unlimited, records);
  }
  ids = all_ids();
  ASSERT_EQ(ids.size(), 10u);
  auto& pruned = host_.metrics().counter("sluice_dead_letters_pruned_total", "");
  EXPECT_EQ(pruned.value(), 0u);

  open_sink({{"max_count", 6}});  // pruned at open
  EXPECT_EQ(all_ids(), std::vector<std::int64_t>(ids.begin() + 4, ids.end()));
  EXPECT_EQ(pruned.value(), 4u);

  query("UPDATE dead_letters SET last_seen = now() - interval '3 hours' WHERE id IN (" + std::to_string(ids[4]) + "," +
        std::to_string(ids[7]) + ")");
  open_sink({{"max_age_hours", 2}, {"max_count", 0}});
  EXPECT_EQ(all_ids(), (std::vector<std::int64_t>{ids[5], ids[6], ids[8], ids[9]}));
  EXPECT_EQ(pruned.value(), 6u);
}

// Stops and starts the server: one of its own, not the run's shared one.
class DeadLetterStoreOutageTest : public DeadLetterStoreTest {
 protected:
  static void SetUpTestSuite() { SetUpOwnServer(); }
};

TEST_F(DeadLetterStoreOutageTest, UnreachableDatabaseIsRetryAndTheNextCallReconnects) {
  auto sink = open_sink();
  write_five(*sink);
  DeadLetterStore& store = *sink->dead_letter_store();
  std::vector<DeadLetter> letters;
  ASSERT_TRUE(store.list({}, false, letters).is_ok());  // its connection is open now

  cluster_->stop();
  Status down = store.list({}, false, letters);
  EXPECT_TRUE(down.code() == StatusCode::retry) << down.message();
  EXPECT_EQ(down.message().find("127.0.0.1"), std::string::npos) << down.message();
  std::vector<ReasonCount> reasons;
  EXPECT_TRUE(store.reasons(reasons).code() == StatusCode::retry);
  cluster_->start();
  Status up = store.list({}, false, letters);
  EXPECT_TRUE(up.is_ok()) << up.message();
  EXPECT_EQ(letters.size(), 5u);
}

TEST_F(DeadLetterStoreTest, BadQueryIsFatal) {
  auto sink = open_sink();
  query("DROP TABLE dead_letters");
  std::vector<DeadLetter> letters;
  Status status = sink->dead_letter_store()->list({}, false, letters);
  EXPECT_TRUE(status.code() == StatusCode::fatal) << status.message();
}

}  // namespace
}  // namespace sluice::test
