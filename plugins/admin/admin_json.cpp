#include "admin_json.hpp"

#include <charconv>
#include <ctime>

#include "sluice/log_text.hpp"

namespace sluice::admin {

namespace {

// Well-formed UTF-8 (no overlong forms, surrogates or NUL): shown as text, else as hex.
bool valid_text(std::string_view bytes) {
  for (std::size_t i = 0; i < bytes.size();) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    const std::size_t n = c < 0x80 ? 1 : detail::utf8_sequence(bytes, i);
    if (n == 0 || c == 0) return false;
    i += n;
  }
  return true;
}

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    out += digits[static_cast<unsigned char>(c) >> 4];
    out += digits[static_cast<unsigned char>(c) & 0xf];
  }
  return out;
}

bool parse_int(std::string_view text, std::int64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

// "YYYY-MM-DDTHH:MM:SS[.fff...](Z|+hh:mm|-hh:mm)"
bool parse_rfc3339(std::string_view t, std::int64_t& unix_ms) {
  if (t.size() < 20 || t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != 't' && t[10] != ' ') || t[13] != ':' ||
      t[16] != ':') {
    return false;
  }
  std::int64_t year, month, day, hour, minute, second;
  if (!parse_int(t.substr(0, 4), year) || !parse_int(t.substr(5, 2), month) || !parse_int(t.substr(8, 2), day) ||
      !parse_int(t.substr(11, 2), hour) || !parse_int(t.substr(14, 2), minute) || !parse_int(t.substr(17, 2), second)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return false;
  std::size_t i = 19;
  std::int64_t millis = 0;
  if (i < t.size() && t[i] == '.') {
    std::size_t digits = 0;
    for (++i; i < t.size() && t[i] >= '0' && t[i] <= '9'; ++i, ++digits) {
      if (digits < 3) millis = millis * 10 + (t[i] - '0');
    }
    if (digits == 0) return false;
    for (; digits < 3; ++digits) millis *= 10;
  }
  std::int64_t offset_minutes = 0;
  if (i < t.size() && (t[i] == 'Z' || t[i] == 'z')) {
    ++i;
  } else if (i + 6 == t.size() && (t[i] == '+' || t[i] == '-') && t[i + 3] == ':') {
    std::int64_t oh, om;
    if (!parse_int(t.substr(i + 1, 2), oh) || !parse_int(t.substr(i + 4, 2), om)) return false;
    offset_minutes = (t[i] == '-' ? -1 : 1) * (oh * 60 + om);
    i += 6;
  } else {
    return false;
  }
  if (i != t.size()) return false;
  std::tm tm{};
  tm.tm_year = static_cast<int>(year - 1900);
  tm.tm_mon = static_cast<int>(month - 1);
  tm.tm_mday = static_cast<int>(day);
  tm.tm_hour = static_cast<int>(hour);
  tm.tm_min = static_cast<int>(minute);
  tm.tm_sec = static_cast<int>(second);
  const std::int64_t seconds = timegm(&tm) - offset_minutes * 60;
  unix_ms = seconds * 1000 + millis;
  return true;
}

}  // namespace

std::string rfc3339_ms(std::int64_t unix_ms) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[96];  // room for any int the compiler can imagine
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(unix_ms % 1000));
  return text;
}

bool parse_time(std::string_view text, std::int64_t now_ms, std::int64_t& unix_ms) {
  if (parse_int(text, unix_ms)) return unix_ms >= 0;
  if (text.size() >= 2) {
    std::int64_t n;
    const char unit = text.back();
    const std::int64_t unit_ms = unit == 's'   ? 1000
                                 : unit == 'm' ? 60000
                                 : unit == 'h' ? 3600000
                                 : unit == 'd' ? 86400000
                                               : 0;
    if (unit_ms && parse_int(text.substr(0, text.size() - 1), n) && n >= 0 && n < 100000) {
      unix_ms = now_ms - n * unit_ms;
      return true;
    }
  }
  return parse_rfc3339(text, unix_ms);
}

void put_bytes(nlohmann::json& out, const std::string& name, std::string_view bytes) {
  if (valid_text(bytes)) {
    out[name + "_text"] = bytes;
  } else {
    out[name + "_hex"] = hex(bytes);
  }
}

nlohmann::json letter_summary(const DeadLetter& l) {
  return {{"id", l.id},
          {"stream", l.stream},
          {"partition", l.partition},
          {"offset", l.offset},
          {"reason", l.reason},
          {"pointer", l.pointer},
          {"detail", l.detail},
          {"stage", l.stage},
          {"attempts", l.attempts},
          {"first_seen", rfc3339_ms(l.first_seen_ms)},
          {"last_seen", rfc3339_ms(l.last_seen_ms)},
          {"raw_bytes", l.raw_bytes},
          {"raw_sha256", l.raw_sha256}};
}

nlohmann::json letter_detail(const DeadLetter& l) {
  nlohmann::json out = letter_summary(l);
  out["truncated"] = l.truncated();
  out["kept_bytes"] = l.raw.size();
  put_bytes(out, "key", l.key);
  put_bytes(out, "raw", l.raw);
  return out;
}

nlohmann::json replay_report(const ReplayReport& r, bool dry_run) {
  nlohmann::json out{{"dry_run", dry_run},
                     {"matched", r.matched},
                     {dry_run ? "would_replay" : "replayed", r.replayed},
                     {"failed", r.failed},
                     {"skipped", r.skipped},
                     {dry_run ? "would_replay_ids" : "replayed_ids", r.replayed_ids},
                     {"failed_ids", r.failed_ids},
                     {"skipped_ids", r.skipped_ids},
                     {"complete", r.error.empty()}};
  if (!r.error.empty()) out["error"] = r.error;
  return out;
}

nlohmann::json tap_line(const TapRecord& t) {
  const Record& r = t.record;
  nlohmann::json out{{"stage", t.stage},
                     {"time", rfc3339_ms(t.time_ms)},
                     {"stream", r.stream},
                     {"partition", r.partition},
                     {"offset", r.offset},
                     {"value_bytes", t.value_bytes},
                     {"truncated", r.value.size() < t.value_bytes}};
  if (!r.key.empty()) put_bytes(out, "key", r.key);
  put_bytes(out, "value", r.value);
  if (r.version) out["version"] = r.version;
  if (t.dead_letter_id) out["dead_letter_id"] = t.dead_letter_id;
  if (!r.rejection.reason.empty()) {
    out["rejection"] = {{"reason", r.rejection.reason},
                        {"pointer", r.rejection.pointer},
                        {"detail", r.rejection.detail},
                        {"stage", r.rejection.stage}};
  }
  return out;
}

std::string json_text(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace sluice::admin
