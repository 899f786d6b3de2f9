// Read-your-writes tokens: `Sluice-Min-Position: orders/3@1234` (or ?min_position=...) asks
// that an answer reflect at least the message at offset 1234 of partition 3 of "orders", the
// position `sluice publish` prints for a message it delivered. Pistache-free, so the syntax is
// tested on its own.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/record.hpp"

namespace sluice::rest {

struct MinPosition {
  std::string token;  // as the client wrote it (trimmed), for error bodies
  Position position;  // the store API's form: offset is the NEXT offset (message offset + 1)
};

// More tokens than this in one request are refused: each may cost a wait.
inline constexpr std::size_t max_min_positions = 16;

// One token, "stream/partition@offset": split on the LAST '@' and on the last '/' before it,
// so a stream name may itself contain '/' or '@'. Partition and offset are non-negative
// decimal integers; offset is the message's own offset.
bool parse_min_position(std::string_view token, Position& position);

// A comma-separated list (spaces around items allowed, empty items ignored), appended to
// `out`. On a bad token (or too many) returns false with `bad` set to the offending text.
bool parse_min_positions(std::string_view list, std::vector<MinPosition>& out, std::string& bad);

}  // namespace sluice::rest
