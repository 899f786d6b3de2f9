// Messages for `sluice publish`: distinct valid orders generated from the built-in sample,
// and the Kafka key of an order (its order_uid).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "order_uid.hpp"  // plugins/common/orders: THE order_uid rule

namespace sluice::cli {

struct KeyedMessage {
  std::string key;  // empty: no key
  std::string value;
};

// The longest --prefix that still leaves room for a counter in an order_uid.
inline constexpr std::size_t max_order_prefix = 40;
static_assert(max_order_prefix + 1 + 20 <= orders::max_order_uid_length, "room for \"-<counter>\"");

// True if `prefix` is 1..max_order_prefix characters of the order_uid alphabet.
bool valid_order_prefix(std::string_view prefix);

// A fresh prefix such as "p7k2x9q4m1": two runs never collide in practice.
std::string random_order_prefix();

// Orders equal to the sample except for identity and time: order_uid = "<prefix>-<n>",
// payment.transaction = order_uid, items[i].rid = "<order_uid>-<i>", date_created and
// payment_dt = now. Money fields stay consistent, so every order passes validation.
// With a version, track_number is "<sample's>-v<version>": publishing the same prefix again
// with a higher version makes newer versions of the same orders, which a test can tell apart
// in the stored rows (orders.track_number) and check that they only ever grow.
class OrderGenerator {
 public:
  explicit OrderGenerator(std::string prefix, std::optional<std::uint64_t> version = std::nullopt);
  KeyedMessage next();
  std::uint64_t generated() const { return count_; }

 private:
  std::string prefix_;
  std::optional<std::uint64_t> version_;
  nlohmann::ordered_json sample_;
  std::uint64_t count_ = 0;
};

// The built-in sample order as one compact JSON line, keyed by its order_uid.
KeyedMessage sample_order_message();

// The order_uid of a JSON order, used as the message key, or nullopt if the text is not a
// JSON object with a string order_uid.
std::optional<std::string> order_key(std::string_view json);

}  // namespace sluice::cli
