#include "kafka_orders.hpp"

#include <chrono>
#include <ctime>
#include <random>

#include "json_member.hpp"
#include "sample_order.hpp"

namespace sluice::cli {
namespace {

// RFC 3339 in UTC with second precision, like the sample's date_created.
std::string rfc3339_now(std::time_t now) {
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace

bool valid_order_prefix(std::string_view prefix) {
  // The order_uid alphabet (plugins/common/orders), with room left for "-<counter>".
  return prefix.size() <= max_order_prefix && orders::is_order_uid(prefix);
}

std::string random_order_prefix() {
  static constexpr std::string_view alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device entropy;
  std::mt19937_64 rng((static_cast<std::uint64_t>(entropy()) << 32) ^ entropy());
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::string prefix = "p";
  for (int i = 0; i < 9; ++i) prefix += alphabet[pick(rng)];
  return prefix;
}

OrderGenerator::OrderGenerator(std::string prefix, std::optional<std::uint64_t> version)
    : prefix_(std::move(prefix)), version_(version), sample_(nlohmann::ordered_json::parse(sample_order_json)) {
  if (version_) {
    sample_["track_number"] = sample_["track_number"].get<std::string>() + "-v" + std::to_string(*version_);
  }
}

KeyedMessage OrderGenerator::next() {
  ++count_;
  std::string uid = prefix_ + "-" + std::to_string(count_);
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  nlohmann::ordered_json order = sample_;
  order["order_uid"] = uid;
  order["payment"]["transaction"] = uid;
  order["payment"]["payment_dt"] = static_cast<std::int64_t>(now);
  order["date_created"] = rfc3339_now(now);
  std::size_t i = 0;
  for (auto& item : order["items"]) item["rid"] = uid + "-" + std::to_string(i++);
  return {uid, order.dump()};
}

KeyedMessage sample_order_message() {
  auto order = nlohmann::ordered_json::parse(sample_order_json);
  return {order.at("order_uid").get<std::string>(), order.dump()};
}

std::optional<std::string> order_key(std::string_view json) { return json_string_member(json, "order_uid"); }

}  // namespace sluice::cli
