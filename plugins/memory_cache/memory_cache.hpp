// The `memory_cache` sink and store: every order's canonical JSON in memory, ready to serve
// as is. It comes after the database in the sink list, so it never shows an order the
// database does not hold (save, then cache). At start it warms from a store (warm_from) and
// then follows that store's change feed, so writes of other instances reach it too; every
// entry carries the store's version, and an older version never replaces a newer one
// (core/README.md, Delivery, coherence).
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>

#include "announced_versions.hpp"
#include "negative_cache.hpp"
#include "order_cache.hpp"
#include "recent_keys.hpp"
#include "sluice/plugin.hpp"
#include "watermarks.hpp"

namespace sluice::cache {

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
      "Keeps every order's JSON in memory for lookups; warms from another store at start and "
      "follows its change feed";
  // Volatile: it starts empty and warms from the database, so it may come after the sink
  // that keeps positions without a crash losing anything from it.
  static constexpr std::uint32_t plugin_flags = sluice_flag_store | sluice_flag_volatile;
  static constexpr sluice_config_key plugin_keys[] = {
      {"warm_from", sluice_key_store, 0, nullptr,
       "id of a store (e.g. the postgres sink) streamed into the cache at start"},
      {"follow", sluice_key_bool, 0, "true",
       "follow the change feed of warm_from (commits of every instance refresh the cache); "
       "a store without a feed falls back to a one-shot warm-up"},
      {"max_entries", sluice_key_int, 0, "0",
       "most orders kept (0 = all); beyond it the least recently used go (sampled LRU)"},
      {"progress_every", sluice_key_int, 0, "100000",
       "log warm-up progress every this many orders (and at least every 5 seconds)"},
      {"negative_ttl_ms", sluice_key_int, 0, "2000",
       "remember for this long that the database lacks an order, so repeated lookups of a "
       "missing id are answered here (0 = off)"},
      {"negative_max_entries", sluice_key_int, 0, "100000",
       "most remembered misses; when full the oldest go"},
  };

  MemoryCache(const Config& config, Host& host);

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
  Status load_from(Store& source, bool first);
  Status follow_feed(Store& source);
  void set_feed_state(FeedState state, const std::string& reason);
  void finish_opening(Opening result, const std::string& why);
  void update_gauges();

  Host& host_;
  std::string warm_from_;
  bool follow_;
  std::size_t max_entries_;
  std::size_t progress_every_;
  OrderCache cache_;
  RecentKeys recent_;
  NegativeCache negative_;
  // Bounded caches only: announced keys they do not hold (see announced_versions.hpp).
  AnnouncedVersions announced_;
  Watermarks watermarks_;
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
