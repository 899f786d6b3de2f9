// Records librdkafka hands out a second time are dropped (plugins/kafka/read_offsets.hpp).
#include "read_offsets.hpp"

#include <gtest/gtest.h>

using sluice::kafka::ReadOffsets;

TEST(ReadOffsets, ARecordBelowTheNextOffsetOfItsPartitionWasReadBefore) {
  ReadOffsets read;
  EXPECT_TRUE(read.first_time("orders", 0, 10));
  EXPECT_TRUE(read.first_time("orders", 0, 11));
  EXPECT_FALSE(read.first_time("orders", 0, 11)) << "the same record again";
  EXPECT_FALSE(read.first_time("orders", 0, 5)) << "an older one again";
  EXPECT_TRUE(read.first_time("orders", 0, 14)) << "a gap (compacted or aborted records) is no repeat";
  EXPECT_FALSE(read.first_time("orders", 0, 12));
  // Partitions and streams are apart.
  EXPECT_TRUE(read.first_time("orders", 1, 3));
  EXPECT_TRUE(read.first_time("payments", 0, 3));
}

TEST(ReadOffsets, AfterAnAssignmentOrASeekBackThePartitionStartsAfresh) {
  ReadOffsets read;
  EXPECT_TRUE(read.first_time("orders", 0, 10));
  EXPECT_TRUE(read.first_time("orders", 1, 10));
  read.forget("orders", 0);
  EXPECT_TRUE(read.first_time("orders", 0, 4)) << "read again on purpose after a seek back";
  EXPECT_FALSE(read.first_time("orders", 1, 10)) << "only the forgotten partition starts again";
  read.clear();
  EXPECT_TRUE(read.first_time("orders", 1, 10));
}
