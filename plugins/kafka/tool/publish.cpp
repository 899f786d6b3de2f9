// sluice publish: sends orders to a Kafka topic (the built-in sample, an NDJSON file, or N
// generated distinct orders), optionally rate-limited. Prints the position of every message
// delivered on stdout (one per line, `orders/3@1234`, or JSON with --json): that is the
// read-your-writes token GET /order accepts in Sluice-Min-Position. Progress and the summary
// go to stderr, so `pos=$(sluice publish ... | tail -1)` captures a token and nothing else.
// Sends nothing, with one error line, when no broker answers within --connect-timeout.
// Exits non-zero if any message failed. (README, CLI, "`sluice publish` on stderr")
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "commands.hpp"
#include "kafka_orders.hpp"
#include "kafka_publisher.hpp"
#include "log_setup.hpp"
#include "publish_progress.hpp"
#include "tool_commands.hpp"

namespace sluice::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct PublishOptions {
  std::string brokers;
  std::string topic = "orders";
  bool sample = false;
  std::string file;
  std::uint64_t count = 0;
  std::string prefix;
  std::uint64_t version = 0;  // 0: no version marker
  double rate = 0;            // messages per second, 0: as fast as possible
  int timeout_s = 60;
  int connect_timeout_s = 5;            // a broker must answer within this, or publish sends nothing
  std::vector<std::string> properties;  // KEY=VALUE
  bool json = false;                    // positions as JSON lines
  bool json_log = false;                // --log-format json (a global option)
};

// One stdout line per delivered message. The token form is what Sluice-Min-Position takes:
// stream/partition@offset with the message's own offset.
void print_delivery(const Delivery& d, bool json) {
  std::string position = std::string(d.topic) + '/' + std::to_string(d.partition) + '@' + std::to_string(d.offset);
  if (json) {
    nlohmann::ordered_json line{
        {"topic", d.topic}, {"partition", d.partition}, {"offset", d.offset}, {"key", d.key}, {"position", position}};
    std::cout << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  } else {
    std::cout << position << '\n';
  }
}

// Produces the messages to send one at a time; nullopt when there are no more.
using MessageSource = std::function<std::optional<KeyedMessage>()>;

MessageSource file_source(std::istream& in) {
  return [&in]() -> std::optional<KeyedMessage> {
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos) continue;  // blank line
      // Keyed by order_uid when the line is an order, so the partition follows the order.
      return KeyedMessage{order_key(line).value_or(""), std::move(line)};
    }
    return std::nullopt;
  };
}

// What to publish: the sample, a file (or stdin), or generated orders. `file_stream` and
// `generator` hold what the returned source reads. Empty with an error printed if the file
// cannot be read.
MessageSource message_source(const PublishOptions& o, std::ifstream& file_stream,
                             std::optional<OrderGenerator>& generator, std::optional<std::uint64_t>& total) {
  if (o.sample) {
    total = 1;
    return [done = false]() mutable -> std::optional<KeyedMessage> {
      if (done) return std::nullopt;
      done = true;
      return sample_order_message();
    };
  }
  if (!o.file.empty()) {
    if (o.file == "-") return file_source(std::cin);
    file_stream.open(o.file);
    if (!file_stream) {
      write_stderr("sluice publish: cannot read " + o.file + '\n');
      return {};
    }
    return file_source(file_stream);
  }
  total = o.count;
  std::string prefix = o.prefix.empty() ? random_order_prefix() : o.prefix;
  generator.emplace(prefix, o.version ? std::optional<std::uint64_t>(o.version) : std::nullopt);
  std::string header = "sluice publish: " + std::to_string(o.count) + " order(s), order_uid " + prefix + "-1 to " +
                       prefix + "-" + std::to_string(o.count);
  if (o.version) header += ", version " + std::to_string(o.version);
  write_stderr(header + '\n');
  return [&generator, count = o.count]() -> std::optional<KeyedMessage> {
    if (generator->generated() >= count) return std::nullopt;
    return generator->next();
  };
}

// The one line a user meets when no broker answers (README, CLI), instead of a minute of
// librdkafka retrying. With --log-format json it is a log line like any other.
void report_unreachable(const std::string& brokers, const std::string& cause, bool json_log) {
  const std::string line = "cannot reach the Kafka broker(s) at " + brokers + " (" + cause +
                           "); is the broker running? (the demo's address is in build/demo/env as KAFKA_BROKERS)";
  if (json_log) {
    make_logger("publish")->error(line);
  } else {
    write_stderr("error: " + line + '\n');
  }
}

struct Outcome {
  std::uint64_t refused = 0;  // messages librdkafka would not even queue
  std::string refusal;        // why the first was refused
};

// Sends every message (paced by --rate), then waits for their delivery reports.
Outcome send_all(const PublishOptions& o, Publisher& publisher, const MessageSource& next, PublishProgress& progress) {
  const auto start = Clock::now();
  Outcome outcome;
  while (auto message = next()) {
    if (o.rate > 0) {
      // Paced against the start, so a slow moment is caught up and the average holds.
      auto due = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                             static_cast<double>(publisher.sent() + outcome.refused) / o.rate));
      while (Clock::now() < due) {
        // Rounded up: a sub-millisecond wait truncated to 0 would spin a whole core.
        publisher.serve(std::chrono::ceil<std::chrono::milliseconds>(due - Clock::now()));
      }
    }
    std::string error;
    if (!publisher.send(*message, error)) {
      ++outcome.refused;
      if (outcome.refusal.empty()) outcome.refusal = error;
    }
    progress.update(publisher.sent(), publisher.delivered(), publisher.failed());
  }
  // Delivery reports for everything still queued; the delivery timeout bounds the wait.
  const auto deadline = Clock::now() + std::chrono::seconds(o.timeout_s) + std::chrono::seconds(5);
  while (publisher.outstanding() > 0 && Clock::now() < deadline) {
    publisher.flush_until(std::min(deadline, Clock::now() + std::chrono::seconds(1)));
    progress.update(publisher.sent(), publisher.delivered(), publisher.failed());
  }
  return outcome;
}

