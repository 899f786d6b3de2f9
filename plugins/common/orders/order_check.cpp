#include "order_check.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <iterator>
#include <vector>

#include "order_schema.hpp"
#include "order_uid.hpp"
#include "rfc3339.hpp"

namespace sluice::orders {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

const char* type_name(element_type type) {
  switch (type) {
    case element_type::OBJECT:
      return "an object";
    case element_type::ARRAY:
      return "an array";
    case element_type::INT64:
    case element_type::UINT64:
      return "an integer";
    case element_type::DOUBLE:
      return "a number with a fraction or exponent";
    case element_type::STRING:
      return "a string";
    case element_type::BOOL:
      return "a boolean";
    case element_type::NULL_VALUE:
      return "null";
  }
  return "an unknown value";
}

Violation violation(std::string reason, std::string pointer, std::string detail) {
  return {std::move(reason), std::move(pointer), std::move(detail)};
}

// Where a value sits, as a chain of stack frames: the JSON pointer string is built only for
// a violation. Building it for every field of every valid order was a fifth of the
// checker's time.
struct Path {
  const Path* parent = nullptr;
  std::string_view name;  // a member name, or
  std::size_t index = 0;  // an array index when `is_index`
  bool is_index = false;

  Path member(std::string_view key) const { return {this, key, 0, false}; }
  Path at_index(std::size_t i) const { return {this, {}, i, true}; }
  std::string str() const {
    if (!parent) return {};
    if (is_index) return parent->str() + "/" + std::to_string(index);
    return pointer_child(parent->str(), name);
  }
};

std::optional<Violation> parse_error(simdjson::error_code code) {
  switch (code) {
    case simdjson::UTF8_ERROR:
      return violation("invalid_utf8", "", "the message is not valid UTF-8");
    case simdjson::EMPTY:
      return violation("invalid_json", "", "the message is empty");
    case simdjson::UNESCAPED_CHARS:
      return violation("invalid_json", "", "a string contains an unescaped control character");
    case simdjson::DEPTH_ERROR:
      return violation("too_deep", "", "the JSON nests deeper than the parser allows");
    case simdjson::NUMBER_OUT_OF_RANGE:
      return violation("out_of_range", "", "a number does not fit in 64 bits");
    default:
      return violation("invalid_json", "",
                       std::string("the message is not valid JSON: ") + simdjson::error_message(code));
  }
}

// A key the object names twice. Orders have objects of at most 14 keys: comparing every pair
// (lengths first) needs no allocation; large hostile objects are sorted instead.
std::optional<std::string_view> duplicate_key_of(simdjson::dom::object object) {
  constexpr std::size_t small = 32;
  std::array<std::string_view, small> few;
  std::size_t n = 0;
  for (auto field : object) {
    if (n == small) {
      std::vector<std::string_view> keys;
      for (auto f : object) keys.push_back(f.key);
      std::sort(keys.begin(), keys.end());
      auto dup = std::adjacent_find(keys.begin(), keys.end());
      if (dup != keys.end()) return *dup;
      return std::nullopt;
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (few[i].size() == field.key.size() && few[i] == field.key) return field.key;
    }
    few[n++] = field.key;
  }
  return std::nullopt;
}

// Rejects objects that name a key twice anywhere in the document: "equal as JSON" has no
// meaning for them, and the database and a reader could each pick a different value.
// Returns the duplicated key's path segments innermost first; builds nothing on success.
bool find_duplicate_key(element value, std::vector<std::string>& path) {
  if (value.type() == element_type::ARRAY) {
    // Named copies: a range-for over value_unsafe() of a temporary result would dangle.
    simdjson::dom::array array = value.get_array().value_unsafe();
    std::size_t index = 0;
    for (element child : array) {
      if (find_duplicate_key(child, path)) {
        path.push_back(std::to_string(index));
        return true;
      }
      ++index;
    }
    return false;
  }
  if (value.type() != element_type::OBJECT) return false;
  simdjson::dom::object object = value.get_object().value_unsafe();
  for (auto field : object) {
    if (find_duplicate_key(field.value, path)) {
      path.emplace_back(field.key);
      return true;
    }
  }
  if (auto dup = duplicate_key_of(object)) {
    path.emplace_back(*dup);
    return true;
  }
  return false;
}

std::optional<Violation> check_fields(element object, std::span<const FieldSpec> fields, const Path& path,
                                      const CheckOptions& options);

std::optional<Violation> wrong_type(const Path& path, const char* expected, element value) {
  return violation("wrong_type", path.str(), std::string("expected ") + expected + ", got " + type_name(value.type()));
}

std::optional<Violation> check_integer(element value, const Path& path, bool money) {
  switch (value.type()) {
    case element_type::INT64:
      break;
    case element_type::UINT64:
      return violation("out_of_range", path.str(), "the integer does not fit in a signed 64-bit value");
    default:
      return wrong_type(path, money ? "an integer amount" : "an integer", value);
  }
  if (money && value.get_int64().value_unsafe() < 0) {
    return violation("negative_money", path.str(), "money amounts must not be negative");
  }
  return std::nullopt;
}

std::optional<Violation> check_value(element value, const FieldSpec& spec, const Path& path,
                                     const CheckOptions& options) {
  switch (spec.kind) {
    case FieldKind::integer:
      return check_integer(value, path, false);
    case FieldKind::money:
      return check_integer(value, path, true);
    case FieldKind::object:
      if (value.type() != element_type::OBJECT) return wrong_type(path, "an object", value);
      return check_fields(value, spec.children, path, options);
    case FieldKind::items: {
      if (value.type() != element_type::ARRAY) return wrong_type(path, "an array", value);
      auto array = value.get_array().value_unsafe();
      if (array.size() == 0) {
        return violation("empty_items", path.str(), "an order needs at least one item");
      }
      std::size_t index = 0;
      for (element item : array) {
        Path item_path = path.at_index(index++);
        if (item.type() != element_type::OBJECT) return wrong_type(item_path, "an object", item);
        auto found = check_fields(item, spec.children, item_path, options);
        if (found) return found;
      }
      return std::nullopt;
    }
    case FieldKind::text:
    case FieldKind::timestamp:
    case FieldKind::order_uid:
      break;
  }
  if (value.type() != element_type::STRING) return wrong_type(path, "a string", value);
  std::string_view text = value.get_string().value_unsafe();
  // PostgreSQL text cannot hold NUL, and no order field has a use for it.
  if (text.find('\0') != std::string_view::npos) {
    return violation("nul_character", path.str(), "the string contains a NUL character");
  }
  if (spec.kind == FieldKind::timestamp && !is_rfc3339_date_time(text)) {
    return violation("invalid_date", path.str(),
                     "expected an RFC 3339 date-time such as 2021-11-26T06:22:19Z, with a year from 0001 "
                     "to 9999 and a UTC offset within +-15:59 (what PostgreSQL can store)");
  }
  if (spec.kind == FieldKind::order_uid && !is_order_uid(text)) {
    return violation(
        "invalid_order_uid", path.str(),
        "order_uid must be 1 to " + std::to_string(max_order_uid_length) + " characters of A-Z, a-z, 0-9, _ and -");
  }
  return std::nullopt;
}

// The schema field named `key`, searching from `hint` on: senders write fields in one order,
// usually the schema's, so the first comparison nearly always hits. npos: not in the schema.
std::size_t field_index(std::span<const FieldSpec> fields, std::string_view key, std::size_t hint) {
  for (std::size_t n = 0; n < fields.size(); ++n) {
    std::size_t i = (hint + n) % fields.size();
    if (fields[i].name == key) return i;
  }
  return std::string_view::npos;
}

// One pass over the members (find_duplicate_key has run: each key appears once), then the
// schema in order, so the first bad field reported is the first in the schema; unknown
// fields come last, as before.
std::optional<Violation> check_fields(element object, std::span<const FieldSpec> fields, const Path& path,
                                      const CheckOptions& options) {
  constexpr std::size_t max_fields = 32;
  static_assert(std::size(order_fields) <= max_fields && std::size(item_fields) <= max_fields &&
                std::size(payment_fields) <= max_fields && std::size(delivery_fields) <= max_fields);
  std::array<element, max_fields> values;
  std::array<bool, max_fields> present{};
  std::optional<std::string_view> unknown;
  std::size_t hint = 0;
  // Named: a range-for over the temporary that get_object() returns would dangle.
  simdjson::dom::object members = object.get_object().value_unsafe();
  for (auto member : members) {
    std::size_t i = field_index(fields, member.key, hint);
    if (i == std::string_view::npos) {
      if (!unknown) unknown = member.key;
      continue;
    }
    values[i] = member.value;
    present[i] = true;
    hint = i + 1;
  }
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const FieldSpec& spec = fields[i];
    if (!present[i]) {
      return violation("missing_field", path.member(spec.name).str(),
                       "the field \"" + std::string(spec.name) + "\" is required");
    }
    auto found = check_value(values[i], spec, path.member(spec.name), options);
    if (found) return found;
  }
  if (unknown && !options.allow_unknown_fields) {
    return violation("unknown_field", path.member(*unknown).str(), "the field is not part of an order");
  }
  return std::nullopt;
}

}  // namespace

