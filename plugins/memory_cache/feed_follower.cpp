// The cache as a follower of its warm_from store's change feed (change_feed.hpp): resumed()
// re-reads the store and makes the cache trusted again, committed() refreshes what a commit
// replaced (of any instance), lost() makes every entry "maybe behind" until the next resume.
// All three run on the store's feed thread.
#include <spdlog/spdlog.h>

#include <chrono>
#include <unordered_set>

#include "memory_cache.hpp"

namespace sluice::cache {
namespace {

// The first resume is waited for by open(); this is how often it looks at host.stopping().
constexpr auto stop_poll = std::chrono::milliseconds(100);

}  // namespace

void MemoryCache::set_feed_state(FeedState state, const std::string& reason) {
  feed_state_.store(state, std::memory_order_release);
  feed_following_.set(state == FeedState::following ? 1 : 0);
  if (state != FeedState::off) host_.health().set(feed_component, state == FeedState::following, reason);
}

void MemoryCache::finish_opening(Opening result, const std::string& why) {
  {
    std::lock_guard lock(opening_mutex_);
    if (opening_ != Opening::waiting) return;
    opening_ = result;
    opening_error_ = why;
  }
  opening_cv_.notify_all();
}

Status MemoryCache::follow_feed(WarmSource& source) {
  {
    std::lock_guard lock(opening_mutex_);
    opening_ = Opening::waiting;
    opening_error_.clear();
  }
  loaded_once_ = false;
  // Not trusted until the first resume: lookups meanwhile get `stale`.
  feed_state_.store(FeedState::catching_up, std::memory_order_release);
  Status status = source.follow(*this);
  if (!status.is_ok()) {
    feed_state_.store(FeedState::off, std::memory_order_release);
    return status;
  }
  followed_ = true;
  std::unique_lock lock(opening_mutex_);
  while (opening_ == Opening::waiting && !host_.stopping()) opening_cv_.wait_for(lock, stop_poll);
  if (opening_ == Opening::done) return Status::ok();
  std::string why = opening_ == Opening::failed ? opening_error_ : "stopping before the warm-up finished";
  lock.unlock();
  // Let the runtime retry open() with its backoff, as a failed one-shot warm-up does.
  source.unfollow(*this);
  followed_ = false;
  return Status::retry(why);
}

Status MemoryCache::resumed(const std::vector<Position>& committed) {
  bool first = !loaded_once_.load();
  set_feed_state(FeedState::catching_up, "catching up");
  feed_resyncs_.inc();
  // Everything held is "maybe behind" until the scan below confirms it again; misses
  // remembered before may have been committed while the feed was away.
  cache_.next_generation();
  negative_.clear();
  Status status = load_from(*warm_source_, first);
  if (!status.is_ok()) {
    host_.log().warn("resync from {} failed: {}; the store retries", warm_from_, status.message());
    host_.health().set(feed_component, false, "catching up: resync from " + warm_from_ + " failed");
    if (first) finish_opening(Opening::failed, "warm-up from " + warm_from_ + " failed: " + status.message());
    return status;
  }
  watermarks_.raise(committed);
  loaded_once_ = true;
  warm_ = true;
  set_feed_state(FeedState::following, {});
  if (first) {
    finish_opening(Opening::done, {});
  } else {
    host_.log().info("following the change feed of {} again", warm_from_);
  }
  return Status::ok();
}

Status MemoryCache::committed(const CommittedChange& change) {
  feed_events_.inc();
  // Only what the cache holds at an older version (or, unbounded, does not hold: it mirrors
  // the store) needs the new value; a key already at >= the version (this instance's own
  // write() got there first) costs nothing. A bounded cache does not take in other
  // instances' keys: that would push out its own working set.
  std::vector<std::string> fetch;
  std::unordered_set<std::string_view> seen;
  for (const ChangedKey& changed : change.keys) {
    std::int64_t held = 0;
    bool has = cache_.held_version(changed.key, held);
    if (!has && max_entries_ != 0) announced_.note(changed.key, changed.version);
    if (has ? held >= changed.version : max_entries_ != 0) continue;
    if (seen.insert(changed.key).second) fetch.push_back(changed.key);
  }
  if (!fetch.empty()) {
    Status status =
        warm_source_->get_many(fetch, [&](std::string_view key, std::string_view value, std::int64_t version) {
          if (cache_.put(key, value, version) == PutResult::replaced) invalidations_.inc();
        });
    if (!status.is_ok()) {
      host_.log().warn("change feed of {}: refreshing {} keys failed: {}", warm_from_, fetch.size(), status.message());
      return status;
    }
  }
  // After the values are in: a remembered miss or a read-your-writes waiter woken now sees them.
  for (const ChangedKey& changed : change.keys) negative_.forget(changed.key);
  watermarks_.raise(change.positions);
  if (change.committed_at_us > 0) {
    auto now_us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    // Clocks of two machines may disagree a little: never a negative lag.
    feed_lag_.observe(static_cast<double>(std::max<std::int64_t>(0, now_us - change.committed_at_us)) / 1e6);
  }
  update_gauges();
  return Status::ok();
}

void MemoryCache::lost(const std::string& why) {
  host_.log().warn("change feed of {} lost: {}; cached entries are checked against it until it resumes", warm_from_,
                   why);
  set_feed_state(FeedState::lost, why);
  if (!loaded_once_) finish_opening(Opening::failed, "change feed of " + warm_from_ + " lost: " + why);
}

}  // namespace sluice::cache
