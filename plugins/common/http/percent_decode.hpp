// %XX decoding of query names and values, for the order API (?min_position=) and the admin
// API (every query parameter).
#pragma once

#include <string>
#include <string_view>

namespace sluice::http {

// %XX decoding for a query value ('+' is a space, as in forms). False on a malformed escape.
bool percent_decode(std::string_view text, std::string& out);

}  // namespace sluice::http
