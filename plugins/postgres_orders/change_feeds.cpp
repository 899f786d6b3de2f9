#include "change_feeds.hpp"

namespace sluice::pg {

ChangeFeeds::ChangeFeeds(std::string connect_string, std::string channel, std::chrono::milliseconds statement_timeout,
                         spdlog::logger& log)
    : connect_string_(std::move(connect_string)),
      channel_(std::move(channel)),
      statement_timeout_(statement_timeout),
      log_(log) {}

ChangeFeeds::~ChangeFeeds() { stop_all(); }

Status ChangeFeeds::follow(ChangeFollower& follower) {
  std::lock_guard lock(mutex_);
  if (feeds_.count(&follower)) return Status::ok();
  auto feed = std::make_unique<PgChangeFeed>(connect_string_, channel_, statement_timeout_, log_);
  Status status = feed->start(follower);
  if (status.is_ok()) feeds_.emplace(&follower, std::move(feed));
  return status;
}

// A feed is stopped outside the lock: stopping joins its thread, which may be inside a
// follower's resync scan for a while, and other followers must not wait for that.
void ChangeFeeds::unfollow(ChangeFollower& follower) {
  std::unique_ptr<PgChangeFeed> feed;
  {
    std::lock_guard lock(mutex_);
    auto it = feeds_.find(&follower);
    if (it == feeds_.end()) return;
    feed = std::move(it->second);
    feeds_.erase(it);
  }
  feed->stop();
}

void ChangeFeeds::stop_all() {
  std::map<ChangeFollower*, std::unique_ptr<PgChangeFeed>> feeds;
  {
    std::lock_guard lock(mutex_);
    feeds.swap(feeds_);
  }
  for (auto& [follower, feed] : feeds) feed->stop();
}

}  // namespace sluice::pg
