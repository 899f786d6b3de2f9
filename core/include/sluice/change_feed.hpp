// A store's change feed: what every committed write changed, announced to followers (caches
// of other instances, and of this one) so they never keep serving a replaced version.
//
// Contract for a store with a feed (postgres: LISTEN/NOTIFY sent in the batch transaction):
// - resumed(committed) comes first, and again after every lost(): from the moment it is
//   called, every later commit reaches committed(). The follower re-reads what it holds
//   (a scan) inside resumed() before it trusts its copy again; `committed` are the store's
//   positions as of that moment, read after the feed became live. A follower that cannot
//   resync now (the scan failed) returns an error; the store retries after a pause.
// - committed() arrives in commit order, on the store's feed thread, once per committed
//   transaction. A follower that cannot apply an event (e.g. the store did not answer its
//   refresh) returns an error: the store then treats the feed as lost and resumes it.
// - lost() says events may be missing from now on, until the next resumed().
#pragma once

#include <boost/config.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "sluice/record.hpp"
#include "sluice/status.hpp"

namespace sluice {

struct ChangedKey {
  std::string key;
  std::int64_t version = 0;
};

// One committed transaction of a store.
struct CommittedChange {
  std::vector<ChangedKey> keys;
  // Source positions committed with it (next offsets), for read-your-writes tokens.
  std::vector<Position> positions;
  // Wall clock of the commit, microseconds since the Unix epoch (0: unknown): feed lag.
  std::int64_t committed_at_us = 0;
};

class BOOST_SYMBOL_VISIBLE ChangeFollower {
 public:
  virtual ~ChangeFollower();
  virtual Status resumed(const std::vector<Position>& committed) = 0;
  virtual Status committed(const CommittedChange& change) = 0;
  // `why` is fit for /readyz: it names no host, user or other connection detail.
  virtual void lost(const std::string& why) = 0;
};

}  // namespace sluice
