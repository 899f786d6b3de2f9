// Strict RFC 3339 date-time syntax and calendar check (section 5.6), e.g.
// 2021-11-26T06:22:19Z or 2021-11-26T09:22:19.5+03:00, narrowed to what PostgreSQL's
// timestamptz accepts: years 0001-9999, offsets up to +-15:59, at most 64 fraction digits.
#pragma once

#include <string_view>

namespace sluice::orders {

bool is_rfc3339_date_time(std::string_view text);

}  // namespace sluice::orders