std::string pointer_child(const std::string& parent, std::string_view name) {
  std::string out = parent;
  out.reserve(parent.size() + name.size() + 1);
  out += '/';
  for (char c : name) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

OrderChecker::OrderChecker(CheckOptions options) : options_(options) {}

std::optional<Violation> OrderChecker::check(std::string_view raw) {
  if (raw.size() > options_.max_bytes) {
    return violation("too_large", "",
                     "the message has " + std::to_string(raw.size()) + " bytes, more than max_bytes " +
                         std::to_string(options_.max_bytes));
  }
  // realloc_if_needed: the record's string has no guaranteed padding, so simdjson copies it.
  auto parsed = parser_.parse(raw.data(), raw.size(), true);
  if (parsed.error() != simdjson::SUCCESS) return parse_error(parsed.error());
  root_ = parsed.value_unsafe();
  if (root_.type() != element_type::OBJECT) {
    return violation("not_object", "", std::string("an order is a JSON object, got ") + type_name(root_.type()));
  }
  std::vector<std::string> duplicate_path;
  if (find_duplicate_key(root_, duplicate_path)) {
    std::string pointer;
    for (auto it = duplicate_path.rbegin(); it != duplicate_path.rend(); ++it) {
      pointer = pointer_child(pointer, *it);
    }
    return violation("duplicate_key", pointer, "an object names the same key twice");
  }
  return check_fields(root_, order_fields, Path{}, options_);
}

std::string_view OrderChecker::order_uid() const { return root_["order_uid"].get_string().value_unsafe(); }

}  // namespace sluice::orders
