// The JSON shapes of the admin API: dead letters (bytes as text when they are UTF-8, else
// hex), replay reports, tap lines and times (RFC 3339, UTC).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "sluice/admin.hpp"

namespace sluice::admin {

// "2026-12-01T06:23:43.123Z".
std::string rfc3339_ms(std::int64_t unix_ms);
// RFC 3339 ("2026-12-01T06:23:43Z", fractions and offsets allowed), Unix milliseconds
// ("1764570223000"), or an age ("90s", "15m", "2h", "7d": that long before `now_ms`).
// False for anything else.
bool parse_time(std::string_view text, std::int64_t now_ms, std::int64_t& unix_ms);

// Adds `name` + "_text" (valid UTF-8 without NUL) or `name` + "_hex" for `bytes`.
void put_bytes(nlohmann::json& out, const std::string& name, std::string_view bytes);

// The list view: everything but the payload.
nlohmann::json letter_summary(const DeadLetter& letter);
// One letter in full, with its key and payload.
nlohmann::json letter_detail(const DeadLetter& letter);
nlohmann::json replay_report(const ReplayReport& report, bool dry_run);
// One NDJSON line of a tap (without the newline).
nlohmann::json tap_line(const TapRecord& tapped);

// Dumps replacing invalid UTF-8, so no input can make a reply fail.
std::string json_text(const nlohmann::json& value);

}  // namespace sluice::admin
