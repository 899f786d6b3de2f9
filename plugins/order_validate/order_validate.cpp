#include "order_validate.hpp"

#include <spdlog/spdlog.h>

#include "sluice/log_fields.hpp"
#include "sluice/log_text.hpp"

namespace sluice::orders {
namespace {

std::string max_bytes_message(std::string_view key, std::int64_t, std::int64_t, std::int64_t) {
  return std::string(key) + " must be a positive number of bytes";
}

}  // namespace

const ConfigMap<ValidateSettings>& validate_config_map() {
  using S = ValidateSettings;
  static const ConfigMap<S> map{
      key("max_bytes", &S::max_bytes, "largest accepted message in bytes; larger ones are rejected as too_large")
          .at_least(1, &max_bytes_message),
      key("allow_unknown_fields", &S::allow_unknown_fields,
          "accept fields the order schema does not name (they are kept in the stored JSON)"),
      key("canonicalize", &S::canonicalize, "rewrite accepted messages without insignificant whitespace"),
  };
  return map;
}

OrderValidate::OrderValidate(const Config& config, Host& host)
    : OrderValidate(validate_config_map().parse(config), host) {}

OrderValidate::OrderValidate(const ValidateSettings& settings, Host& host)
    : host_(host),
      canonicalize_(settings.canonicalize),
      checker_(CheckOptions{settings.max_bytes, settings.allow_unknown_fields}),
      accepted_(host.metrics().counter("sluice_orders_valid_total", "Messages that passed order validation")) {}

Counter& OrderValidate::rejected_counter(const std::string& reason) {
  auto it = rejected_by_reason_.find(reason);
  if (it != rejected_by_reason_.end()) return *it->second;
  Counter& counter = host_.metrics().counter("sluice_orders_invalid_total",
                                             "Messages refused by order validation, by reason", {{"reason", reason}});
  rejected_by_reason_.emplace(reason, &counter);
  return counter;
}

Status OrderValidate::apply(Batch& batch, Outcome& outcome) {
  std::lock_guard lock(mutex_);
  for (std::size_t index = 0; index < batch.records.size(); ++index) {
    Record& record = batch.records[index];
    if (auto bad = checker_.check(record.value)) {
      rejected_counter(bad->reason).inc();
      // The pointer holds the record's own keys.
      log_event(host_.log(), spdlog::level::debug,
                {{"stream", record.stream},
                 {"partition", record.partition},
                 {"offset", record.offset},
                 {"reason", bad->reason}},
                "{}/{}@{}: {} at '{}': {}", record.stream, record.partition, record.offset, bad->reason,
                printable(bad->pointer), printable(bad->detail, 512));
      outcome.reject(index, std::move(*bad));
      continue;
    }
    record.key.assign(checker_.order_uid());
    if (canonicalize_) {
      minified_.resize(record.value.size() + simdjson::SIMDJSON_PADDING);
      std::size_t length = 0;
      if (simdjson::minify(record.value.data(), record.value.size(), minified_.data(), length) == simdjson::SUCCESS) {
        record.value.assign(minified_.data(), length);
      }
    }
    accepted_.inc();
  }
  return Status::ok();
}

}  // namespace sluice::orders
