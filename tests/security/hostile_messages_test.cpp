// Hostile messages through the real binary (README.md, "Tests", Hostile input; "Delivery
// guarantees", Bad input never stops the pipeline): `sluice run` with a file source (follow mode,
// so the process must stay up) -> order_validate -> postgres -> memory_cache, dead letters to
// postgres_dead_letter, the rest api for /metrics and GET /order.
//
// Each line of the input file is one message (its line number is its source_offset). Every
// hostile message is either dead-lettered with the reason and JSON pointer asserted here, its
// raw bytes kept exactly, or stored exactly as documented:
//   - a UTF-8 BOM before the JSON is refused as invalid_json (RFC 8259 §8.1: senders must not
//     add one; the validator does not strip it, so what is stored is always the bytes sent);
//   - an empty or blank line is a message too: invalid_json ("the message is empty");
//   - an order with 10,000 items is valid and stored in full (10,000 item rows, document and
//     GET /order equal to the message) when it fits max_bytes; the default max_bytes (1 MiB)
//     would refuse it as too_large, so this pipeline sets max_bytes 1,900,000 (under 2 MiB);
//   - a 2 MiB message is too_large (nothing of it is parsed), dead-lettered with its size and
//     SHA-256 and its first 64 KiB (the dead-letter sink's payload limit);
//   - SQL in order_uid is invalid_order_uid; SQL, COPY escapes (\N, \., tab, backslash) and
//     newlines in ordinary text fields are data, stored byte for byte;
//   - order_uid with a raw NUL byte is invalid_json (an unescaped control character), with
//     an escaped \u0000 it is nul_character;
//   - the same order_uid twice with different content: the later message wins (the order and
//     its items are replaced as one), whether both are in one batch or in different batches.
// The pipeline never stops (a valid order after all of them is stored and the process is
// still running) and the counters add up: consumed = stored + dead-lettered.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "hostile_corpus.hpp"
#include "metrics_text.hpp"
#include "support/postgres_cluster.hpp"
#include "support/process.hpp"

namespace sluice::test {
namespace {

using nlohmann::json;

class HostileMessages : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = scratch_dir("hostile-messages");
    cluster_ = std::make_unique<PostgresCluster>("hostile-messages-db");
    port_ = free_port();
    std::ostringstream pipeline;
    pipeline << "name: hostile-messages\n"
             << "runtime: { batch_max: 4, batch_wait_ms: 10 }\n"
             << "source:\n  plugin: file\n  config:\n"
             << "    path: " << (dir_ / "orders.ndjson").string() << "\n"
             << "    position_file: " << (dir_ / "orders.position").string() << "\n"
             << "    follow: true\n"
             << "transforms:\n  - { id: validate, plugin: order_validate, config: { max_bytes: 1900000 } }\n"
             << "sinks:\n"
             << "  - { id: db, plugin: postgres_orders, config: { dsn: \"" << cluster_->dsn() << "\" } }\n"
             << "  - { id: cache, plugin: memory_cache, config: { warm_from: db } }\n"
             << "dead_letter:\n  plugin: postgres_dead_letter\n  config: { dsn: \"" << cluster_->dsn() << "\" }\n"
             << "api:\n  - { plugin: rest, config: { listen: \"127.0.0.1:" << port_
             << "\", lookup: [cache, db], read_auth: open } }\n";
    write_file(dir_ / "pipeline.yaml", pipeline.str());
  }

  httplib::Result get(const std::string& path) {
    httplib::Client client("127.0.0.1", port_);
    client.set_connection_timeout(2, 0);
    client.set_read_timeout(20, 0);
    return client.Get(path.c_str());
  }

