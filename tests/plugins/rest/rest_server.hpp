// A running rest plugin for HTTP tests: RestApi constructed directly on a PluginTestHost with a
// "cache" (in memory) and a "db" (does I/O) FakeStore, listening on 127.0.0.1 on a port the kernel picks, serving a
// scratch copy of a small page folder.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "fake_store.hpp"
#include "rest_api.hpp"
#include "support/plugin_test_host.hpp"

namespace sluice::test {

// The canonical sample order (tests/fixtures/model.json) and its id.
std::string sample_order_json();
inline constexpr const char* sample_uid = "b563feb7b2b84b6test";

class RestServerTest : public ::testing::Test {
 protected:
  // Extra config merged over the defaults below before the plugin is constructed.
  virtual nlohmann::json extra_config() const { return nlohmann::json::object(); }

  void SetUp() override;
  void TearDown() override;

  int port() const { return port_; }
  std::filesystem::path page_dir() const { return page_dir_; }
  std::filesystem::path outside_dir() const { return outside_dir_; }

  PluginTestHost host;
  FakeStore cache{/*lists_recent=*/true, /*in_memory=*/true};
  FakeStore db{/*lists_recent=*/false};
  std::unique_ptr<rest::RestApi> api;

 private:
  int port_ = 0;
  std::filesystem::path page_dir_;
  std::filesystem::path outside_dir_;
};

}  // namespace sluice::test
