// One hex digit of a percent escape (%2F), shared by the static-file path check and
// percent_decode().
#pragma once

namespace sluice::http {

// 0..15, or -1 for a character that is not a hex digit.
inline int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace sluice::http
