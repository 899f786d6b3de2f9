// The change feed's NOTIFY payloads (change_notice.hpp): what a writer encodes, a follower
// decodes to the same change, in chunks that each fit into one NOTIFY.
#include "change_notice.hpp"

#include <gtest/gtest.h>

namespace sluice::pg {
namespace {

CommittedChange sample(std::size_t keys, const std::string& prefix = "order-") {
  CommittedChange change;
  for (std::size_t i = 0; i < keys; ++i) change.keys.push_back({prefix + std::to_string(i), 100 + std::int64_t(i)});
  change.positions = {{"orders", 0, 42}, {"orders", 7, 9000000000LL}};
  change.committed_at_us = 1764528921123456;
  return change;
}

// Everything the chunks carry, in order, as one change.
CommittedChange joined(const std::vector<std::string>& chunks) {
  CommittedChange all;
  for (const std::string& chunk : chunks) {
    auto notice = decode_change(chunk);
    EXPECT_TRUE(notice.has_value()) << chunk;
    if (!notice) continue;
    EXPECT_FALSE(notice->gap);
    EXPECT_EQ(notice->change.committed_at_us, 1764528921123456);
    for (auto& key : notice->change.keys) all.keys.push_back(key);
    for (auto& position : notice->change.positions) all.positions.push_back(position);
  }
  return all;
}

void expect_same(const CommittedChange& a, const CommittedChange& b) {
  ASSERT_EQ(a.keys.size(), b.keys.size());
  for (std::size_t i = 0; i < a.keys.size(); ++i) {
    EXPECT_EQ(a.keys[i].key, b.keys[i].key);
    EXPECT_EQ(a.keys[i].version, b.keys[i].version);
  }
  ASSERT_EQ(a.positions.size(), b.positions.size());
  for (std::size_t i = 0; i < a.positions.size(); ++i) {
    EXPECT_EQ(a.positions[i].stream, b.positions[i].stream);
    EXPECT_EQ(a.positions[i].partition, b.positions[i].partition);
    EXPECT_EQ(a.positions[i].offset, b.positions[i].offset);
  }
}

TEST(ChangeNotice, RoundTripsInOneChunk) {
  CommittedChange change = sample(3);
  auto chunks = encode_change(change);
  ASSERT_EQ(chunks.size(), 1u);
  auto notice = decode_change(chunks[0]);
  ASSERT_TRUE(notice);
  EXPECT_EQ(notice->change.committed_at_us, change.committed_at_us);
  expect_same(notice->change, change);
}

TEST(ChangeNotice, NothingToSayIsNoNotice) { EXPECT_TRUE(encode_change(CommittedChange{}).empty()); }

TEST(ChangeNotice, LargeBatchSplitsIntoSelfContainedChunksWithPositionsLast) {
  CommittedChange change = sample(2000);
  auto chunks = encode_change(change);
  ASSERT_GT(chunks.size(), 1u);
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    EXPECT_LT(chunks[i].size(), 8000u);
    auto notice = decode_change(chunks[i]);
    ASSERT_TRUE(notice) << "chunk " << i;
    if (i + 1 < chunks.size()) {
      EXPECT_TRUE(notice->change.positions.empty()) << "chunk " << i;
    }
  }
  EXPECT_EQ(decode_change(chunks.back())->change.positions.size(), 2u);
  expect_same(joined(chunks), change);
}

TEST(ChangeNotice, ChunkBoundariesFallExactlyAtTheLimit) {
  // Lines of the same length: every chunk but the last holds as many as fit, none more.
  CommittedChange change = sample(50, "k");
  for (std::size_t limit : {std::size_t{60}, std::size_t{61}, std::size_t{100}, std::size_t{257}}) {
    auto chunks = encode_change(change, limit);
    for (const auto& chunk : chunks) EXPECT_LE(chunk.size(), limit) << "limit " << limit;
    expect_same(joined(chunks), change);
  }
}

TEST(ChangeNotice, KeysAndStreamsWithAnyBytesSurvive) {
  CommittedChange change;
  change.keys = {{std::string(64, 'x'), 1}, {"a b\nc%d\te", 2}, {std::string("nul\0byte", 8), 3}, {"ünï", 4}};
  change.positions = {{"/data/my file\n.jsonl", 0, 5}, {"", 1, 0}};
  change.committed_at_us = 1764528921123456;
  auto chunks = encode_change(change);
  for (const auto& chunk : chunks) {
    for (char c : chunk) EXPECT_TRUE(c == '\n' || (c >= 0x20 && c < 0x7f)) << int(c);
  }
  expect_same(joined(chunks), change);
}

TEST(ChangeNotice, AnEntryTooLongForAnyChunkBecomesAGap) {
  CommittedChange change = sample(2);
  change.positions = {{std::string(9000, 's'), 0, 1}};
  auto chunks = encode_change(change);
  bool gap = false;
  for (const auto& chunk : chunks) {
    EXPECT_LT(chunk.size(), 8000u);
    auto notice = decode_change(chunk);
    ASSERT_TRUE(notice);
    gap = gap || notice->gap;
  }
  EXPECT_TRUE(gap);
}

TEST(ChangeNotice, GarbageIsRejected) {
  for (std::string bad : {"", "hello", "sluice-change 1 \n", "sluice-change 2 5\n", "sluice-change 1 5",
                          "sluice-change 1 5\nk 1\n", "sluice-change 1 5\nk x key\n", "sluice-change 1 5\nk 1 a b\n",
                          "sluice-change 1 5\nk 1 a%2\n", "sluice-change 1 5\nk 1 a%zz\n", "sluice-change 1 5\nk 1 key",
                          "sluice-change 1 5\np 0 x orders\n", "sluice-change 1 5\nq 1 2\n", "sluice-change 1 x5\n"}) {
    EXPECT_FALSE(decode_change(bad)) << bad;
  }
}

}  // namespace
}  // namespace sluice::pg
