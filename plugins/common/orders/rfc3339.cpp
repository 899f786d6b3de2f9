#include "rfc3339.hpp"

namespace sluice::orders {
namespace {

// Where PostgreSQL's timestamptz input is narrower than RFC 3339: what passes here must be
// storable, or a valid-looking order would fail in the database instead of being rejected
// here with its reason (checked against PostgreSQL 15).
constexpr int kMinYear = 1;
// "time zone displacement out of range" beyond +-15:59.
constexpr int kMaxOffsetHours = 15;
// PostgreSQL refuses date-time text longer than about 150 characters ("invalid input
// syntax"); it keeps microseconds, so 64 digits are far past any clock and stay well short.
constexpr std::size_t kMaxFractionDigits = 64;

// Reads exactly `digits` decimal digits at `pos`.
bool read_number(std::string_view text, std::size_t& pos, int digits, int& value) {
  if (pos + digits > text.size()) return false;
  value = 0;
  for (int i = 0; i < digits; ++i) {
    char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  pos += digits;
  return true;
}

bool expect(std::string_view text, std::size_t& pos, char a, char b = '\0') {
  if (pos >= text.size()) return false;
  if (text[pos] != a && (b == '\0' || text[pos] != b)) return false;
  ++pos;
  return true;
}

int days_in_month(int year, int month) {
  static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : days[month - 1];
}

}  // namespace

bool is_rfc3339_date_time(std::string_view text) {
  std::size_t pos = 0;
  int year, month, day, hour, minute, second;
  if (!read_number(text, pos, 4, year) || !expect(text, pos, '-') || !read_number(text, pos, 2, month) ||
      !expect(text, pos, '-') || !read_number(text, pos, 2, day) || !expect(text, pos, 'T', 't') ||
      !read_number(text, pos, 2, hour) || !expect(text, pos, ':') || !read_number(text, pos, 2, minute) ||
      !expect(text, pos, ':') || !read_number(text, pos, 2, second)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)) return false;
  // RFC 3339 allows second 60 for leap seconds.
  if (hour > 23 || minute > 59 || second > 60) return false;
  // Year 0000 is valid RFC 3339 but PostgreSQL has no year zero; four digits give the rest.
  if (year < kMinYear) return false;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::size_t first_digit = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    if (pos == first_digit || pos - first_digit > kMaxFractionDigits) return false;
  }
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    return pos + 1 == text.size();
  }
  int offset_hour, offset_minute;
  if (!expect(text, pos, '+', '-') || !read_number(text, pos, 2, offset_hour) || !expect(text, pos, ':') ||
      !read_number(text, pos, 2, offset_minute)) {
    return false;
  }
  return offset_hour <= kMaxOffsetHours && offset_minute <= 59 && pos == text.size();
}

}  // namespace sluice::orders
