// End to end with real processes: `sluice broker`, `sluice publish`, kcat (an outside Kafka
// client, to prove the wire protocol) and `sluice run` with the kafka source and file sink.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "support/broker.hpp"
#include "support/process.hpp"

namespace sluice::test {
namespace {

namespace fs = std::filesystem;

// Debian's kcat: a Kafka client from outside the project (Process runs argv[0] without PATH).
const std::string kcat = "/usr/bin/kcat";

std::size_t count_occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// What a file sink wrote: every line's Kafka key (the order_uid), in order.
std::vector<std::string> keys_in(const fs::path& file) {
  std::vector<std::string> keys;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object()) keys.push_back(j.value("key", ""));  // a torn last line after SIGKILL is skipped
  }
  return keys;
}

std::set<std::string> unique_keys(std::initializer_list<fs::path> files) {
  std::set<std::string> all;
  for (const auto& f : files) {
    for (auto& k : keys_in(f)) all.insert(k);
  }
  return all;
}

// A kafka -> file pipeline in its own folder.
class Pipeline {
 public:
  Pipeline(const std::string& name, const Broker& broker, const std::string& group) {
    dir_ = scratch_dir(name);
    out_ = dir_ / "out.ndjson";
    write_file(dir_ / "pipeline.yaml", "name: " + name +
                                           "\n"
                                           "source:\n"
                                           "  plugin: kafka\n"
                                           "  config:\n"
                                           "    brokers: \"" +
                                           broker.address() +
                                           "\"\n"
                                           "    topic: orders\n"
                                           "    group: " +
                                           group +
                                           "\n"
                                           "    session_timeout_ms: 6000\n"
                                           "    heartbeat_interval_ms: 500\n"
                                           "    commit_interval_ms: 200\n"
                                           "sinks:\n"
                                           "  - id: out\n"
                                           "    plugin: file\n"
                                           "    config: { path: \"" +
                                           out_.string() + "\", format: json }\n");
  }
  void start() {
    process_.reset();
    process_ = std::make_unique<Process>(
        std::vector<std::string>{sluice_binary().string(), "run", (dir_ / "pipeline.yaml").string()});
  }
  Process& process() { return *process_; }
  const fs::path& out() const { return out_; }
  // Graceful stop: drain, commit, exit 0.
  int stop() {
    process_->signal(SIGTERM);
    auto code = process_->wait(30s);
    return code.value_or(-1);
  }

 private:
  fs::path dir_;
  fs::path out_;
  std::unique_ptr<Process> process_;
};

RunResult publish(const Broker& broker, int count, const std::string& prefix) {
  return run({sluice_binary().string(), "publish", "--brokers", broker.address(), "--count", std::to_string(count),
              "--prefix", prefix},
             120s);
}

TEST(KafkaBroker, PrintsItsAddressAndServesAnOutsideClient) {
  Broker broker({{"orders:4", "other:2"}, 1});
  auto meta = run({kcat, "-b", broker.address(), "-L"}, 30s);
  ASSERT_EQ(meta.code, 0) << meta.err;
  EXPECT_NE(meta.out.find("topic \"orders\" with 4 partitions"), std::string::npos) << meta.out;
  EXPECT_NE(meta.out.find("topic \"other\" with 2 partitions"), std::string::npos) << meta.out;

  Process::Options in;
  in.stdin_text = "k1:one\nk2:two\nk3:three\n";
  auto produced = run({kcat, "-b", broker.address(), "-P", "-t", "other", "-K:"}, 30s, in);
  ASSERT_EQ(produced.code, 0) << produced.err;
  auto consumed = run({kcat, "-b", broker.address(), "-C", "-t", "other", "-e", "-q", "-f", "%k=%s\\n"}, 30s);
  ASSERT_EQ(consumed.code, 0) << consumed.err;
  EXPECT_EQ(count_occurrences(consumed.out, "\n"), 3u) << consumed.out;
  EXPECT_NE(consumed.out.find("k2=two"), std::string::npos);

  // Also prints the address as its first stdout line.
  Process second({sluice_binary().string(), "broker"});
  auto line = second.first_line(20s);
  ASSERT_TRUE(line.has_value());
  EXPECT_EQ(line->rfind("127.0.0.1:", 0), 0u) << *line;
  second.signal(SIGTERM);
  EXPECT_EQ(second.wait(10s), 0);
}

TEST(KafkaPublish, CountReportsEveryOrderDelivered) {
  Broker broker;
  auto r = publish(broker, 10000, "many");
  ASSERT_EQ(r.code, 0) << r.err;
  // The summary is on stderr; stdout holds one position per delivered message.
  EXPECT_NE(r.err.find("delivered 10000 of 10000"), std::string::npos) << r.err;
  EXPECT_EQ(count_occurrences(r.out, "\n"), 10000u);
  auto consumed = run({kcat, "-b", broker.address(), "-C", "-t", "orders", "-e", "-q", "-f", "%k\\n"}, 60s);
  std::istringstream lines(consumed.out);
  std::set<std::string> keys;
  for (std::string k; std::getline(lines, k);) keys.insert(k);
  EXPECT_EQ(keys.size(), 10000u);
  EXPECT_TRUE(keys.contains("many-1") && keys.contains("many-10000"));

  auto sample = run({sluice_binary().string(), "publish", "--brokers", broker.address(), "--sample"}, 60s);
  EXPECT_EQ(sample.code, 0) << sample.err;
  auto bad = run({sluice_binary().string(), "publish", "--brokers", broker.address(), "--count", "1", "--sample"}, 60s);
  EXPECT_EQ(bad.code, 2);  // exactly one message source
}