int run_publish(const PublishOptions& o) {
  if (!o.prefix.empty() && !valid_order_prefix(o.prefix)) {
    write_stderr("sluice publish: --prefix must be 1.." + std::to_string(max_order_prefix) +
                 " characters of [A-Za-z0-9_-]\n");
    return exit_usage;
  }
  PublishProgress progress(std::nullopt, PublishProgress::stderr_is_terminal());
  Publisher::Options po;
  po.brokers = o.brokers;
  po.topic = o.topic;
  po.delivery_timeout = std::chrono::seconds(o.timeout_s);
  po.on_delivered = [json = o.json, &progress, stdout_terminal = ::isatty(STDOUT_FILENO) == 1](const Delivery& d) {
    if (stdout_terminal) progress.clear();  // the position would land at the end of the progress line
    print_delivery(d, json);
  };
  po.on_trouble = [&progress](const std::string& what) { progress.line("sluice publish: " + what); };
  for (const auto& kv : o.properties) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      write_stderr("sluice publish: --property expects KEY=VALUE, got '" + kv + "'\n");
      return exit_usage;
    }
    po.properties[kv.substr(0, eq)] = kv.substr(eq + 1);
  }

  std::unique_ptr<Publisher> publisher;
  try {
    publisher = std::make_unique<Publisher>(po);
  } catch (const std::exception& e) {
    write_stderr(std::string("sluice publish: ") + e.what() + '\n');
    return exit_usage;
  }
  if (auto cause = publisher->wait_for_broker(std::chrono::seconds(o.connect_timeout_s))) {
    report_unreachable(o.brokers, *cause, o.json_log);
    return exit_failure;
  }

  std::ifstream file_stream;
  std::optional<OrderGenerator> generator;
  std::optional<std::uint64_t> total;
  MessageSource next = message_source(o, file_stream, generator, total);
  if (!next) return exit_failure;
  progress.set_total(total);
  const Outcome outcome = send_all(o, *publisher, next, progress);

  const std::uint64_t attempted = publisher->sent() + outcome.refused;
  const std::uint64_t failed = attempted - publisher->delivered();
  std::cout.flush();  // every position before the summary, for anyone reading both streams
  progress.line("sluice publish: delivered " + std::to_string(publisher->delivered()) + " of " +
                std::to_string(attempted) + " message(s) to " + o.topic);
  if (failed > 0) {
    std::string why = !publisher->first_error().empty() ? publisher->first_error()
                      : !outcome.refusal.empty()        ? outcome.refusal
                                                        : "no delivery report before the timeout";
    progress.line("sluice publish: " + std::to_string(failed) + " message(s) not delivered: " + why);
    return exit_failure;
  }
  return exit_ok;
}

}  // namespace

Command add_publish_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("publish", std::string(tool_command("publish").summary));
  auto o = std::make_shared<PublishOptions>();
  const char* env_brokers = std::getenv("KAFKA_BROKERS");
  o->brokers = env_brokers && *env_brokers ? env_brokers : "localhost:9092";
  cmd->add_option("--brokers", o->brokers, "Bootstrap servers (default: $KAFKA_BROKERS or localhost:9092)")
      ->capture_default_str();
  cmd->add_option("--topic", o->topic, "Topic to publish to")->capture_default_str();
  auto* what = cmd->add_option_group("message source", "What to publish (exactly one)");
  what->add_flag("--sample", o->sample, "The canonical sample order (order_uid b563feb7b2b84b6test)");
  what->add_option("--file", o->file,
                   "NDJSON file, one message per line ('-' reads stdin); orders are keyed "
                   "by order_uid");
  what->add_option("--count", o->count, "N distinct valid orders generated from the sample, keyed by order_uid")
      ->check(CLI::PositiveNumber);
  what->require_option(1);
  cmd->add_option("--prefix", o->prefix,
                  "order_uid prefix for --count (uids are PREFIX-1..PREFIX-N; default: a fresh random prefix)");
  cmd->add_option("--order-version", o->version,
                  "With --count: mark the orders as version V of their order_uid (track_number gets \"-vV\"); "
                  "publish the same --prefix again with a higher V for newer versions of the same orders")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--rate", o->rate, "Messages per second (0: as fast as the broker takes them)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--timeout", o->timeout_s, "Seconds a message may wait for delivery before it counts as failed")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  cmd->add_option("--connect-timeout", o->connect_timeout_s,
                  "Seconds to wait for a broker to answer before sending anything; none answering is one "
                  "error line and exit 1")
      ->capture_default_str()
      ->check(CLI::Range(1, 300));
  cmd->add_option("--property", o->properties, "Extra librdkafka producer setting KEY=VALUE (repeatable)");
  cmd->add_flag("--json", o->json,
                "Print each delivered message as a JSON line: "
                "{\"topic\",\"partition\",\"offset\",\"key\",\"position\"}");
  return {cmd, [o, &global] {
            o->json_log = global.log_format == "json";
            return run_publish(*o);
          }};
}

}  // namespace sluice::cli
