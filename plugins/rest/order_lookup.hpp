// Finding orders in the configured chain of stores (cache first, database last). Free of
// HTTP so the chain's rules can be tested with fake stores.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/store.hpp"

namespace sluice::rest {

// order_uid is 1..64 characters of [A-Za-z0-9_-] (design.md §5). A table lookup per byte:
// this runs on every /order request.
bool valid_order_uid(std::string_view uid);

struct NamedStore {
  std::string id;
  Store* store = nullptr;
};

class OrderLookup {
 public:
  enum class Result { found, not_found, unavailable };

  OrderLookup() = default;
  explicit OrderLookup(std::vector<NamedStore> chain) : chain_(std::move(chain)) {}

  bool empty() const { return chain_.empty(); }

  // Asks each store in order. A hit in a later store is handed to the earlier ones (fill),
  // so the next request is a cache hit. Absence is decided by the last store, the most
  // complete one: a cache miss while the database is down is `unavailable`, not `not_found`,
  // while a cache still warming up (unavailable) with the database saying no is `not_found`.
  Result find(std::string_view uid, std::string& value) const;

  enum class RecentResult { ok, unsupported, unavailable };
  // Most recent order ids from the first store that can list them.
  RecentResult recent(std::size_t limit, std::vector<std::string>& uids) const;

 private:
  std::vector<NamedStore> chain_;
};

}  // namespace sluice::rest