  // postgres_dead_letter's default max_payload_bytes.
  static constexpr std::size_t kKeptPayload = 65536;
  // Every refused message: one dead letter at its line, with its reason, pointer and raw bytes.
  void expect_dead_letters(const HostileInput& input, std::size_t refused) {
    EXPECT_EQ(cluster_->scalar("SELECT count(*) FROM dead_letters"), std::to_string(refused));
    for (const auto& [line, c] : input.refused_at) {
      SCOPED_TRACE(c->name);
      auto rows = cluster_->query(
          "SELECT reason, json_pointer, stage, raw_bytes, encode(substring(raw from 1 for 4096), 'hex'),"
          " encode(substring(raw from greatest(length(raw) - 4095, 1)), 'hex'), detail <> '', length(raw),"
          " raw_sha256 = encode(sha256(raw), 'hex')"
          " FROM dead_letters WHERE source_offset = " +
          std::to_string(line));
      ASSERT_EQ(rows.size(), 1u);
      EXPECT_EQ(rows[0][0], c->reason);
      EXPECT_EQ(rows[0][1], c->pointer);
      EXPECT_EQ(rows[0][2], "validate");
      // The whole size is recorded; at most the payload limit (64 KiB) of the bytes is kept.
      EXPECT_EQ(rows[0][3], std::to_string(c->line.size()));
      const std::size_t kept = std::min<std::size_t>(c->line.size(), kKeptPayload);
      EXPECT_EQ(rows[0][7], std::to_string(kept));
      EXPECT_EQ(rows[0][4], hex(std::string_view(c->line).substr(0, 4096)));
      const std::string_view kept_bytes = std::string_view(c->line).substr(0, kept);
      EXPECT_EQ(rows[0][5], hex(kept_bytes.substr(kept > 4096 ? kept - 4096 : 0)));
      EXPECT_EQ(rows[0][6], "t");
      // The hash is of the whole message: it equals the kept bytes' only when all were kept.
      EXPECT_EQ(rows[0][8], kept == c->line.size() ? "t" : "f");
    }
  }

  json document_of(const std::string& uid) {
    return json::parse(cluster_->scalar("SELECT document::text FROM orders WHERE order_uid = '" + uid + "'"));
  }
  json served(const std::string& uid) {
    auto res = get("/order/" + uid);
    EXPECT_TRUE(res) << uid;
    if (!res) return json();
    EXPECT_EQ(res->status, 200) << uid;
    return json::parse(res->body);
  }
  // Stored and served exactly as sent.
  void expect_kept(const std::string& uid, const json& order) {
    EXPECT_EQ(document_of(uid), order) << uid;
    EXPECT_EQ(served(uid), order) << uid;
  }
  // The later of two messages with one uid, with its own items, in the database and the cache.
  void expect_later_wins(const std::string& uid, const json& later) {
    expect_kept(uid, later);
    EXPECT_EQ(cluster_->scalar("SELECT count(*) FROM items WHERE order_uid = '" + uid + "'"),
              std::to_string(later["items"].size()));
    EXPECT_EQ(cluster_->scalar("SELECT amount FROM payments WHERE order_uid = '" + uid + "'"),
              std::to_string(later["payment"]["amount"].get<int>()));
  }
  // SQL and COPY escapes in text fields are data, byte for byte, in the normalized columns too.
  void expect_text_fields_byte_for_byte(const json& sql_text) {
    expect_kept("hostile-sql-text", sql_text);
    auto delivery = cluster_->query(
        "SELECT encode(convert_to(name, 'UTF8'), 'hex'), encode(convert_to(address, 'UTF8'), 'hex'),"
        " encode(convert_to(city, 'UTF8'), 'hex'), encode(convert_to(region, 'UTF8'), 'hex'),"
        " encode(convert_to(email, 'UTF8'), 'hex') FROM deliveries WHERE order_uid = 'hostile-sql-text'");
    ASSERT_EQ(delivery.size(), 1u);
    const char* fields[] = {"name", "address", "city", "region", "email"};
    for (std::size_t i = 0; i < 5; ++i) {
      EXPECT_EQ(delivery[0][i], hex(sql_text["delivery"][fields[i]].get<std::string>())) << fields[i];
    }
    EXPECT_EQ(cluster_->scalar("SELECT name IS NOT NULL AND name = E'\\\\N' AND brand = ''"
                               " FROM items WHERE order_uid = 'hostile-sql-text'"),
              "t");
  }

