// `sluice publish` output as scripts use it: one position per delivered message on stdout
// (the read-your-writes token GET /order takes), JSON lines with --json, and nothing else on
// stdout, so `pos=$(sluice publish ... | tail -1)` is a token. What a person meets when things
// go wrong: no broker is one error line within seconds, not a minute of librdkafka retrying,
// and the progress on a pipe is whole lines with the summary last.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "support/broker.hpp"
#include "support/process.hpp"
#include "support/text.hpp"

namespace sluice::test {
namespace {

TEST(Publish, PrintsOnePositionPerDeliveredMessage) {
  Broker broker;  // "orders" with 4 partitions
  auto r = run({sluice_binary().string(), "publish", "--brokers", broker.address(), "--count", "20", "--prefix", "pos",
                "--order-version", "2"},
               60s);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 20u) << r.out;
  const std::regex token(R"(^orders/([0-3])@([0-9]+)$)");
  std::set<std::string> distinct;
  for (const auto& line : lines) {
    EXPECT_TRUE(std::regex_match(line, token)) << line;
    distinct.insert(line);
  }
  EXPECT_EQ(distinct.size(), 20u) << "every message has its own position";
  EXPECT_NE(r.err.find("delivered 20 of 20"), std::string::npos) << "the summary belongs on stderr: " << r.err;

  // The sample again: its position is past everything already in its partition.
  auto again = run({sluice_binary().string(), "publish", "--brokers", broker.address(), "--sample", "--json"}, 60s);
  ASSERT_EQ(again.code, 0) << again.err;
  const auto json_lines = lines_of(again.out);
  ASSERT_EQ(json_lines.size(), 1u) << again.out;
  auto line = nlohmann::json::parse(json_lines[0]);
  EXPECT_EQ(line["topic"], "orders");
  EXPECT_EQ(line["key"], "b563feb7b2b84b6test");
  EXPECT_GE(line["offset"].get<std::int64_t>(), 0);
  EXPECT_EQ(line["position"], "orders/" + std::to_string(line["partition"].get<int>()) + "@" +
                                  std::to_string(line["offset"].get<std::int64_t>()));
}

// Nobody listens on the port: one `error:` line naming the address and the cause, exit 1,
// within the connect bound (5 s) rather than the 60 s delivery timeout, and none of
// librdkafka's own `%3|...|FAIL|` lines.
TEST(Publish, UnreachableBrokerIsOneClearLine) {
  const std::string address = "127.0.0.1:" + std::to_string(free_port());
  const auto start = std::chrono::steady_clock::now();
  auto r = run({sluice_binary().string(), "publish", "--brokers", address, "--count", "3"}, 60s);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_LT(took, 20s) << r.err;
  EXPECT_EQ(r.out, "") << "nothing was delivered";
  EXPECT_NE(r.err.find("error: cannot reach the Kafka broker(s) at " + address +
                       " (Connection refused); is the broker running?"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("%3|"), std::string::npos) << r.err;
  EXPECT_LT(lines_of(r.err).size(), 3u) << r.err;

  // For a log pipeline: the same as one JSON log line of component publish.
  auto json = run({sluice_binary().string(), "--log-format", "json", "publish", "--brokers", address, "--sample",
                   "--connect-timeout", "1"},
                  60s);
  EXPECT_EQ(json.code, 1) << json.err;
  const auto json_lines = lines_of(json.err);
  ASSERT_EQ(json_lines.size(), 1u) << json.err;
  auto line = nlohmann::json::parse(json_lines[0], nullptr, false);
  ASSERT_TRUE(line.is_object()) << json.err;
  EXPECT_EQ(line["level"], "error") << json.err;
  EXPECT_EQ(line["component"], "publish") << json.err;
  EXPECT_NE(line["message"].get<std::string>().find("cannot reach the Kafka broker(s) at " + address),
            std::string::npos)
      << json.err;
}

// The broker goes away mid-run: librdkafka's threads log refused connections while the
// progress is written. On a pipe every stderr line is whole (no carriage return, no raw
// librdkafka line in the middle of one), there is a progress line, and the summary and the
// failure that follows it are the last lines.
TEST(Publish, ProgressOnAPipeIsWholeLinesEvenWhenTheBrokerGoes) {
  Broker broker;
  Process publish({sluice_binary().string(), "publish", "--brokers", broker.address(), "--count", "40", "--rate", "8",
                   "--timeout", "3"},
                  Process::Options{.env = {}, .cwd = {}, .stdin_text = ""});
  // The header of --count comes once a broker answered (stdout is a file: its positions
  // arrive at exit, when stdio flushes).
  ASSERT_TRUE(publish.wait_stderr("order(s), order_uid", 20s)) << publish.err();
  ASSERT_TRUE(broker.set_down()) << broker.log();
  auto code = publish.wait(60s);
  ASSERT_TRUE(code) << publish.err();
  EXPECT_EQ(*code, 1) << publish.err();

  const std::string err = publish.err();
  EXPECT_EQ(err.find('\r'), std::string::npos) << err;
  EXPECT_EQ(err.find("%3|"), std::string::npos) << err;
  ASSERT_FALSE(err.empty());
  EXPECT_EQ(err.back(), '\n') << err;
  const auto lines = lines_of(err);
  std::size_t progress_lines = 0;
  for (const auto& line : lines) {
    EXPECT_EQ(line.rfind("sluice publish: ", 0), 0u) << "a line cut or not ours: " << line << "\n" << err;
    if (line.rfind("sluice publish: sent ", 0) == 0) ++progress_lines;
  }
  EXPECT_GE(progress_lines, 1u) << err;
  ASSERT_GE(lines.size(), 2u) << err;
  EXPECT_EQ(lines[lines.size() - 2].rfind("sluice publish: delivered ", 0), 0u) << err;
  EXPECT_NE(lines.back().find("message(s) not delivered"), std::string::npos) << err;
}

// On a terminal the progress is one line redrawn in place (carriage return), ended before
// the summary. script(1) (bsdutils, essential in Debian) gives the command a terminal;
// stdout goes to /dev/null inside it, so what the terminal shows is stderr alone.
TEST(Publish, ProgressOnATerminalIsRedrawnInPlace) {
  const std::string script = find_on_path("script");
  if (script == "script") GTEST_SKIP() << "no script(1) to give the command a terminal";
  Broker broker;
  const std::string command =
      "'" + sluice_binary().string() + "' publish --brokers " + broker.address() + " --count 10 --rate 5 >/dev/null";
  auto r = run({script, "-qec", command, "/dev/null"}, 60s);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("\rsluice publish: sent "), std::string::npos) << r.out;
  // The terminal turns '\n' into "\r\n"; the summary is the last line, after the progress
  // line was erased (ESC [K).
  const std::string summary = "\x1b[Ksluice publish: delivered 10 of 10 message(s) to orders\r\n";
  ASSERT_GE(r.out.size(), summary.size()) << r.out;
  EXPECT_EQ(r.out.substr(r.out.size() - summary.size()), summary) << r.out;
}

}  // namespace
}  // namespace sluice::test