TEST(KafkaPipeline, OrdersFromAnOutsideClientReachTheFileExactlyOnce) {
  Broker broker;
  // 1000 distinct orders built from the fixture, produced by kcat as key:value lines.
  std::ifstream fixture(source_dir() / "tests/fixtures/model.json");
  auto order = nlohmann::json::parse(fixture);
  std::string input;
  for (int i = 0; i < 1000; ++i) {
    std::string uid = "kcat-" + std::to_string(i);
    order["order_uid"] = uid;
    order["payment"]["transaction"] = uid;
    input += uid + "\t" + order.dump() + "\n";
  }
  Process::Options in;
  in.stdin_text = input;
  auto produced = run({kcat, "-b", broker.address(), "-P", "-t", "orders", "-K\t"}, 60s, in);
  ASSERT_EQ(produced.code, 0) << produced.err;

  Pipeline p("kafka-exactly-once", broker, "exactly-once");
  p.start();
  ASSERT_TRUE(wait_while_running(
      p.process(), [&] { return keys_in(p.out()).size() >= 1000; }, 120s));
  EXPECT_EQ(p.stop(), 0) << p.process().err();
  auto keys = keys_in(p.out());
  EXPECT_EQ(keys.size(), 1000u);
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), 1000u);
}

TEST(KafkaPipeline, KillDashNineMidStreamAndRestartLosesNothing) {
  Broker broker;
  Pipeline p("kafka-kill", broker, "kill");
  p.start();
  Process publisher({sluice_binary().string(), "publish", "--brokers", broker.address(), "--count", "4000", "--prefix",
                     "kill", "--rate", "1000"});
  ASSERT_TRUE(wait_until([&] { return keys_in(p.out()).size() >= 500; }, 60s)) << p.process().err();
  p.process().kill();  // SIGKILL: no drain, no commit
  p.start();
  ASSERT_EQ(publisher.wait(60s), 0) << publisher.err();
  ASSERT_TRUE(wait_until([&] { return unique_keys({p.out()}).size() >= 4000; }, 120s)) << p.process().err();
  EXPECT_EQ(p.stop(), 0);
  EXPECT_EQ(unique_keys({p.out()}).size(), 4000u);  // duplicates allowed, losses not
}

TEST(KafkaPipeline, TwoInstancesInOneGroupSplitThePartitions) {
  Broker broker;
  Pipeline a("kafka-split-a", broker, "split"), b("kafka-split-b", broker, "split");
  a.start();
  ASSERT_TRUE(a.process().wait_stderr("kafka: assigned orders[", 30s)) << a.process().err();
  b.start();
  // b gets partitions only in the rebalance that also takes some from a.
  ASSERT_TRUE(b.process().wait_stderr("kafka: assigned orders[", 60s)) << b.process().err();
  ASSERT_TRUE(wait_until([&] { return count_occurrences(a.process().err(), "kafka: assigned") >= 2; }, 30s));

  ASSERT_EQ(publish(broker, 2000, "split").code, 0);
  ASSERT_TRUE(wait_until([&] { return unique_keys({a.out(), b.out()}).size() >= 2000; }, 120s));
  EXPECT_GT(keys_in(a.out()).size(), 0u);
  EXPECT_GT(keys_in(b.out()).size(), 0u);
  EXPECT_EQ(keys_in(a.out()).size() + keys_in(b.out()).size(), 2000u);  // no rebalance meanwhile: once each

  // One leaves gracefully; the other takes over its partitions.
  EXPECT_EQ(a.stop(), 0);
  ASSERT_EQ(publish(broker, 500, "after").code, 0);
  ASSERT_TRUE(wait_until([&] { return unique_keys({a.out(), b.out()}).size() >= 2500; }, 120s)) << b.process().err();
  EXPECT_EQ(b.stop(), 0);
}

TEST(KafkaPipeline, BrokerOutageIsSurvived) {
  Broker broker;
  Pipeline p("kafka-outage", broker, "outage");
  p.start();
  ASSERT_EQ(publish(broker, 500, "before").code, 0);
  ASSERT_TRUE(wait_until([&] { return keys_in(p.out()).size() >= 500; }, 60s)) << p.process().err();
  ASSERT_TRUE(broker.set_down());
  ASSERT_TRUE(p.process().wait_stderr("all brokers are down", 30s)) << p.process().err();
  ASSERT_TRUE(p.process().running());
  ASSERT_TRUE(broker.set_up());
  ASSERT_EQ(publish(broker, 500, "after").code, 0);
  ASSERT_TRUE(wait_until([&] { return unique_keys({p.out()}).size() >= 1000; }, 120s)) << p.process().err();
  EXPECT_EQ(p.stop(), 0);
  EXPECT_EQ(unique_keys({p.out()}).size(), 1000u);
}

}  // namespace
}  // namespace sluice::test
