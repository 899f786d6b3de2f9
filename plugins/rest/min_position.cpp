#include "min_position.hpp"

#include <charconv>
#include <limits>

namespace sluice::rest {

namespace {

template <typename Int>
bool parse_non_negative(std::string_view text, Int& value) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;  // from_chars would accept nothing else, but be explicit: no sign
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size();
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

bool parse_min_position(std::string_view token, Position& position) {
  const auto at = token.rfind('@');
  if (at == std::string_view::npos || at == 0) return false;
  const auto slash = token.substr(0, at).rfind('/');
  if (slash == std::string_view::npos || slash == 0) return false;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  if (!parse_non_negative(token.substr(slash + 1, at - slash - 1), partition)) return false;
  if (!parse_non_negative(token.substr(at + 1), offset)) return false;
  if (offset == std::numeric_limits<std::int64_t>::max()) return false;  // no next offset
  position.stream.assign(token.substr(0, slash));
  position.partition = partition;
  position.offset = offset + 1;
  return true;
}

bool parse_min_positions(std::string_view list, std::vector<MinPosition>& out, std::string& bad) {
  while (true) {
    const auto comma = list.find(',');
    const std::string_view item = trim(list.substr(0, comma));
    if (!item.empty()) {
      if (out.size() == max_min_positions) {
        bad = "more than " + std::to_string(max_min_positions) + " positions";
        return false;
      }
      MinPosition parsed;
      if (!parse_min_position(item, parsed.position)) {
        bad.assign(item.substr(0, 200));  // enough to recognise, never a 10 KB echo
        return false;
      }
      parsed.token.assign(item);
      out.push_back(std::move(parsed));
    }
    if (comma == std::string_view::npos) return true;
    list.remove_prefix(comma + 1);
  }
}

}  // namespace sluice::rest
