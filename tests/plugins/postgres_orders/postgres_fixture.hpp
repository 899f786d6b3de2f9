// One PostgreSQL cluster shared by a test suite (under ctest: the run's shared server), a
// fresh database per test, and the plugin objects wired to it.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "dead_letter_sink.hpp"
#include "order_validate.hpp"
#include "postgres_sink.hpp"
#include "support/plugin_test_host.hpp"
#include "support/postgres_cluster.hpp"

namespace sluice::test {

class PostgresTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster_ = new PostgresCluster("postgres-plugin-tests", "postgres_tests"); }
  // For a suite whose tests stop and start the server: a server of its own.
  static void SetUpOwnServer() {
    cluster_ = new PostgresCluster("postgres-plugin-tests", "postgres_tests", PostgresCluster::Server::own);
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }

  void SetUp() override {
    static int counter = 0;
    database_ = cluster_->database_name("t" + std::to_string(++counter));
    cluster_->query("CREATE DATABASE " + database_ + " TEMPLATE template0");  // see PostgresCluster
  }

  std::string dsn() const {
    return "postgresql://postgres@127.0.0.1:" + std::to_string(cluster_->port()) + "/" + database_;
  }

  // Rows from this test's database.
  std::vector<PostgresCluster::Row> query(const std::string& sql) const { return cluster_->query_in(database_, sql); }
  std::string scalar(const std::string& sql) const {
    auto rows = cluster_->query_in(database_, sql);
    return rows.empty() || rows[0].empty() ? std::string() : rows[0][0];
  }

  std::unique_ptr<pg::PostgresSink> make_sink() {
    return std::make_unique<pg::PostgresSink>(
        Config(nlohmann::json{{"dsn", dsn()}, {"migrate_on_open", true}, {"read_connections", 2}}), host_);
  }
  std::unique_ptr<pg::DeadLetterSink> make_dead_letter_sink() {
    return std::make_unique<pg::DeadLetterSink>(Config(nlohmann::json{{"dsn", dsn()}, {"migrate_on_open", true}}),
                                                host_);
  }
  std::unique_ptr<orders::OrderValidate> make_validate() {
    return std::make_unique<orders::OrderValidate>(
        Config(nlohmann::json{{"max_bytes", 1048576}, {"allow_unknown_fields", true}, {"canonicalize", true}}), host_);
  }

  static PostgresCluster* cluster_;
  PluginTestHost host_;
  std::string database_;
};

inline PostgresCluster* PostgresTest::cluster_ = nullptr;

}  // namespace sluice::test
