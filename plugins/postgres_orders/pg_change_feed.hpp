// The follower side of the postgres change feed (store.hpp, change_feed.hpp): a thread with
// its own libpq session that LISTENs on the feed channel, tells the follower where the store
// stands (resumed) and then hands it every committed batch transaction (committed), decoded
// from the NOTIFYs the writers send before COMMIT (change_notice.hpp).
//
// Why LISTEN first and read positions second: notifications of every commit after LISTEN
// are queued for this session, so nothing committed after the positions were read (and
// after the follower's resync scan inside resumed()) can be missed.
//
// On any failure (the session dies, the follower cannot resync or apply a change, a notice
// cannot be read) the follower hears lost(reason) (once per outage; the reason is public:
// no host, user or database names), the thread pauses (250 ms doubling to 2 s while it keeps
// failing), connects again, LISTENs and calls resumed() again.
//
// One feed serves one follower (change_feeds.hpp gives each follower its own); start() with
// the follower already served does nothing, with another one is an error. stop() returns once
// no callback runs any more; it must not be called from inside a callback.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "sluice/change_feed.hpp"
#include "sluice/status.hpp"

struct pg_conn;

namespace spdlog {
class logger;
}

namespace sluice::pg {

class PgChangeFeed {
 public:
  PgChangeFeed(std::string connect_string, std::string channel, std::chrono::milliseconds statement_timeout,
               spdlog::logger& log);
  ~PgChangeFeed();
  PgChangeFeed(const PgChangeFeed&) = delete;
  PgChangeFeed& operator=(const PgChangeFeed&) = delete;

  Status start(ChangeFollower& follower);
  // Stops the feed and joins its thread.
  void stop();

 private:
  struct Failed {
    std::string reason;  // public
    bool report = true;  // tell the follower lost()
  };

  void run(ChangeFollower& follower);
  // One session: connect, LISTEN, resumed, then committed() until something fails.
  Failed follow_once(ChangeFollower& follower, bool& resumed);
  pg_conn* connect(std::string& error);
  // Waits until the socket is ready (or ~100 ms passed); false when stopping.
  bool wait_socket(pg_conn* conn, bool for_write);
  // Sleeps up to `pause` unless stopped first.
  void pause(std::chrono::milliseconds pause);

  const std::string connect_string_;
  const std::string channel_;
  const std::chrono::milliseconds statement_timeout_;
  spdlog::logger& log_;

  std::mutex control_;  // start/stop
  std::thread thread_;
  ChangeFollower* follower_ = nullptr;

  std::mutex wake_mutex_;
  std::condition_variable wake_;
  std::atomic<bool> stopping_{false};
};

}  // namespace sluice::pg
