#include "order_lookup.hpp"

#include <array>

namespace sluice::rest {

namespace {

constexpr std::array<bool, 256> uid_alphabet = [] {
  std::array<bool, 256> table{};
  for (int c = 'a'; c <= 'z'; ++c) table[static_cast<std::size_t>(c)] = true;
  for (int c = 'A'; c <= 'Z'; ++c) table[static_cast<std::size_t>(c)] = true;
  for (int c = '0'; c <= '9'; ++c) table[static_cast<std::size_t>(c)] = true;
  table['_'] = true;
  table['-'] = true;
  return table;
}();

// Stores promise not to throw, but a request thread is no place to find out otherwise:
// anything thrown is treated as the store being unavailable.
Lookup guarded_get(Store& store, std::string_view uid, std::string& value) {
  try {
    std::int64_t version = 0;
    return store.get(uid, value, version);
  } catch (...) {
    return Lookup::unavailable;
  }
}

}  // namespace

bool valid_order_uid(std::string_view uid) {
  if (uid.empty() || uid.size() > 64) return false;
  for (unsigned char c : uid) {
    if (!uid_alphabet[c]) return false;
  }
  return true;
}

OrderLookup::Result OrderLookup::find(std::string_view uid, std::string& value) const {
  Lookup last = Lookup::unavailable;
  for (std::size_t i = 0; i < chain_.size(); ++i) {
    last = guarded_get(*chain_[i].store, uid, value);
    if (last != Lookup::found) continue;  // stale/absent: handled in the next commit
    for (std::size_t earlier = 0; earlier < i; ++earlier) {
      try {
        chain_[earlier].store->fill(uid, value, 0);
      } catch (...) {
        // A cache that cannot keep the value only costs the next request a slower lookup.
      }
    }
    return Result::found;
  }
  value.clear();
  return last == Lookup::not_found ? Result::not_found : Result::unavailable;
}

OrderLookup::RecentResult OrderLookup::recent(std::size_t limit, std::vector<std::string>& uids) const {
  bool any_unavailable = false;
  for (const auto& entry : chain_) {
    uids.clear();
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
    // fatal is what Store::recent's default says: this store cannot list; try the next one.
    if (status.code() == StatusCode::retry) any_unavailable = true;
  }
  uids.clear();
  return any_unavailable ? RecentResult::unavailable : RecentResult::unsupported;
}

}  // namespace sluice::rest
