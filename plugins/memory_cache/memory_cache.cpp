#include "memory_cache.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace sluice::cache {
namespace {

// "max_entries must be 0 or more", "progress_every must be positive"
std::string cache_range_message(std::string_view key, std::int64_t, std::int64_t min, std::int64_t) {
  return std::string(key) + (min == 0 ? " must be 0 or more" : " must be positive");
}

// Commit to applied: from a local commit (about a millisecond) to a feed that is behind.
std::vector<double> lag_buckets() { return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}; }

// Longer than any lookup may take (REST's lookup_timeout_ms, 2 s, plus postgres's
// read_timeout_ms, 1 s, by default), with room for slower settings.
constexpr auto announced_ttl = std::chrono::seconds(30);

}  // namespace

const ConfigMap<CacheSettings>& cache_config_map() {
  using S = CacheSettings;
  static const ConfigMap<S> map{
      key("warm_from", &S::warm_from, "id of a store (e.g. the postgres sink) streamed into the cache at start")
          .store(),
      key("follow", &S::follow,
          "follow the change feed of warm_from (commits of every instance refresh the cache); "
          "a store without a feed falls back to a one-shot warm-up"),
      key("max_entries", &S::max_entries,
          "most entries kept (0 = all); beyond it the least recently used go (sampled LRU)")
          .at_least(0, &cache_range_message),
      key("progress_every", &S::progress_every,
          "log warm-up progress every this many entries (and at least every 5 seconds)")
          .at_least(1, &cache_range_message),
      key("negative_ttl_ms", &S::negative_ttl,
          "remember for this long that the database lacks a key, so repeated lookups of a "
          "missing key are answered here (0 = off)")
          .at_least(0, &cache_range_message),
      key("negative_max_entries", &S::negative_max_entries, "most remembered misses; when full the oldest go")
          .at_least(1, &cache_range_message),
  };
  return map;
}

MemoryCache::MemoryCache(const Config& config, SinkHost& host) : MemoryCache(cache_config_map().parse(config), host) {}

MemoryCache::MemoryCache(const CacheSettings& settings, SinkHost& host)
    : host_(host),
      warm_from_(settings.warm_from.value_or(std::string())),
      follow_(settings.follow),
      max_entries_(settings.max_entries),
      progress_every_(settings.progress_every),
      cache_(max_entries_),
      recent_(128),
      negative_(settings.negative_ttl, settings.negative_max_entries),
      announced_(announced_ttl, 100000),
      // Without a store behind it the cache holds everything there is from the start.
      warm_(warm_from_.empty()),
      hits_(host.metrics().counter("sluice_cache_hits_total", "Cache lookups answered")),
      misses_(host.metrics().counter("sluice_cache_misses_total", "Cache lookups not found")),
      entries_(
          host.metrics().gauge("sluice_cache_entries", "Entries (keys and their values) held by the memory cache")),
      bytes_(host.metrics().gauge("sluice_cache_bytes", "Heap bytes held by the memory cache (entries and index)")),
      invalidations_(host.metrics().counter("sluice_cache_invalidations_total",
                                            "Cached entries replaced by a newer version the change feed announced")),
      negative_hits_(host.metrics().counter("sluice_cache_negative_hits_total",
                                            "Lookups answered 'absent' from a remembered miss")),
      feed_events_(host.metrics().counter("sluice_feed_events_total", "Change feed commits applied by the cache")),
      feed_resyncs_(host.metrics().counter("sluice_feed_resyncs_total",
                                           "Times the cache re-read its store on (re)joining the change feed")),
      feed_following_(
          host.metrics().gauge("sluice_feed_following", "1 while the cache follows its store's change feed, else 0")),
      feed_lag_(host.metrics().histogram("sluice_feed_lag_seconds",
                                         "Seconds from a store commit to the cache applying it", lag_buckets())) {}

void MemoryCache::update_gauges() {
  entries_.set(static_cast<double>(cache_.size()));
  bytes_.set(static_cast<double>(cache_.memory_bytes()));
}

