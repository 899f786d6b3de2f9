// The order_validate transform: every record must be an order. Valid ones
// get their order_uid as key and, by default, their whitespace removed (the canonical form
// that the database and the cache keep and serve); invalid ones go to the dead-letter route
// with a machine-readable reason and the JSON pointer of the first bad field.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "order_check.hpp"
#include "sluice/transform.hpp"

namespace sluice::orders {

// The transform's configuration. Every member's initializer is the key's default; the declared
// defaults (`sluice plugins`, the README, the schema) are derived from them (validate_config_map()).
struct ValidateSettings {
  std::size_t max_bytes = CheckOptions{}.max_bytes;
  bool allow_unknown_fields = CheckOptions{}.allow_unknown_fields;
  bool canonicalize = true;
};

// The keys order_validate declares, bound to ValidateSettings' members.
const ConfigMap<ValidateSettings>& validate_config_map();

class OrderValidate final : public Transform {
 public:
  static constexpr const char* plugin_description =
      "Checks that each record is a valid order JSON; sets the key to order_uid";
  static const ConfigMap<ValidateSettings>& config_map() { return validate_config_map(); }

  OrderValidate(const Config& config, Host& host);
  OrderValidate(const ValidateSettings& settings, Host& host);
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
