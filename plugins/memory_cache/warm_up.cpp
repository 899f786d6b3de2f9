// Streaming a store into the cache: the warm-up at start, and the resync after the change
// feed was lost (every put version-guarded, so a scan racing the pipeline's write() never
// brings back an older version).
#include <spdlog/spdlog.h>

#include <chrono>

#include "memory_cache.hpp"

namespace sluice::cache {
namespace {

constexpr auto progress_interval = std::chrono::seconds(5);

}  // namespace

Status MemoryCache::load_from(WarmSource& source, bool first) {
  using clock = std::chrono::steady_clock;
  auto started = clock::now();
  auto last_report = started;
  std::size_t loaded = 0;
  std::size_t skipped = 0;
  std::size_t no_room = 0;
  bool full = false;
  const std::string doing = (first ? "warming from " : "resyncing from ") + warm_from_;
  // The warm-up reports under "warmup" (users and tests watch it); a resync under the feed's
  // own component, which is not ready meanwhile anyway.
  auto report = [&](const std::string& text) {
    if (first) {
      host_.health().set(warmup_component, false, text);
    } else {
      host_.health().set(feed_component, false, "catching up: " + text);
    }
  };
  report(doing + ": 0 entries");
  if (first) {
    host_.log().info("warming up from {}", warm_from_);
  } else {
    host_.log().info("resyncing from {}", warm_from_);
  }
  Status status = source.scan([&](std::string_view key, std::string_view value, std::int64_t version) {
    // Never evict while scanning: the warm-up stops at a full bounded cache (the rest is
    // answered by the next store in the lookup chain), and a resync must not push out the
    // entries it is re-confirming.
    PutResult result = cache_.put(key, value, version, /*may_evict=*/false);
    if (result == PutResult::too_large) {
      ++skipped;
      return true;
    }
    if (result == PutResult::no_room) {
      full = true;
      ++no_room;
      return !first && !host_.stopping();
    }
    ++loaded;
    auto now = clock::now();
    if (loaded % progress_every_ == 0 || now - last_report >= progress_interval) {
      last_report = now;
      std::string progress = doing + ": " + std::to_string(loaded) + " entries";
      host_.log().info("{} ({:.1f} MiB)", progress, static_cast<double>(cache_.memory_bytes()) / (1 << 20));
      report(progress);
    }
    return !host_.stopping();
  });
  if (!status.is_ok()) {
    report((first ? "warm-up from " : "resync from ") + warm_from_ + " failed: " + status.message());
    return status;
  }
  double seconds = std::chrono::duration<double>(clock::now() - started).count();
  if (first) {
    host_.log().info("warm-up done: {} entries, {:.1f} MiB in {:.2f} s ({:.0f} entries/s){}{}", loaded,
                     static_cast<double>(cache_.memory_bytes()) / (1 << 20), seconds,
                     seconds > 0 ? loaded / seconds : 0.0,
                     full ? "; max_entries reached, the rest stays in " + warm_from_ : std::string(),
                     skipped ? "; " + std::to_string(skipped) + " too large to cache" : std::string());
    host_.health().set(warmup_component, true);
  } else {
    host_.log().info("resync from {} done: {} entries confirmed in {:.2f} s{}", warm_from_, loaded, seconds,
                     no_room ? "; " + std::to_string(no_room) + " not held (max_entries)" : std::string());
  }
  update_gauges();
  return Status::ok();
}

}  // namespace sluice::cache