Status MemoryCache::open() {
  if (warm_from_.empty()) return Status::ok();
  warm_source_ = host_.store(warm_from_);
  if (!warm_source_) {
    return Status::fatal("memory_cache: warm_from: no store with id '" + warm_from_ + "'");
  }
  if (follow_) {
    Status status = follow_feed(*warm_source_);
    if (status.code() != StatusCode::fatal) return status;
    host_.log().info("{} has no change feed ({}); warming up once, other instances' writes will not reach this cache",
                     warm_from_, status.message());
  }
  Status status = load_from(*warm_source_, true);
  if (status.is_ok()) warm_ = true;
  return status;
}

void MemoryCache::close() {
  if (followed_ && warm_source_) {
    warm_source_->unfollow(*this);
    followed_ = false;
    set_feed_state(FeedState::off, {});
  }
}

Status MemoryCache::write(Batch& batch, Outcome& outcome) {
  for (std::size_t i = 0; i < batch.records.size(); ++i) {
    const Record& record = batch.records[i];
    if (record.key.empty()) {
      outcome.reject(i, "missing_key", "", "the cache needs a record key (order_validate sets it to order_uid)");
      continue;
    }
    // The database stored it under record.version; a newer one already here (the feed or a
    // fill got there first) stays.
    if (cache_.put(record.key, record.value, record.version) == PutResult::too_large) {
      outcome.reject(i, "too_large", "", "the record is too large to cache");
      continue;
    }
    negative_.forget(record.key);
    recent_.add(record.key);
  }
  // After the records are in: a reader waiting for these positions sees them when it wakes.
  watermarks_.raise(batch.positions);
  update_gauges();
  return Status::ok();
}

Lookup MemoryCache::get(std::string_view key, std::string& value, std::int64_t& version) {
  version = 0;
  FeedState state = feed_state();
  EntryMeta meta;
  if (cache_.get(key, value, &meta)) {
    version = meta.version;
    // Not re-confirmed since the feed came back, or the feed is away now: it may be behind.
    bool trusted = state == FeedState::off || state == FeedState::following;
    if (!trusted || meta.generation != cache_.generation()) return Lookup::stale;
    hits_.inc();
    return Lookup::found;
  }
  // A remembered miss only counts while nothing can have been committed unseen.
  bool complete = state == FeedState::following || (state == FeedState::off && warm_.load());
  if (complete && negative_.contains(key)) {
    negative_hits_.inc();
    return Lookup::absent;
  }
  misses_.inc();
  return Lookup::not_found;
}

Status MemoryCache::scan(const ScanVisitor&) {
  return Status::fatal("memory_cache cannot be scanned; warm from the database instead");
}

void MemoryCache::fill(std::string_view key, std::string_view value, std::int64_t version) {
  // A bounded cache may not hold a key the feed announced newer: the read is behind it.
  if (max_entries_ != 0 && announced_.version_of(key) > version) return;
  // Version-guarded: a slow lookup's older read never replaces what write() or the feed put.
  if (accepted(cache_.put(key, value, version))) negative_.forget(key);
}

void MemoryCache::fill_absent(std::string_view key) {
  // A key held here exists: a miss reported by a read that began before it was written.
  std::int64_t held = 0;
  if (cache_.held_version(key, held)) return;
  // Announced by the feed (a bounded cache did not take it in): it exists now.
  if (max_entries_ != 0 && announced_.version_of(key) >= 0) return;
  negative_.remember(key);
}

Status MemoryCache::recent(std::size_t limit, std::vector<std::string>& keys) {
  keys = recent_.newest(limit);
  if (keys.size() >= limit || !warm_source_) return Status::ok();
  // After a restart the ring is empty: complete it from the store the cache warmed from.
  std::vector<std::string> older;
  if (!warm_source_->recent(limit, older).is_ok()) return Status::ok();
  for (auto& key : older) {
    if (keys.size() >= limit) break;
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(std::move(key));
  }
  return Status::ok();
}

std::int64_t MemoryCache::size() const { return static_cast<std::int64_t>(cache_.size()); }

Reach MemoryCache::wait_for(const Position& position, std::chrono::steady_clock::time_point deadline) {
  return watermarks_.wait_for(position, deadline);
}

}  // namespace sluice::cache
