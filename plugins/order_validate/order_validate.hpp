// The order_validate transform: every record must be an order (design.md §5). Valid ones
// get their order_uid as key and, by default, their whitespace removed (the canonical form
// that the database and the cache keep and serve); invalid ones go to the dead-letter route
// with a machine-readable reason and the JSON pointer of the first bad field.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "order_check.hpp"
#include "sluice/plugin.hpp"

namespace sluice::orders {

class OrderValidate final : public Transform {
 public:
  static constexpr const char* plugin_description =
      "Checks that each record is a valid order JSON; sets the key to order_uid";
  static constexpr sluice_config_key plugin_keys[] = {
      {"max_bytes", sluice_key_int, 0, "1048576",
       "largest accepted message in bytes; larger ones are rejected as too_large"},
      {"allow_unknown_fields", sluice_key_bool, 0, "true",
       "accept fields the order schema does not name (they are kept in the stored JSON)"},
      {"canonicalize", sluice_key_bool, 0, "true",
       "rewrite accepted messages without insignificant whitespace"},
  };

  OrderValidate(const Config& config, Host& host);
  Status apply(Batch& batch, Outcome& outcome) override;

 private:
  Counter& rejected_counter(const std::string& reason);

  Host& host_;
  bool canonicalize_;
  std::mutex mutex_;  // the checker and buffer are per instance; apply() may come from any thread
  OrderChecker checker_;
  std::string minified_;
  Counter& accepted_;
  std::map<std::string, Counter*> rejected_by_reason_;
};

}  // namespace sluice::orders
