// The memory cache on its own: lookups, replacement, the max_entries bound, memory per
// order against its JSON size, and readers running while a writer writes.
#include "memory_cache.hpp"

#include <gtest/gtest.h>
#include <malloc.h>

#include <atomic>
#include <memory>
#include <thread>

#include "cache_map.hpp"
#include "support/order_samples.hpp"
#include "support/plugin_test_host.hpp"

namespace sluice::test {
namespace {

using cache::CacheMap;
using cache::MemoryCache;

Config cache_config(std::int64_t max_entries = 0) {
  return Config(nlohmann::json{{"max_entries", max_entries}, {"progress_every", 100000}});
}

Batch batch_of(int first, int count, int version = 0) {
  Batch batch;
  for (int i = first; i < first + count; ++i) {
    Record record;
    record.key = "order-" + std::to_string(i);
    record.value = make_order(record.key, version).dump();
    batch.records.push_back(std::move(record));
  }
  return batch;
}

TEST(MemoryCache, ServesWhatWasWrittenAndTheNewestVersion) {
  PluginTestHost host;
  MemoryCache cache(cache_config(), host);
  ASSERT_TRUE(cache.open().is_ok());
  Batch batch = batch_of(0, 1000);
  Outcome outcome;
  ASSERT_TRUE(cache.write(batch, outcome).is_ok());
  EXPECT_EQ(cache.size(), 1000);
  std::string value;
  ASSERT_EQ(cache.get("order-7", value), Lookup::found);
  EXPECT_EQ(value, batch.records[7].value);  // the same bytes, not a re-serialisation
  EXPECT_EQ(cache.get("order-1000", value), Lookup::not_found);

  Batch newer = batch_of(7, 1, 5);
  ASSERT_TRUE(cache.write(newer, outcome).is_ok());
  ASSERT_EQ(cache.get("order-7", value), Lookup::found);
  EXPECT_EQ(value, newer.records[0].value);
  EXPECT_EQ(cache.size(), 1000);

  std::vector<std::string> recent;
  ASSERT_TRUE(cache.recent(3, recent).is_ok());
  EXPECT_EQ(recent, (std::vector<std::string>{"order-7", "order-999", "order-998"}));
}

TEST(MemoryCache, RecordWithoutKeyIsRejectedNotDropped) {
  PluginTestHost host;
  MemoryCache cache(cache_config(), host);
  Batch batch;
  batch.records.push_back(Record{});
  Outcome outcome;
  ASSERT_TRUE(cache.write(batch, outcome).is_ok());
  ASSERT_EQ(outcome.rejected().size(), 1u);
  EXPECT_EQ(outcome.rejected()[0].reason, "missing_key");
}

TEST(MemoryCache, MaxEntriesEvictsTheLeastRecentlyUsed) {
  PluginTestHost host;
  MemoryCache cache(cache_config(100), host);
  Outcome outcome;
  Batch batch = batch_of(0, 100);
  ASSERT_TRUE(cache.write(batch, outcome).is_ok());
  std::string value;
  // Touch the first ten so they count as recently used.
  for (int i = 0; i < 10; ++i) ASSERT_EQ(cache.get("order-" + std::to_string(i), value), Lookup::found);
  Batch more = batch_of(100, 50);
  ASSERT_TRUE(cache.write(more, outcome).is_ok());
  EXPECT_LE(cache.size(), 100);
  // Sampled LRU is approximate: nearly all recently used entries survive, the rest go.
  int touched_kept = 0, new_kept = 0, old_kept = 0;
  for (int i = 0; i < 10; ++i) touched_kept += cache.get("order-" + std::to_string(i), value) == Lookup::found;
  for (int i = 10; i < 100; ++i) old_kept += cache.get("order-" + std::to_string(i), value) == Lookup::found;
  for (int i = 100; i < 150; ++i) new_kept += cache.get("order-" + std::to_string(i), value) == Lookup::found;
  EXPECT_GE(touched_kept, 9);
  EXPECT_GE(new_kept, 48);
  EXPECT_LE(old_kept, 43);
  // A miss answered later in the lookup chain can be filled back in.
  cache.fill("order-20", batch.records[20].value, 0);
  EXPECT_EQ(cache.get("order-20", value), Lookup::found);
}

namespace {
// True when mallinfo2() counts this process's allocations: 256 small blocks (below glibc's
// mmap threshold, so they come from the arena it reports) show up as at least 256 KiB.
bool heap_accounting_works() {
  std::size_t before = mallinfo2().uordblks;
  std::vector<std::unique_ptr<char[]>> blocks;
  for (int i = 0; i < 256; ++i) blocks.push_back(std::make_unique<char[]>(1024));
  return mallinfo2().uordblks >= before + 256 * 1024;
}
}  // namespace

TEST(MemoryCache, MemoryPerOrderIsAtMostOnePointTwoTimesItsJson) {
  constexpr int count = 50000;
  std::vector<std::string> documents;
  std::size_t json_bytes = 0;
  for (int i = 0; i < count; ++i) {
    documents.push_back(make_order("mem-" + std::to_string(i), i).dump());
    json_bytes += documents.back().size();
  }
  // glibc's heap statistics see every allocation, unless a sanitizer replaced malloc (ASan):
  // then there is nothing to measure, and passing at "0.0 MiB" would prove nothing.
  if (!heap_accounting_works()) GTEST_SKIP() << "malloc is not glibc's here (sanitizer build): no heap statistics";
  malloc_trim(0);
  std::size_t before = mallinfo2().uordblks;
  {
    CacheMap cache(0);
    for (int i = 0; i < count; ++i) ASSERT_TRUE(cache::accepted(cache.put("mem-" + std::to_string(i), documents[i])));
    std::size_t used = mallinfo2().uordblks - before;
    double ratio = static_cast<double>(used) / static_cast<double>(json_bytes);
    RecordProperty("bytes_per_json_byte", std::to_string(ratio));
    std::printf("cache: %d orders, %.1f MiB JSON, %.1f MiB heap, ratio %.3f (own estimate %.3f)\n", count,
                json_bytes / 1048576.0, used / 1048576.0, ratio,
                static_cast<double>(cache.memory_bytes()) / static_cast<double>(json_bytes));
    // The cache holds every document, so a measurement below the JSON itself is broken.
    EXPECT_GE(ratio, 0.9);
    EXPECT_LE(ratio, 1.2);
  }
}

TEST(MemoryCache, ReadersKeepReadingWhileAWriterWrites) {
  CacheMap cache(0);
  std::string document = make_order("x").dump();
  for (int i = 0; i < 10000; ++i) cache.put("c-" + std::to_string(i), document);
  std::atomic<bool> done{false};
  std::atomic<long> reads{0};
  std::atomic<long> misses{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      std::string value;
      for (long i = 0; !done; ++i) {
        if (!cache.get("c-" + std::to_string(i % 10000), value) || value != document) ++misses;
        ++reads;
      }
    });
  }
  for (int i = 10000; i < 60000; ++i) cache.put("c-" + std::to_string(i), document);
  for (int i = 0; i < 10000; ++i) cache.put("c-" + std::to_string(i), document);  // replacements
  done = true;
  for (auto& reader : readers) reader.join();
  EXPECT_EQ(misses, 0);
  EXPECT_GT(reads, 0);
  EXPECT_EQ(cache.size(), 60000u);
}

}  // namespace
}  // namespace sluice::test
