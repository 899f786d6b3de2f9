// Fuzzes the order validator (plugins/order_validate: OrderChecker), the code every message
// from Kafka or a file goes through first. Any input must end in "valid" or one Violation with
// a documented reason, never a crash, hang, sanitizer report or exception. For inputs that pass,
// the properties the rest of the pipeline relies on are checked too:
//   - order_uid() is 1..64 characters of [A-Za-z0-9_-] (it becomes a key, a URL and a SQL value);
//   - the canonical (minified) form that the transform stores is accepted again, with the same
//     order_uid: the postgres sink re-checks what it receives and must not refuse it;
//   - a checker that refuses unknown fields agrees, or refuses with unknown_field only.
#include <simdjson.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "order_check.hpp"

namespace {

using sluice::orders::CheckOptions;
using sluice::orders::OrderChecker;
using sluice::orders::Violation;

// The reasons documented in order_check.hpp; anything else is a bug.
const std::set<std::string> documented_reasons = {
    "too_large",     "invalid_utf8",   "invalid_json",  "too_deep",          "out_of_range",
    "not_object",    "duplicate_key",  "missing_field", "wrong_type",        "unknown_field",
    "nul_character", "negative_money", "invalid_date",  "invalid_order_uid", "empty_items",
};

[[noreturn]] void fail(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "fuzz_order_validate: %s %.*s\n", what, static_cast<int>(detail.size()), detail.data());
  std::abort();
}

void check_violation(const Violation& v) {
  if (!documented_reasons.contains(v.reason)) fail("undocumented reason", v.reason);
  if (!v.pointer.empty() && v.pointer.front() != '/') fail("pointer is not a JSON pointer", v.pointer);
  if (v.detail.empty()) fail("violation without detail", v.reason);
}

bool is_order_uid(std::string_view uid) {
  if (uid.empty() || uid.size() > 64) return false;
  return std::all_of(uid.begin(), uid.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // A small max_bytes so the too_large path is reachable with fuzzer-sized inputs.
  static OrderChecker checker(CheckOptions{.max_bytes = 1 << 16, .allow_unknown_fields = true});
  static OrderChecker strict(CheckOptions{.max_bytes = 1 << 16, .allow_unknown_fields = false});
  static OrderChecker recheck(CheckOptions{.max_bytes = 1 << 16, .allow_unknown_fields = true});

  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  auto bad = checker.check(raw);
  auto strict_bad = strict.check(raw);
  if (bad) {
    check_violation(*bad);
    if (!strict_bad) fail("strict checker accepted what the lenient one refused", bad->reason);
    check_violation(*strict_bad);
    return 0;
  }
  if (strict_bad) {
    check_violation(*strict_bad);
    if (strict_bad->reason != "unknown_field") fail("strict checker refused a valid order with", strict_bad->reason);
  }

  const std::string uid(checker.order_uid());
  if (!is_order_uid(uid)) fail("accepted an order with a bad order_uid", uid);

  // What order_validate does with canonicalize: true, then what the postgres sink checks.
  std::string minified(size + simdjson::SIMDJSON_PADDING, '\0');
  std::size_t length = 0;
  if (simdjson::minify(raw.data(), raw.size(), minified.data(), length) != simdjson::SUCCESS) {
    fail("minify failed on an accepted order");
  }
  minified.resize(length);
  if (minified.size() > raw.size()) fail("minify made the message longer");
  if (auto again = recheck.check(minified)) fail("the canonical form of an accepted order is refused:", again->reason);
  if (recheck.order_uid() != uid) fail("the canonical form has another order_uid", recheck.order_uid());
  return 0;
}