  std::filesystem::path dir_;
  std::unique_ptr<PostgresCluster> cluster_;
  int port_ = 0;
};

TEST_F(HostileMessages, EachIsDeadLetteredWithItsReasonOrStoredAsDocumentedAndCountersAddUp) {
  const std::vector<Refused> refused = refused_messages();
  const StoredOrders stored = stored_orders();
  const HostileInput input = interleave(refused, stored);
  std::string file;
  for (const auto& line : input.lines) {
    ASSERT_EQ(line.find('\n'), std::string::npos);
    file += line + "\n";
  }
  write_file(dir_ / "orders.ndjson", file);

  Process sluice({sluice_binary().string(), "run", (dir_ / "pipeline.yaml").string()},
                 {.env = {}, .cwd = dir_, .stdin_text = ""});
  const double total = static_cast<double>(input.lines.size());
  MetricsText metrics;
  ASSERT_TRUE(wait_until(
      [&] {
        auto res = get("/metrics");
        if (!res || res->status != 200) return false;
        metrics = MetricsText(res->body);
        return metrics.sum("sluice_records_consumed_total") == total &&
               metrics.sum("sluice_records_stored_total") + metrics.sum("sluice_records_dead_lettered_total") == total;
      },
      120s, 200ms))
      << "consumed " << metrics.sum("sluice_records_consumed_total") << " stored "
      << metrics.sum("sluice_records_stored_total") << " dead-lettered "
      << metrics.sum("sluice_records_dead_lettered_total") << " of " << total << "\n"
      << sluice.err();

  // The pipeline never stopped: still running, and the order after all the hostile ones is there.
  EXPECT_TRUE(sluice.running()) << sluice.err();
  EXPECT_EQ(served("hostile-final"), stored.final_order);

  // Counters add up, overall and by reason.
  EXPECT_EQ(metrics.sum("sluice_records_stored_total"), total - static_cast<double>(refused.size()));
  EXPECT_EQ(metrics.sum("sluice_records_dead_lettered_total"), static_cast<double>(refused.size()));
  std::map<std::string, int> by_reason;
  for (const auto& r : refused) ++by_reason[r.reason];
  for (const auto& [reason, count] : by_reason) {
    EXPECT_EQ(metrics.sum("sluice_records_dead_lettered_total", {{"reason", reason}}), count) << reason;
    EXPECT_EQ(metrics.sum("sluice_orders_invalid_total", {{"reason", reason}}), count) << reason;
  }

  expect_dead_letters(input, refused.size());

  // Stored: exactly the valid orders, once each.
  EXPECT_EQ(cluster_->scalar("SELECT string_agg(order_uid, ',' ORDER BY order_uid) FROM orders"),
            "hostile-10000-items,hostile-dup,hostile-dup-adjacent,hostile-final,hostile-nul-extra,hostile-sql-text");
  expect_kept("hostile-10000-items", stored.many);
  EXPECT_EQ(cluster_->scalar("SELECT count(*) || ' ' || count(DISTINCT rid) FROM items"
                             " WHERE order_uid = 'hostile-10000-items'"),
            "10000 10000");
  expect_text_fields_byte_for_byte(stored.sql_text);
  expect_kept("hostile-nul-extra", stored.nul_extra);
  expect_later_wins("hostile-dup", stored.dup_v2);
  expect_later_wins("hostile-dup-adjacent", stored.adj_v2);

  // Every line was handled: the stored position is the end of the file.
  EXPECT_EQ(cluster_->scalar("SELECT next_offset FROM offsets"), std::to_string(input.lines.size()));

  // And it stops cleanly when asked.
  sluice.signal(SIGTERM);
  auto code = sluice.wait(20s);
  ASSERT_TRUE(code) << "did not stop within 20 s after SIGTERM";
  EXPECT_EQ(*code, 0) << sluice.err();
}

}  // namespace
}  // namespace sluice::test
