// Orders for tests: the canonical sample (tests/fixtures/model.json) with a chosen order_uid
// and a few fields varied, so many distinct valid orders can be made cheaply.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "support/process.hpp"

namespace sluice::test {

inline const nlohmann::json& model_order() {
  static const nlohmann::json model = nlohmann::json::parse(read_file(source_dir() / "tests/fixtures/model.json"));
  return model;
}

// A valid order; `version` changes amounts and the number of items, so a newer version of
// the same uid is visibly different.
inline nlohmann::json make_order(const std::string& uid, int version = 0) {
  nlohmann::json order = model_order();
  order["order_uid"] = uid;
  order["payment"]["transaction"] = uid;
  order["payment"]["amount"] = 1817 + version;
  order["items"] = nlohmann::json::array();
  for (int i = 0; i <= version % 3; ++i) {
    nlohmann::json item = model_order()["items"][0];
    item["chrt_id"] = 9934930 + i;
    item["price"] = 453 + version;
    order["items"].push_back(item);
  }
  return order;
}

}  // namespace sluice::test
