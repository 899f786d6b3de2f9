// THE order_uid rule, in one place: 1 to max_order_uid_length characters of A-Z, a-z, 0-9,
// '_' and '-'. Checked by order_validate and the postgres sink (through OrderChecker), by the
// rest plugin on every GET /order/<uid> (a 400 otherwise; the page shows that answer and
// keeps no copy of the rule) and by `sluice publish` for its --prefix.
#pragma once

#include <cstddef>
#include <string_view>

namespace sluice::orders {

inline constexpr std::size_t max_order_uid_length = 64;

// True if `uid` follows the rule above. A table lookup per byte: the rest plugin runs it on
// every lookup.
bool is_order_uid(std::string_view uid);

}  // namespace sluice::orders
