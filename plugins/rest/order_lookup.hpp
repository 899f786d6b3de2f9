// Finding orders in the configured chain of stores (cache first, database last). Free of
// HTTP so the chain's rules can be tested with fake stores.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "order_uid.hpp"  // orders::is_order_uid, the rule GET /order/<uid> checks
#include "sluice/store.hpp"

namespace sluice::rest {

struct NamedStore {
  std::string id;
  StoreReader* store = nullptr;
};

class OrderLookup {
 public:
  enum class Result {
    found,
    not_found,
    unavailable,
    // find_in_memory only: the in-memory stores could not settle it, a store that may block
    // on I/O has to be asked (off the event loop).
    needs_io,
  };

  struct Answer {
    Result result = Result::unavailable;
    // Index in chain() of the store that decided (found, or not_found by a remembered miss or
    // the last store); no_source otherwise.
    std::size_t source = no_source;
    std::int64_t version = 0;  // of a found value; 0: unversioned
    bool stale = false;        // found only in a store that said it may be behind
  };
  static constexpr std::size_t no_source = static_cast<std::size_t>(-1);

  OrderLookup() = default;
  explicit OrderLookup(std::vector<NamedStore> chain) : chain_(std::move(chain)) {}

  bool empty() const { return chain_.empty(); }
  const std::vector<NamedStore>& chain() const { return chain_; }

  // Asks the stores in order, from `first` (a read-your-writes check may rule out earlier ones):
  // - found: the answer; every earlier store is filled with (value, version), so the next
  //   request is a cache hit;
  // - stale: the value is kept and later stores are asked; if none of them can answer
  //   (unavailable) it is served, marked stale;
  // - absent (a remembered miss): not_found at once;
  // - not_found from the last store: not_found, and the earlier stores remember the miss
  //   (fill_absent). Absence is decided by the last store, the most complete one: a cache
  //   miss while the database is down is `unavailable`, a cache still warming up with the
  //   database saying no is `not_found`.
  Answer find(std::string_view uid, std::string& value, std::size_t first = 0) const;

  // The same rules, but stops with needs_io at the first store that does not answer from
  // memory: what the HTTP event loop may ask without blocking.
  Answer find_in_memory(std::string_view uid, std::string& value) const;

  enum class RecentResult { ok, unsupported, unavailable, needs_io };
  // Most recent order ids from the first store that can list them. With memory_only, stops
  // with needs_io at the first store that does not answer from memory.
  RecentResult recent(std::size_t limit, std::vector<std::string>& uids, bool memory_only = false) const;

 private:
  Answer walk(std::string_view uid, std::string& value, std::size_t first, bool memory_only) const;

  std::vector<NamedStore> chain_;
};

}  // namespace sluice::rest
