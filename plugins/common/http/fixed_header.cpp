#include "fixed_header.hpp"

#include <deque>

namespace sluice::http {

const std::shared_ptr<Pistache::Http::Header::Header>& fixed_header(const char* name, const char* value) {
  struct Entry {
    const char* name;
    const char* value;
    std::shared_ptr<Pistache::Http::Header::Header> header;
  };
  // Keyed by pointer: callers pass literals, so the set is small and fixed (a dozen entries).
  thread_local std::deque<Entry> known;  // deque: references stay valid as it grows
  for (const auto& entry : known) {
    if (entry.name == name && entry.value == value) return entry.header;
  }
  known.push_back({name, value, std::make_shared<FixedHeader>(name, value)});
  return known.back().header;
}

}  // namespace sluice::http
