#include "order_validate.hpp"

#include <spdlog/spdlog.h>

#include "sluice/log_text.hpp"

namespace sluice::orders {
namespace {

CheckOptions options_from(const Config& config) {
  CheckOptions options;
  std::int64_t max_bytes = config.get_int("max_bytes");
  if (max_bytes <= 0) throw ConfigError("max_bytes", "max_bytes must be a positive number of bytes");
  options.max_bytes = static_cast<std::size_t>(max_bytes);
  options.allow_unknown_fields = config.get_bool("allow_unknown_fields");
  return options;
}

}  // namespace

OrderValidate::OrderValidate(const Config& config, Host& host)
    : host_(host),
      canonicalize_(config.get_bool("canonicalize")),
      checker_(options_from(config)),
      accepted_(host.metrics().counter("sluice_orders_valid_total",
                                       "Messages that passed order validation")) {}

Counter& OrderValidate::rejected_counter(const std::string& reason) {
  auto it = rejected_by_reason_.find(reason);
  if (it != rejected_by_reason_.end()) return *it->second;
  Counter& counter = host_.metrics().counter(
      "sluice_orders_invalid_total", "Messages refused by order validation, by reason",
      {{"reason", reason}});
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
      host_.log().debug("{}/{}@{}: {} at '{}': {}", record.stream, record.partition, record.offset,
                        bad->reason, printable(bad->pointer), printable(bad->detail, 512));
      outcome.reject(index, std::move(*bad));
      continue;
    }
    record.key.assign(checker_.order_uid());
    if (canonicalize_) {
      minified_.resize(record.value.size() + simdjson::SIMDJSON_PADDING);
      std::size_t length = 0;
      if (simdjson::minify(record.value.data(), record.value.size(), minified_.data(), length) ==
          simdjson::SUCCESS) {
        record.value.assign(minified_.data(), length);
      }
    }
    accepted_.inc();
  }
  return Status::ok();
}

}  // namespace sluice::orders
