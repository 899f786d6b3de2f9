// The `memory_cache` sink and store: every record's value by its key in memory, served as
// stored (in the default pipeline an order's canonical JSON by order_uid; nothing here reads
// the value). It comes after the database in the sink list, so it never shows a value the
// database does not hold (save, then cache). At start it warms from a store (warm_from) and
// then follows that store's change feed, so writes of other instances reach it too; every
// entry carries the store's version, and an older version never replaces a newer one
// (README.md, "Coherent reads across instances").
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>

#include "announced_versions.hpp"
#include "cache_map.hpp"
#include "negative_cache.hpp"
#include "recent_keys.hpp"
#include "sluice/sink.hpp"
#include "sluice/store.hpp"
#include "watermarks.hpp"

namespace sluice::cache {

// The cache's configuration. Every member's initializer is the key's default; the declared
// defaults (`sluice plugins`, the README, the schema) are derived from them (cache_config_map()).
struct CacheSettings {
  std::optional<std::string> warm_from;  // a store id; none: nothing to warm from
  bool follow = true;
  std::size_t max_entries = 0;  // 0: all
  std::size_t progress_every = 100000;
  std::chrono::milliseconds negative_ttl{2000};  // 0: off
  std::size_t negative_max_entries = 100000;
};

// The keys memory_cache declares, bound to CacheSettings' members.
const ConfigMap<CacheSettings>& cache_config_map();

// Whether the cache can vouch for what it holds.
enum class FeedState {
  off,          // no change feed (none configured, or the store has none): trusted as is
  catching_up,  // resumed() is re-reading the store: entries may be behind
  following,    // every commit of the store reaches committed()
  lost,         // events may be missing until the next resumed()
};

class MemoryCache final : public Sink, public Store, public ChangeFollower {
 public:
  // Health components: the first warm-up, and following the store's change feed.
  static constexpr const char* warmup_component = "warmup";
  static constexpr const char* feed_component = "change feed";
  static constexpr const char* plugin_description =
      "Keeps every record's value by key in memory for lookups; warms from another store at start "
      "and follows its change feed";
  // Volatile: it starts empty and warms from the database, so it may come after the sink
  // that keeps positions without a crash losing anything from it.
  static constexpr std::uint32_t plugin_flags = sluice_flag_store | sluice_flag_volatile;
  static const ConfigMap<CacheSettings>& config_map() { return cache_config_map(); }

  MemoryCache(const Config& config, SinkHost& host);
  MemoryCache(const CacheSettings& settings, SinkHost& host);

  // Sink
  Status open() override;
  Status write(Batch& batch, Outcome& outcome) override;
  void close() override;
  Store* store() override { return this; }

  // Store
  using Store::get;
  Lookup get(std::string_view key, std::string& value, std::int64_t& version) override;
  bool answers_from_memory() const override { return true; }
  Status scan(const ScanVisitor& visit) override;
  void fill(std::string_view key, std::string_view value, std::int64_t version) override;
  void fill_absent(std::string_view key) override;
  Status recent(std::size_t limit, std::vector<std::string>& keys) override;
  std::int64_t size() const override;
  Reach wait_for(const Position& position, std::chrono::steady_clock::time_point deadline) override;

  // ChangeFollower (the warm_from store's feed thread; see feed_follower.cpp)
  Status resumed(const std::vector<Position>& committed) override;
  Status committed(const CommittedChange& change) override;
  void lost(const std::string& why) override;

  FeedState feed_state() const { return feed_state_.load(std::memory_order_acquire); }

 private:
  // How open() learns that the first resumed() is done.
  enum class Opening { waiting, done, failed };

  // warm_up.cpp: streams `source` into the cache. The first time it is the warm-up (progress
  // log lines, the "warmup" health component); later it is a resync that re-confirms what
  // the cache holds and never evicts for it.
  Status load_from(WarmSource& source, bool first);
  Status follow_feed(WarmSource& source);
  void set_feed_state(FeedState state, const std::string& reason);
  void finish_opening(Opening result, const std::string& why);
  void update_gauges();

  SinkHost& host_;
  std::string warm_from_;
  bool follow_;
  std::size_t max_entries_;
  std::size_t progress_every_;
  CacheMap cache_;
  RecentKeys recent_;
  NegativeCache negative_;
  // Bounded caches only: announced keys they do not hold (see announced_versions.hpp).
  AnnouncedVersions announced_;
  Watermarks watermarks_;
  // The warm_from store: warmed from and followed (WarmSource), asked for recent keys (StoreReader).
  Store* warm_source_ = nullptr;
  bool followed_ = false;  // follow() succeeded and unfollow() is still due
  std::atomic<FeedState> feed_state_{FeedState::off};
  // Warm: the one-shot warm-up is done (or there is none); negative entries count then.
  std::atomic<bool> warm_{false};
  std::atomic<bool> loaded_once_{false};  // the first resumed() finished its scan

  std::mutex opening_mutex_;
  std::condition_variable opening_cv_;
  Opening opening_ = Opening::waiting;
  std::string opening_error_;

  Counter& hits_;
  Counter& misses_;
  Gauge& entries_;
  Gauge& bytes_;
  Counter& invalidations_;
  Counter& negative_hits_;
  Counter& feed_events_;
  Counter& feed_resyncs_;
  Gauge& feed_following_;
  Histogram& feed_lag_;
};

}  // namespace sluice::cache
