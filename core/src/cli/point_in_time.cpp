#include "point_in_time.hpp"

#include <cctype>
#include <chrono>

namespace sluice::cli {
namespace {

// Reads exactly `n` digits at `at`, moving past them.
std::optional<int> digits(std::string_view text, std::size_t& at, std::size_t n) {
  if (at + n > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = 0; i < n; ++i) {
    char c = text[at + i];
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    value = value * 10 + (c - '0');
  }
  at += n;
  return value;
}

bool expect(std::string_view text, std::size_t& at, std::string_view chars) {
  if (at >= text.size() || chars.find(text[at]) == std::string_view::npos) return false;
  ++at;
  return true;
}

std::optional<std::int64_t> epoch_ms(std::string_view text) {
  if (text.empty() || text.size() > 15) return std::nullopt;  // beyond year 33000: a typo
  std::int64_t ms = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    ms = ms * 10 + (c - '0');
  }
  return ms;
}

}  // namespace

std::optional<std::int64_t> parse_point_in_time(std::string_view text) {
  if (auto ms = epoch_ms(text)) return ms;
  using namespace std::chrono;
  std::size_t at = 0;
  auto y = digits(text, at, 4);
  if (!y || !expect(text, at, "-")) return std::nullopt;
  auto mo = digits(text, at, 2);
  if (!mo || !expect(text, at, "-")) return std::nullopt;
  auto d = digits(text, at, 2);
  if (!d || !expect(text, at, "Tt ")) return std::nullopt;
  auto h = digits(text, at, 2);
  if (!h || !expect(text, at, ":")) return std::nullopt;
  auto mi = digits(text, at, 2);
  if (!mi || !expect(text, at, ":")) return std::nullopt;
  auto s = digits(text, at, 2);
  if (!s) return std::nullopt;
  year_month_day date{year(*y), month(static_cast<unsigned>(*mo)), day(static_cast<unsigned>(*d))};
  if (!date.ok() || *h > 23 || *mi > 59 || *s > 60) return std::nullopt;
  std::int64_t ms = 0;
  if (at < text.size() && text[at] == '.') {
    ++at;
    std::size_t first = at;
    for (int scale = 100; at < text.size() && std::isdigit(static_cast<unsigned char>(text[at])); ++at, scale /= 10) {
      ms += (text[at] - '0') * scale;
    }
    if (at == first) return std::nullopt;
  }
  std::int64_t offset_minutes = 0;
  if (expect(text, at, "Zz")) {
  } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    const int sign = text[at++] == '-' ? -1 : 1;
    auto oh = digits(text, at, 2);
    if (!oh || !expect(text, at, ":")) return std::nullopt;
    auto om = digits(text, at, 2);
    if (!om || *oh > 23 || *om > 59) return std::nullopt;
    offset_minutes = sign * (*oh * 60 + *om);
  } else {
    return std::nullopt;  // RFC 3339 requires the offset: a local time is ambiguous
  }
  if (at != text.size()) return std::nullopt;
  const auto t = sys_days(date) + hours(*h) + minutes(*mi) + seconds(*s) - minutes(offset_minutes);
  return duration_cast<milliseconds>(t.time_since_epoch()).count() + ms;
}

}  // namespace sluice::cli
