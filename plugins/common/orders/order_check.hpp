// Parses one message and checks it against the order schema. Shared by the order_validate
// transform and the postgres sink (which must not trust its input blindly and needs the
// parsed fields to fill the normalized tables).
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "sluice/record.hpp"  // sluice::Defect

namespace sluice::orders {

// Why a message is not an order. `reason` is machine-readable and stable
// (README.md, "Delivery guarantees", names the common ones): too_large, invalid_utf8, invalid_json,
// too_deep, out_of_range, not_object, duplicate_key, missing_field, wrong_type, unknown_field,
// nul_character, negative_money, invalid_date, invalid_order_uid, empty_items. The core's Defect
// triple (reason, pointer, detail), so a violation goes to Outcome::reject as it is.
using Violation = sluice::Defect;

struct CheckOptions {
  std::size_t max_bytes = 1 << 20;
  bool allow_unknown_fields = true;
};

// Not thread-safe: holds the parser and the last parsed document.
class OrderChecker {
 public:
  explicit OrderChecker(CheckOptions options = {});

  // Parses and checks `raw`. On success (nullopt) root() is the order, valid until the
  // next call.
  std::optional<Violation> check(std::string_view raw);

  simdjson::dom::element root() const { return root_; }
  std::string_view order_uid() const;

 private:
  CheckOptions options_;
  simdjson::dom::parser parser_;
  simdjson::dom::element root_;
};

// "/" + name with RFC 6901 escaping (~ -> ~0, / -> ~1).
std::string pointer_child(const std::string& parent, std::string_view name);

}  // namespace sluice::orders
