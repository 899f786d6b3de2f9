#include "order_lookup.hpp"

#include <array>

namespace sluice::rest {

namespace {

// Stores promise not to throw, but a request thread is no place to find out otherwise:
// anything thrown is treated as the store being unavailable.
Lookup guarded_get(StoreReader& store, std::string_view uid, std::string& value, std::int64_t& version) {
  try {
    version = 0;
    return store.get(uid, value, version);
  } catch (...) {
    return Lookup::unavailable;
  }
}

bool in_memory(const StoreReader& store) {
  try {
    return store.answers_from_memory();
  } catch (...) {
    return false;
  }
}

}  // namespace

OrderLookup::Answer OrderLookup::find(std::string_view uid, std::string& value, std::size_t first) const {
  return walk(uid, value, first, /*memory_only=*/false);
}

OrderLookup::Answer OrderLookup::find_in_memory(std::string_view uid, std::string& value) const {
  return walk(uid, value, 0, /*memory_only=*/true);
}

OrderLookup::Answer OrderLookup::walk(std::string_view uid, std::string& value, std::size_t first,
                                      bool memory_only) const {
  // A stale value is kept aside (swapped, not copied) while later stores are asked. Only the
  // first one counts: it is the nearest to the reader, and any later one is no better.
  std::string stale_value;
  Answer stale;
  bool have_stale = false;
  Lookup last = Lookup::unavailable;
  // Earlier stores are filled however they answered: fill keeps the newer version, so a
  // stale store gets the current value and a cache that was down simply ignores it.
  auto fill_before = [&](std::size_t end, std::int64_t version) {
    for (std::size_t earlier = 0; earlier < end; ++earlier) {
      try {
        chain_[earlier].store->fill(uid, value, version);
      } catch (...) {
        // A cache that cannot keep the value only costs the next request a slower lookup.
      }
    }
  };

  for (std::size_t i = first; i < chain_.size(); ++i) {
    StoreReader& store = *chain_[i].store;
    if (memory_only && !in_memory(store)) {
      value.clear();
      return {Result::needs_io};
    }
    std::int64_t version = 0;
    last = guarded_get(store, uid, value, version);
    switch (last) {
      case Lookup::found:
        fill_before(i, version);
        return {Result::found, i, version, false};
      case Lookup::stale:
        if (!have_stale) {
          have_stale = true;
          stale_value.swap(value);
          stale = {Result::found, i, version, true};
        }
        continue;
      case Lookup::absent:
        value.clear();
        return {Result::not_found, i};
      case Lookup::not_found:
      case Lookup::unavailable:
        continue;
    }
  }

  if (last == Lookup::not_found) {
    // The last store, the most complete one, does not hold it: the earlier ones may remember
    // that, so a burst of requests for a missing id does not reach the database each time.
    for (std::size_t earlier = 0; earlier + 1 < chain_.size(); ++earlier) {
      try {
        chain_[earlier].store->fill_absent(uid);
      } catch (...) {
      }
    }
    value.clear();
    return {Result::not_found, chain_.size() - 1};
  }
  if (have_stale) {
    value.swap(stale_value);
    return stale;
  }
  value.clear();
  return {Result::unavailable};
}

OrderLookup::RecentResult OrderLookup::recent(std::size_t limit, std::vector<std::string>& uids,
                                              bool memory_only) const {
  bool any_unavailable = false;
  for (const auto& entry : chain_) {
    uids.clear();
    if (memory_only && !in_memory(*entry.store)) return RecentResult::needs_io;
    Status status;
    try {
      status = entry.store->recent(limit, uids);
    } catch (...) {
      status = Status::retry("store threw");
    }
    if (status.is_ok()) {
      if (uids.size() > limit) uids.resize(limit);
      return RecentResult::ok;
    }
    // fatal is what StoreReader::recent's default says: this store cannot list; try the next one.
    if (status.code() == StatusCode::retry) any_unavailable = true;
  }
  uids.clear();
  return any_unavailable ? RecentResult::unavailable : RecentResult::unsupported;
}

}  // namespace sluice::rest
