// The `memory_cache` sink and store: every order's canonical JSON in memory, ready to serve
// as is. It comes after the database in the sink list, so it never shows an order the
// database does not hold (save, then cache). At start it warms from a store (warm_from).
#pragma once

#include <string>

#include "order_cache.hpp"
#include "recent_keys.hpp"
#include "sluice/plugin.hpp"

namespace sluice::cache {

class MemoryCache final : public Sink, public Store {
 public:
  static constexpr const char* plugin_description =
      "Keeps every order's JSON in memory for lookups; warms from another store at start";
  // Volatile: it starts empty and warms from the database, so it may come after the sink
  // that keeps positions without a crash losing anything from it.
  static constexpr std::uint32_t plugin_flags = sluice_flag_store | sluice_flag_volatile;
  static constexpr sluice_config_key plugin_keys[] = {
      {"warm_from", sluice_key_store, 0, nullptr,
       "id of a store (e.g. the postgres sink) streamed into the cache at start"},
      {"max_entries", sluice_key_int, 0, "0",
       "most orders kept (0 = all); beyond it the least recently used go (sampled LRU)"},
      {"progress_every", sluice_key_int, 0, "100000",
       "log warm-up progress every this many orders (and at least every 5 seconds)"},
  };

  MemoryCache(const Config& config, Host& host);

  // Sink
  Status open() override;
  Status write(Batch& batch, Outcome& outcome) override;
  Store* store() override { return this; }

  // Store
  using Store::get;
  Lookup get(std::string_view key, std::string& value, std::int64_t& version) override;
  Status scan(const ScanVisitor& visit) override;
  void fill(std::string_view key, std::string_view value, std::int64_t version) override;
  Status recent(std::size_t limit, std::vector<std::string>& keys) override;
  std::int64_t size() const override;

 private:
  Status warm_up(Store& source);
  void update_gauges();

  Host& host_;
  std::string warm_from_;
  std::size_t max_entries_;
  std::size_t progress_every_;
  OrderCache cache_;
  RecentKeys recent_;
  Store* warm_source_ = nullptr;
  Counter& hits_;
  Counter& misses_;
  Gauge& entries_;
  Gauge& bytes_;
};

}  // namespace sluice::cache
