// A point in time as an operator types it for `sluice positions set --timestamp`: RFC 3339
// (2026-12-06T14:00:00Z, fractions of a second and +hh:mm offsets allowed) or milliseconds
// since the Unix epoch (all digits).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace sluice::cli {

// Milliseconds since the Unix epoch; nullopt for anything else (including a date that does
// not exist, such as February 30).
std::optional<std::int64_t> parse_point_in_time(std::string_view text);

}  // namespace sluice::cli
