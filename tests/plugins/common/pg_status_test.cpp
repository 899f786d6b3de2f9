// The one PgError -> Status rule (plugins/common/pg/pg_status.hpp).
#include "pg_status.hpp"

#include <gtest/gtest.h>

using sluice::StatusCode;
using sluice::pg::Failure;
using sluice::pg::PgError;
using sluice::pg::retryable;
using sluice::pg::status_of;

TEST(PgStatus, ConnectionAndTransientRetryDataAndFatalDoNot) {
  EXPECT_TRUE(retryable(Failure::connection));
  EXPECT_TRUE(retryable(Failure::transient));
  EXPECT_FALSE(retryable(Failure::data));
  EXPECT_FALSE(retryable(Failure::fatal));
  EXPECT_EQ(status_of(PgError(Failure::connection, "x"), "postgres", "recent").code(), StatusCode::retry);
  EXPECT_EQ(status_of(PgError(Failure::transient, "x"), "postgres", "recent").code(), StatusCode::retry);
  EXPECT_EQ(status_of(PgError(Failure::data, "x"), "postgres", "recent").code(), StatusCode::fatal);
  EXPECT_EQ(status_of(PgError(Failure::fatal, "x"), "postgres", "recent").code(), StatusCode::fatal);
}

TEST(PgStatus, MessageCarriesOnlyThePublicReason) {
  PgError error(Failure::connection,
                "connection to server at \"db.internal\" (10.0.0.5), port 5432 failed: password authentication "
                "failed for user \"sluice\"");
  auto status = status_of(error, "postgres", "loading positions");
  EXPECT_EQ(status.message(), "postgres: loading positions: " + error.public_reason());
  EXPECT_EQ(status.message().find("db.internal"), std::string::npos);
  EXPECT_EQ(status.message().find("sluice\""), std::string::npos);
}
