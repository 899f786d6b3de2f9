#include "memory_cache.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace sluice::cache {
namespace {

std::size_t positive(const Config& config, const char* key, bool zero_allowed) {
  std::int64_t value = config.get_int(key);
  if (value < 0 || (!zero_allowed && value == 0)) {
    throw ConfigError(key, std::string(key) + (zero_allowed ? " must be 0 or more" : " must be positive"));
  }
  return static_cast<std::size_t>(value);
}

constexpr const char* warmup_component = "warmup";
constexpr auto progress_interval = std::chrono::seconds(5);

}  // namespace

MemoryCache::MemoryCache(const Config& config, Host& host)
    : host_(host),
      warm_from_(config.has("warm_from") ? config.get_string("warm_from") : std::string()),
      max_entries_(positive(config, "max_entries", true)),
      progress_every_(positive(config, "progress_every", false)),
      cache_(max_entries_),
      recent_(128),
      hits_(host.metrics().counter("sluice_cache_hits_total", "Cache lookups answered")),
      misses_(host.metrics().counter("sluice_cache_misses_total", "Cache lookups not found")),
      entries_(host.metrics().gauge("sluice_cache_entries", "Orders held by the memory cache")),
      bytes_(host.metrics().gauge("sluice_cache_bytes",
                                  "Heap bytes held by the memory cache (entries and index)")) {}

void MemoryCache::update_gauges() {
  entries_.set(static_cast<double>(cache_.size()));
  bytes_.set(static_cast<double>(cache_.memory_bytes()));
}

Status MemoryCache::warm_up(Store& source) {
  using clock = std::chrono::steady_clock;
  auto started = clock::now();
  auto last_report = started;
  std::size_t loaded = 0;
  std::size_t skipped = 0;
  bool full = false;
  host_.health().set(warmup_component, false, "warming from " + warm_from_ + ": 0 orders");
  host_.log().info("warming up from {}", warm_from_);
  Status status = source.scan([&](std::string_view key, std::string_view value, std::int64_t) {
    bool evicted = false;
    if (!cache_.put(key, value, &evicted)) {
      ++skipped;
      return true;
    }
    if (evicted) {
      // Bounded cache is full: the rest is answered by the next store in the lookup chain.
      full = true;
      return false;
    }
    ++loaded;
    auto now = clock::now();
    if (loaded % progress_every_ == 0 || now - last_report >= progress_interval) {
      last_report = now;
      std::string progress = "warming from " + warm_from_ + ": " + std::to_string(loaded) + " orders";
      host_.log().info("{} ({:.1f} MiB)", progress, static_cast<double>(cache_.memory_bytes()) / (1 << 20));
      host_.health().set(warmup_component, false, progress);
    }
    return !host_.stopping();
  });
  if (!status.is_ok()) {
    host_.health().set(warmup_component, false, "warm-up from " + warm_from_ + " failed: " + status.message());
    return status;
  }
  double seconds = std::chrono::duration<double>(clock::now() - started).count();
  host_.log().info("warm-up done: {} orders, {:.1f} MiB in {:.2f} s ({:.0f} orders/s){}{}", loaded,
                   static_cast<double>(cache_.memory_bytes()) / (1 << 20), seconds,
                   seconds > 0 ? loaded / seconds : 0.0,
                   full ? "; max_entries reached, the rest stays in " + warm_from_ : std::string(),
                   skipped ? "; " + std::to_string(skipped) + " too large to cache" : std::string());
  host_.health().set(warmup_component, true);
  update_gauges();
  return Status::ok();
}

Status MemoryCache::open() {
  if (warm_from_.empty()) return Status::ok();
  warm_source_ = host_.store(warm_from_);
  if (!warm_source_) {
    return Status::fatal("memory_cache: warm_from: no store with id '" + warm_from_ + "'");
  }
  return warm_up(*warm_source_);
}

Status MemoryCache::write(Batch& batch, Outcome& outcome) {
  for (std::size_t i = 0; i < batch.records.size(); ++i) {
    const Record& record = batch.records[i];
    if (record.key.empty()) {
      outcome.reject(i, "missing_key", "",
                     "the cache needs a record key (order_validate sets it to order_uid)");
      continue;
    }
    if (!cache_.put(record.key, record.value)) {
      outcome.reject(i, "too_large", "", "the record is too large to cache");
      continue;
    }
    recent_.add(record.key);
  }
  update_gauges();
  return Status::ok();
}

Lookup MemoryCache::get(std::string_view key, std::string& value, std::int64_t& version) {
  version = 0;
  if (cache_.get(key, value)) {
    hits_.inc();
    return Lookup::found;
  }
  misses_.inc();
  return Lookup::not_found;
}

Status MemoryCache::scan(const ScanVisitor&) {
  return Status::fatal("memory_cache cannot be scanned; warm from the database instead");
}

void MemoryCache::fill(std::string_view key, std::string_view value, std::int64_t) { cache_.put(key, value); }

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

}  // namespace sluice::cache
