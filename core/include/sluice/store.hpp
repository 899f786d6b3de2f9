// Read access to what a sink holds (memory cache, database), and the positions a sink keeps
// transactionally with its data.
#pragma once

#include <boost/config.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/status.hpp"

namespace sluice {

enum class Lookup { found, not_found, unavailable };

class BOOST_SYMBOL_VISIBLE Store {
 public:
  virtual ~Store();
  // Thread-safe; called from API threads while the pipeline writes.
  virtual Lookup get(std::string_view key, std::string& value) = 0;
  // Streams every (key, value) to `visit` without loading everything at once; stops early
  // when `visit` returns false. Used for cache warm-up.
  virtual Status scan(const std::function<bool(std::string_view key, std::string_view value)>& visit) = 0;
  // A value found in a later store of a lookup chain; caches keep it, others ignore it.
  virtual void fill(std::string_view key, std::string_view value);
  // Most recent keys first, at most `limit` (for the page's "recent orders").
  virtual Status recent(std::size_t limit, std::vector<std::string>& keys);
  // Number of entries if cheap to know, else -1.
  virtual std::int64_t size() const;
};

class BOOST_SYMBOL_VISIBLE PositionStore {
 public:
  virtual ~PositionStore();
  // The next offset to read for (stream, partition), as committed with the data.
  // Sets `found` false when the store has none.
  virtual Status load(const std::string& stream, std::int32_t partition, std::int64_t& next_offset,
                      bool& found) = 0;
};

}  // namespace sluice
