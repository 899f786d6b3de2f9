// Small helpers shared by the memory cache's feed, version and negative-cache tests.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "memory_cache.hpp"
#include "sluice/sink.hpp"

namespace sluice::test {

// A cache warming from (and by default following) the store registered as "db".
inline Config followed_config(nlohmann::json extra = nlohmann::json::object()) {
  nlohmann::json config{{"warm_from", "db"}, {"max_entries", 0}, {"progress_every", 100000}};
  config.update(extra);
  return Config(std::move(config));
}

inline Batch one_record(const std::string& key, const std::string& value, std::int64_t version,
                        std::vector<Position> positions = {}) {
  Batch batch;
  Record record;
  record.key = key;
  record.value = value;
  record.version = version;
  batch.records.push_back(std::move(record));
  batch.positions = std::move(positions);
  return batch;
}

inline void write(cache::MemoryCache& cache, Batch batch) {
  Outcome outcome;
  ASSERT_TRUE(cache.write(batch, outcome).is_ok());
  ASSERT_TRUE(outcome.rejected().empty());
}

inline CommittedChange change_of(std::vector<ChangedKey> keys, std::vector<Position> positions = {}) {
  CommittedChange change;
  change.keys = std::move(keys);
  change.positions = std::move(positions);
  return change;
}

struct Looked {
  Lookup lookup;
  std::string value;
  std::int64_t version;
};
inline Looked look(Store& store, std::string_view key) {
  Looked out{Lookup::not_found, {}, -1};
  out.lookup = store.get(key, out.value, out.version);
  return out;
}

// Polls `condition` (never a fixed sleep) until it holds or `limit` passes.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace sluice::test
