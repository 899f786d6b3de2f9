// The kafka source's answers to `sluice positions` (kafka_stream_offsets.hpp; README.md,
// "Operating Sluice", Reprocessing) against `sluice broker`: partitions and watermarks, the
// offsets of a point in time (the mock cannot look up by time, so the records are read: the
// same answer as Kafka's), a time beyond the end, and the group's committed offsets.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include "kafka_stream_offsets.hpp"
#include "support/broker.hpp"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;

// Writes one record per timestamp to `partition`, stamped as given.
void produce(const Broker& broker, std::int32_t partition, const std::vector<std::int64_t>& stamps) {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", broker.address().c_str(), error, sizeof error);
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  ASSERT_NE(producer, nullptr) << error;
  for (std::int64_t stamp : stamps) {
    ASSERT_EQ(
        rd_kafka_producev(producer, RD_KAFKA_V_TOPIC("orders"), RD_KAFKA_V_PARTITION(partition),
                          RD_KAFKA_V_VALUE(const_cast<char*>("{}"), 2), RD_KAFKA_V_TIMESTAMP(stamp), RD_KAFKA_V_END),
        RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  EXPECT_EQ(rd_kafka_flush(producer, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_destroy(producer);
}

kafka::ConsumerSettings settings(const Broker& broker, const std::string& group) {
  kafka::ConsumerSettings s;
  s.brokers = broker.address();
  s.topic = "orders";
  s.group = group;
  return s;
}

TEST(StreamOffsets, RangesAndOffsetsOfAPointInTime) {
  Broker broker({{"orders:3"}});
  produce(broker, 0, {1000, 2000, 3000, 4000});
  produce(broker, 1, {1500, 2500});
  kafka::KafkaStreamOffsets offsets(settings(broker, "g-time"));
  EXPECT_EQ(offsets.stream(), "orders");

  std::vector<PartitionRange> ranges;
  ASSERT_TRUE(offsets.ranges(ranges, 10s).is_ok());
  ASSERT_EQ(ranges.size(), 3u);
  EXPECT_EQ(ranges[0].partition, 0);
  EXPECT_EQ(ranges[0].high, 4);
  EXPECT_EQ(ranges[1].high, 2);
  EXPECT_EQ(ranges[2].high, 0);

  auto at = [&](std::int64_t t) {
    std::vector<Position> out;
    Status s = offsets.offsets_at(t, {0, 1, 2}, out, 10s);
    EXPECT_TRUE(s.is_ok()) << s.message();
    std::vector<std::int64_t> flat;
    for (const Position& p : out) flat.push_back(p.offset);
    return flat;
  };
  EXPECT_EQ(at(0), (std::vector<std::int64_t>{0, 0, 0}));      // before everything: the start
  EXPECT_EQ(at(2000), (std::vector<std::int64_t>{1, 1, 0}));   // at a stamp: that record
  EXPECT_EQ(at(2001), (std::vector<std::int64_t>{2, 1, 0}));   // between: the next one
  EXPECT_EQ(at(4000), (std::vector<std::int64_t>{3, 2, 0}));   // partition 1 has nothing that late
  EXPECT_EQ(at(99999), (std::vector<std::int64_t>{4, 2, 0}));  // beyond the end: the end
}

TEST(StreamOffsets, CommitGroupSetsTheCommittedOffsets) {
  Broker broker({{"orders:2"}});
  produce(broker, 0, {1, 2, 3});
  kafka::KafkaStreamOffsets offsets(settings(broker, "g-commit"));
  ASSERT_TRUE(offsets.commit_group({{"orders", 0, 2}, {"orders", 1, 0}}, 10s).is_ok());

  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", broker.address().c_str(), error, sizeof error);
  rd_kafka_conf_set(conf, "group.id", "g-commit", error, sizeof error);
  rd_kafka_t* reader = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
  ASSERT_NE(reader, nullptr) << error;
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(2);
  rd_kafka_topic_partition_list_add(list, "orders", 0);
  rd_kafka_topic_partition_list_add(list, "orders", 1);
  const rd_kafka_resp_err_t err = rd_kafka_committed(reader, list, 10000);
  EXPECT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR);
  EXPECT_EQ(list->elems[0].offset, 2);
  EXPECT_EQ(list->elems[1].offset, 0);
  rd_kafka_topic_partition_list_destroy(list);
  rd_kafka_destroy_flags(reader, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
}

}  // namespace
}  // namespace sluice::test
