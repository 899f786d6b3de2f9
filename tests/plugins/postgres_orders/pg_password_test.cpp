// A password with every character a URI gives meaning to ("/ @ : # ? %"), percent-encoded in
// the DSN, against a real PostgreSQL 15 that checks it (scram-sha-256): the postgres sink
// connects, and neither its log lines nor its readiness reason nor the error of a wrong
// password carries a piece of it (README.md, "Secrets in the config").
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <fstream>
#include <sstream>

#include "postgres_sink.hpp"
#include "support/plugin_test_host.hpp"
#include "support/postgres_cluster.hpp"

namespace sluice::test {
namespace {

const std::string kPassword = "Zq7X/a@s:s#w?o%rd";
const std::string kEncoded = "Zq7X%2Fa%40s%3As%23w%3Fo%25rd";

class PgPassword : public ::testing::Test {
 protected:
  // An own server (its pg_hba.conf is edited): pw_user must give its password over TCP.
  static void SetUpTestSuite() {
    cluster_ = new PostgresCluster("pg-password", "pw_test", PostgresCluster::Server::own);
    cluster_->query("CREATE ROLE pw_user LOGIN SUPERUSER PASSWORD '" + kPassword + "'");
    const auto hba = cluster_->dir() / "data" / "pg_hba.conf";
    std::stringstream old;
    old << std::ifstream(hba).rdbuf();
    std::ofstream(hba) << "host all pw_user 127.0.0.1/32 scram-sha-256\n" << old.str();
    cluster_->query("SELECT pg_reload_conf()");
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }

  // Opens a postgres sink on the DSN with `encoded_password`; returns everything it said.
  std::string open_sink(const std::string& encoded_password, bool expect_ok) {
    std::ostringstream said;
    PluginTestHost host;
    host.logger().sinks().push_back(std::make_shared<spdlog::sinks::ostream_sink_mt>(said));
    host.logger().set_level(spdlog::level::debug);
    pg::PostgresSettings settings;
    settings.dsn = "postgresql://pw_user:" + encoded_password + "@127.0.0.1:" + std::to_string(cluster_->port()) + "/" +
                   cluster_->database();
    pg::PostgresSink sink(settings, host);
    Status status = sink.open();
    EXPECT_EQ(status.is_ok(), expect_ok) << status.message();
    std::string why;
    host.health().ready(&why);
    return said.str() + "\n" + status.message() + "\n" + why;
  }

  static PostgresCluster* cluster_;
};
PostgresCluster* PgPassword::cluster_ = nullptr;

void expect_no_piece(const std::string& text) {
  for (std::string piece : {"Zq7X", "a@s", "s:s", "w?o", "o%rd", "%2F", "%40", "%25", "rd@"}) {
    EXPECT_EQ(text.find(piece), std::string::npos) << "'" << piece << "' in:\n" << text;
  }
}

TEST_F(PgPassword, APercentEncodedPasswordConnectsAndIsNeverShown) {
  std::string said = open_sink(kEncoded, true);
  EXPECT_NE(said.find("connecting to"), std::string::npos) << said;
  expect_no_piece(said);
}

TEST_F(PgPassword, AWrongPasswordFailsWithoutShowingIt) {
  std::string said = open_sink("Zq7X%2Fwrong%40one", false);
  EXPECT_NE(said.find("password authentication failed"), std::string::npos) << said;
  expect_no_piece(said);
}

}  // namespace
}  // namespace sluice::test
