// Read access to what a sink holds (memory cache, database), split by caller (StoreReader,
// WarmSource, below), and its change feed. The positions
// a sink keeps with its data are in position_store.hpp.
//
// Versions: a store that versions what it holds (postgres: a commit sequence) gives every
// stored value a version that only grows per key; 0 means "unversioned". A cache never
// replaces a value with an older version (core/README.md, Architecture; the top-level
// README, "Coherent reads across instances").
#pragma once

#include <boost/config.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/change_feed.hpp"
#include "sluice/record.hpp"
#include "sluice/status.hpp"

namespace sluice {

enum class Lookup {
  found,
  not_found,
  unavailable,
  // Found, but this store may be behind (it lost its change feed and has not caught up):
  // ask the later stores first, and use this value only if none of them can answer.
  stale,
  // Known not to exist (a recently remembered miss): later stores need not be asked.
  absent,
};

// Read-your-writes: does a store reflect a position yet?
enum class Reach { reached, not_yet, unknown };

using ScanVisitor = std::function<bool(std::string_view key, std::string_view value, std::int64_t version)>;
using FoundVisitor = std::function<void(std::string_view key, std::string_view value, std::int64_t version)>;

// A store's two faces, each for its own callers:
//  - StoreReader: what an API's lookup chain calls from its threads (rest: order_lookup.cpp,
//    rest_routes.cpp; ApiHost::store_reader hands it out): get, answers_from_memory, recent,
//    size, wait_for, and fill / fill_absent, the chain telling an earlier store (a cache)
//    what a later one answered.
//  - WarmSource: what a cache calls on the store it warms from and follows (memory_cache's
//    warm_from, through SinkHost::store): scan, get_many, follow / unfollow.
// A sink that is a store (sluice_flag_store) implements both as a Store and returns it from
// Sink::store(): postgres (read, warmed from, followed) and memory_cache (read, filled).
class BOOST_SYMBOL_VISIBLE StoreReader {
 public:
  virtual ~StoreReader();
  // Thread-safe; called from API threads while the pipeline writes. Sets `version` for a
  // found (or stale) value. May block on I/O unless answers_from_memory().
  virtual Lookup get(std::string_view key, std::string& value, std::int64_t& version) = 0;
  // The same, for callers that do not need the version.
  Lookup get(std::string_view key, std::string& value);
  // True when get() never waits on I/O, so a front end may call it on its event loop.
  virtual bool answers_from_memory() const;
  // A value found in a later store of a lookup chain; caches keep it unless they hold a
  // newer version, others ignore it.
  virtual void fill(std::string_view key, std::string_view value, std::int64_t version);
  // A later store of a lookup chain does not hold `key`; a cache may remember that briefly
  // (until the key is written or announced by the feed).
  virtual void fill_absent(std::string_view key);
  // Most recent keys first, at most `limit` (for the page's "recent orders").
  virtual Status recent(std::size_t limit, std::vector<std::string>& keys);
  // Number of entries if cheap to know, else -1.
  virtual std::int64_t size() const;
  // Read-your-writes: waits until reads from this store reflect every record of
  // `position.stream`/`position.partition` before `position.offset` (a next-offset, as in
  // Position), or until `deadline`. Default: unknown (the store cannot tell).
  virtual Reach wait_for(const Position& position, std::chrono::steady_clock::time_point deadline);
};

class BOOST_SYMBOL_VISIBLE WarmSource {
 public:
  virtual ~WarmSource();
  // Streams every (key, value, version) to `visit` without loading everything at once;
  // stops early when `visit` returns false. Used for cache warm-up and resync.
  virtual Status scan(const ScanVisitor& visit) = 0;
  // Looks up many keys at once (a cache refreshing what a feed announced); visits the ones
  // found.
  virtual Status get_many(const std::vector<std::string>& keys, const FoundVisitor& visit) = 0;
  // Change feed: starts announcing every commit of this store to `follower` (see
  // change_feed.hpp) and returns at once; the first resumed() follows on the store's feed
  // thread. Default: fatal (this store has no feed).
  virtual Status follow(ChangeFollower& follower);
  // Stops announcing to `follower`; returns once no callback runs any more.
  virtual void unfollow(ChangeFollower& follower);
};

class BOOST_SYMBOL_VISIBLE Store : public StoreReader, public WarmSource {
 public:
  // Default: get() one by one.
  Status get_many(const std::vector<std::string>& keys, const FoundVisitor& visit) override;
};

}  // namespace sluice
