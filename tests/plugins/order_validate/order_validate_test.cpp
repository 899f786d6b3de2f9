// The order_validate transform: the bad-message corpus (tests/fixtures/orders/invalid), each
// rejected with its reason and JSON pointer, while the valid order after them passes.
#include "order_validate.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/plugin_test_host.hpp"
#include "support/process.hpp"

namespace {

using sluice::Batch;
using sluice::Config;
using sluice::Outcome;
using sluice::Record;
using sluice::orders::OrderValidate;
using sluice::test::PluginTestHost;
using sluice::test::read_file;
using sluice::test::source_dir;

struct Case {
  std::string file;
  std::string reason;
  std::string pointer;
};

std::vector<Case> corpus() {
  std::ifstream manifest(source_dir() / "tests/fixtures/orders/invalid/cases.tsv");
  std::vector<Case> cases;
  std::string line;
  while (std::getline(manifest, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    Case c;
    std::getline(fields, c.file, '\t');
    std::getline(fields, c.reason, '\t');
    std::getline(fields, c.pointer);
    cases.push_back(c);
  }
  return cases;
}

std::string model() { return read_file(source_dir() / "tests/fixtures/model.json"); }

Config config(nlohmann::json overrides = nlohmann::json::object()) {
  nlohmann::json values = {{"max_bytes", 1048576}, {"allow_unknown_fields", true}, {"canonicalize", true}};
  values.update(overrides);
  return Config(values);
}

Record record_of(std::string value, std::int64_t offset) {
  Record record;
  record.value = std::move(value);
  record.stream = "orders";
  record.offset = offset;
  return record;
}

const Outcome::Rejected* rejection_of(const Outcome& outcome, std::size_t index) {
  for (const auto& r : outcome.rejected()) {
    if (r.index == index) return &r;
  }
  return nullptr;
}

TEST(OrderValidate, CorpusIsLargeEnough) { EXPECT_GE(corpus().size(), 30u); }

TEST(OrderValidate, EveryBadMessageIsRejectedWithItsReasonAndPointerAndTheValidOnePasses) {
  PluginTestHost host;
  OrderValidate validate(config(), host);
  auto cases = corpus();
  Batch batch;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    batch.records.push_back(record_of(read_file(source_dir() / "tests/fixtures/orders/invalid" / cases[i].file), i));
  }
  batch.records.push_back(record_of(model(), cases.size()));
  Outcome outcome;
  ASSERT_TRUE(validate.apply(batch, outcome).is_ok());

  EXPECT_EQ(outcome.rejected().size(), cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].file);
    const auto* rejected = rejection_of(outcome, i);
    ASSERT_NE(rejected, nullptr) << "accepted but should be " << cases[i].reason;
    EXPECT_EQ(rejected->reason, cases[i].reason);
    EXPECT_EQ(rejected->pointer, cases[i].pointer);
    EXPECT_FALSE(rejected->detail.empty());
  }
  EXPECT_EQ(rejection_of(outcome, cases.size()), nullptr);
  EXPECT_EQ(batch.records.back().key, "b563feb7b2b84b6test");
}

TEST(OrderValidate, OversizedMessageIsTooLarge) {
  PluginTestHost host;
  OrderValidate validate(config(), host);
  Batch batch;
  std::string big = model();
  big.insert(big.size() - 2, std::string(1 << 20, ' '));  // still valid JSON, just too big
  batch.records.push_back(record_of(big, 0));
  Outcome outcome;
  ASSERT_TRUE(validate.apply(batch, outcome).is_ok());
  ASSERT_EQ(outcome.rejected().size(), 1u);
  EXPECT_EQ(outcome.rejected()[0].reason, "too_large");
}

TEST(OrderValidate, MaxBytesIsConfigurable) {
  PluginTestHost host;
  OrderValidate validate(config({{"max_bytes", 100}}), host);
  Batch batch;
  batch.records.push_back(record_of(model(), 0));
  Outcome outcome;
  ASSERT_TRUE(validate.apply(batch, outcome).is_ok());
  ASSERT_EQ(outcome.rejected().size(), 1u);
  EXPECT_EQ(outcome.rejected()[0].reason, "too_large");
}

TEST(OrderValidate, NonPositiveMaxBytesIsAConfigError) {
  PluginTestHost host;
  EXPECT_THROW(OrderValidate(config({{"max_bytes", 0}}), host), sluice::ConfigError);
}

TEST(OrderValidate, AcceptedMessageIsCanonicalAndEqualAsJson) {
  PluginTestHost host;
  OrderValidate validate(config(), host);
  Batch batch;
  batch.records.push_back(record_of(model(), 0));
  Outcome outcome;
  ASSERT_TRUE(validate.apply(batch, outcome).is_ok());
  ASSERT_TRUE(outcome.rejected().empty());
  const std::string& value = batch.records[0].value;
  EXPECT_EQ(value.find('\n'), std::string::npos);
  EXPECT_EQ(value.find(": "), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(value), nlohmann::json::parse(model()));
}

TEST(OrderValidate, CanonicalizeOffKeepsTheBytes) {
  PluginTestHost host;
  OrderValidate validate(config({{"canonicalize", false}}), host);
  Batch batch;
  batch.records.push_back(record_of(model(), 0));
  Outcome outcome;
  ASSERT_TRUE(validate.apply(batch, outcome).is_ok());
  EXPECT_EQ(batch.records[0].value, model());
}

TEST(OrderValidate, UnknownFieldsAreKeptByDefaultAndRefusedWhenAsked) {
  auto order = nlohmann::json::parse(model());
  order["payment"]["loyalty_points"] = 5;
  PluginTestHost host;
  {
    OrderValidate validate(config(), host);
    Batch batch;
    batch.records.push_back(record_of(order.dump(), 0));
    Outcome outcome;
    ASSERT_TRUE(validate.apply(batch, outcome).is_ok());
    EXPECT_TRUE(outcome.rejected().empty());
    EXPECT_EQ(nlohmann::json::parse(batch.records[0].value), order);
  }
  {
    OrderValidate validate(config({{"allow_unknown_fields", false}}), host);
    Batch batch;
    batch.records.push_back(record_of(order.dump(), 0));
    Outcome outcome;
    ASSERT_TRUE(validate.apply(batch, outcome).is_ok());
    ASSERT_EQ(outcome.rejected().size(), 1u);
    EXPECT_EQ(outcome.rejected()[0].reason, "unknown_field");
    EXPECT_EQ(outcome.rejected()[0].pointer, "/payment/loyalty_points");
  }
}

TEST(OrderValidate, CountsRejectionsByReason) {
  PluginTestHost host;
  OrderValidate validate(config(), host);
  Batch batch;
  batch.records.push_back(record_of("{", 0));
  batch.records.push_back(record_of(model(), 1));
  Outcome outcome;
  ASSERT_TRUE(validate.apply(batch, outcome).is_ok());
  std::string metrics = host.metrics().render();
  EXPECT_NE(metrics.find("sluice_orders_invalid_total{reason=\"invalid_json\"} 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("sluice_orders_valid_total 1"), std::string::npos) << metrics;
}

}  // namespace
