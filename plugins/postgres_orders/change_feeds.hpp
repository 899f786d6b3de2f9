// The store's change feed fanned out (change_feed.hpp): every follower (a full cache and a
// bounded hot cache on one store, say) gets a feed of its own (pg_change_feed.hpp), with its
// own session and thread, so one follower's resync scan or failure never delays or silences
// another (README.md, "Coherent reads across instances"). A follower costs one connection.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "pg_change_feed.hpp"

namespace sluice::pg {

class ChangeFeeds {
 public:
  ChangeFeeds(std::string connect_string, std::string channel, std::chrono::milliseconds statement_timeout,
              spdlog::logger& log);
  ~ChangeFeeds();
  ChangeFeeds(const ChangeFeeds&) = delete;
  ChangeFeeds& operator=(const ChangeFeeds&) = delete;

  // Starts a feed for `follower`; again for one already served: nothing.
  Status follow(ChangeFollower& follower);
  // Stops `follower`'s feed; returns once none of its callbacks runs any more.
  void unfollow(ChangeFollower& follower);
  // Stops every feed (the store closes).
  void stop_all();

 private:
  const std::string connect_string_;
  const std::string channel_;
  const std::chrono::milliseconds statement_timeout_;
  spdlog::logger& log_;

  std::mutex mutex_;
  std::map<ChangeFollower*, std::unique_ptr<PgChangeFeed>> feeds_;
};

}  // namespace sluice::pg
