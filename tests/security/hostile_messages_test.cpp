// Hostile messages through the real binary (issue 8, item 6): `sluice run` with a file source
// (follow mode, so the process must stay up) -> order_validate -> postgres -> memory_cache,
// dead letters to postgres_dead_letter, the rest api for /metrics and GET /order.
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
//   - a 2 MiB message is too_large (nothing of it is parsed), its raw bytes dead-lettered;
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

#include "metrics_text.hpp"
#include "support/order_samples.hpp"
#include "support/postgres_cluster.hpp"
#include "support/process.hpp"

namespace sluice::test {
namespace {

using nlohmann::json;

std::string compact(const json& order) { return order.dump(); }

std::string hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

// The model order as one compact line, with a chosen uid.
json order(const std::string& uid) { return make_order(uid, 0); }

// Replaces the first occurrence of `from` in `text` (the test builds byte-level damage on top
// of valid JSON text, which a JSON library would refuse to produce).
std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// A message that must be dead-lettered with `reason` at `pointer` ("" = whole message).
struct Refused {
  std::string name;
  std::string line;
  std::string reason;
  std::string pointer;
};

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
             << "  - { id: db, plugin: postgres, config: { dsn: \"" << cluster_->dsn() << "\" } }\n"
             << "  - { id: cache, plugin: memory_cache, config: { warm_from: db } }\n"
             << "dead_letter:\n  plugin: postgres_dead_letter\n  config: { dsn: \"" << cluster_->dsn() << "\" }\n"
             << "api:\n  - { plugin: rest, config: { listen: \"127.0.0.1:" << port_ << "\", lookup: [cache, db] } }\n";
    write_file(dir_ / "pipeline.yaml", pipeline.str());
  }

  httplib::Result get(const std::string& path) {
    httplib::Client client("127.0.0.1", port_);
    client.set_connection_timeout(2, 0);
    client.set_read_timeout(20, 0);
    return client.Get(path.c_str());
  }

  std::filesystem::path dir_;
  std::unique_ptr<PostgresCluster> cluster_;
  int port_ = 0;
};

TEST_F(HostileMessages, EachIsDeadLetteredWithItsReasonOrStoredAsDocumentedAndCountersAddUp) {
  const std::string model = compact(order("hostile-model"));

  // --- messages that must be refused -------------------------------------------------------
  std::vector<Refused> refused;
  refused.push_back({"truncated JSON", model.substr(0, model.size() - 20), "invalid_json", ""});
  refused.push_back({"truncated to one byte", "{", "invalid_json", ""});
  refused.push_back({"invalid UTF-8 (bare continuation)",
                     replace_once(model, "Test Testov", "Test \xC3\x28 Testov"), "invalid_utf8", ""});
  refused.push_back({"invalid UTF-8 (overlong '/')", replace_once(model, "Kiryat", "Ki\xC0\xAFryat"),
                     "invalid_utf8", ""});
  refused.push_back({"invalid UTF-8 (encoded surrogate)", replace_once(model, "Kraiot", "Kr\xED\xA0\x80iot"),
                     "invalid_utf8", ""});
  refused.push_back({"UTF-8 BOM before the order", "\xEF\xBB\xBF" + model, "invalid_json", ""});
  refused.push_back({"empty message", "", "invalid_json", ""});
  refused.push_back({"blank message", " \t  ", "invalid_json", ""});
  refused.push_back({"null", "null", "not_object", ""});
  refused.push_back({"array of orders", "[" + model + "]", "not_object", ""});
  {
    json o = order("hostile-wrong-1");
    o["sm_id"] = "99";
    refused.push_back({"sm_id as a string", compact(o), "wrong_type", "/sm_id"});
    o = order("hostile-wrong-2");
    o["items"][0]["price"] = "453";
    refused.push_back({"item price as a string", compact(o), "wrong_type", "/items/0/price"});
    o = order("hostile-wrong-3");
    o["shardkey"] = 9;
    refused.push_back({"shardkey as a number", compact(o), "wrong_type", "/shardkey"});
    o = order("hostile-wrong-4");
    o["payment"]["amount"] = true;
    refused.push_back({"amount as a boolean", compact(o), "wrong_type", "/payment/amount"});
    o = order("hostile-wrong-5");
    o["delivery"] = nullptr;
    refused.push_back({"delivery null", compact(o), "wrong_type", "/delivery"});
    o = order("hostile-wrong-6");
    o["payment"]["amount"] = 18.17;
    refused.push_back({"amount with a fraction", compact(o), "wrong_type", "/payment/amount"});
    o = order("hostile-range");
    refused.push_back({"payment_dt over int64",
                       replace_once(compact(o), "\"payment_dt\":1637907727", "\"payment_dt\":9223372036854775808"),
                       "out_of_range", "/payment/payment_dt"});
    o = order("hostile-negative-1");
    o["payment"]["amount"] = -1;
    refused.push_back({"negative amount", compact(o), "negative_money", "/payment/amount"});
    o = order("hostile-negative-2");
    o["items"][0]["total_price"] = -317;
    refused.push_back({"negative item total_price", compact(o), "negative_money", "/items/0/total_price"});
    o = order("hostile-negative-3");
    o["payment"]["custom_fee"] = std::numeric_limits<std::int64_t>::min();
    refused.push_back({"custom_fee INT64_MIN", compact(o), "negative_money", "/payment/custom_fee"});
  }
  {
    // 10,000 nesting levels, inside an otherwise valid order (unknown fields are allowed) and
    // as the whole message.
    json o = order("hostile-deep");
    std::string text = compact(o);
    text.pop_back();
    text += ",\"nest\":" + std::string(10000, '[') + std::string(10000, ']') + "}";
    refused.push_back({"10,000 nested arrays in an order", text, "too_deep", ""});
    std::string objects;
    for (int i = 0; i < 10000; ++i) objects += "{\"a\":";
    objects += "1" + std::string(10000, '}');
    refused.push_back({"10,000 nested objects", objects, "too_deep", ""});
  }
  {
    // 2 MiB: an otherwise valid order padded with an unknown field.
    std::string text = compact(order("hostile-2mib"));
    text.pop_back();
    text += ",\"padding\":\"";
    text += std::string((2u << 20) - text.size() - 2, 'p');
    text += "\"}";
    EXPECT_EQ(text.size(), 2u << 20);
    refused.push_back({"2 MiB message", text, "too_large", ""});
  }
  {
    json o = order("x");
    o["order_uid"] = "x');DROP TABLE orders;--";
    refused.push_back({"SQL-looking order_uid", compact(o), "invalid_order_uid", "/order_uid"});
    o["order_uid"] = "x' OR '1'='1";
    refused.push_back({"SQL-looking order_uid (OR 1=1)", compact(o), "invalid_order_uid", "/order_uid"});
    o["order_uid"] = "../../etc/passwd";
    refused.push_back({"path in order_uid", compact(o), "invalid_order_uid", "/order_uid"});
    o["order_uid"] = std::string(65, 'u');
    refused.push_back({"65-character order_uid", compact(o), "invalid_order_uid", "/order_uid"});
    o["order_uid"] = "PLACEHOLDER";
    refused.push_back({"order_uid with a raw NUL byte",
                       replace_once(compact(o), "PLACEHOLDER", std::string("ab\0cd", 5)), "invalid_json", ""});
    o["order_uid"] = std::string("ab\0cd", 5);  // nlohmann escapes it as \u0000
    refused.push_back({"order_uid with an escaped NUL", compact(o), "nul_character", "/order_uid"});
    o = order("hostile-surrogate");
    refused.push_back({"lone UTF-16 surrogate escape",
                       replace_once(compact(o), "Test Testov", "Test \\ud800 Testov"), "invalid_json", ""});
    o = order("hostile-dupkey");
    std::string text = compact(o);
    text.pop_back();
    text += ",\"order_uid\":\"hostile-other\"}";
    refused.push_back({"order_uid named twice", text, "duplicate_key", "/order_uid"});
  }

  // --- messages that must be stored ----------------------------------------------------------
  json many = order("hostile-10000-items");
  many["items"] = json::array();
  for (int i = 0; i < 10000; ++i) {
    many["items"].push_back({{"chrt_id", i}, {"track_number", "T"}, {"price", i % 500}, {"rid", "r" + std::to_string(i)},
                             {"name", "n"}, {"sale", 0}, {"size", "0"}, {"total_price", i % 500},
                             {"nm_id", i}, {"brand", "b"}, {"status", 202}});
  }
  ASSERT_LT(compact(many).size(), 1900000u);
  ASSERT_GT(compact(many).size(), 1u << 20) << "must be over the default max_bytes to show why it is raised";

  json sql_text = order("hostile-sql-text");
  sql_text["delivery"]["name"] = "x');DROP TABLE orders;--";
  sql_text["delivery"]["address"] = "tab\there back\\slash \\. newline\nend\r";
  sql_text["delivery"]["city"] = "\\.";
  sql_text["delivery"]["region"] = "\xC3\x9Cn\xC3\xAF" "c\xC3\xB8" "d\xC3\xA9 \xF0\x9F\x98\x80 \xE4\xB8\xAD\xE6\x96\x87";
  sql_text["delivery"]["email"] = "'; COPY orders TO '/tmp/x'; --";
  sql_text["items"][0]["name"] = "\\N";
  sql_text["items"][0]["brand"] = "";

  // Unknown fields are kept as sent (allow_unknown_fields: true); only the order's own fields
  // are checked for NUL, so an escaped NUL in an extra field is stored (the document column is
  // json, which keeps the text; jsonb would refuse it).
  json nul_extra = order("hostile-nul-extra");
  nul_extra["note"] = std::string("a\0b", 3);

  json dup_v1 = make_order("hostile-dup", 0);   // one item
  json dup_v2 = make_order("hostile-dup", 2);   // three items, other amounts
  json adj_v1 = make_order("hostile-dup-adjacent", 1);
  json adj_v2 = make_order("hostile-dup-adjacent", 5);
  json final_order = order("hostile-final");

  // --- the file: refused messages interleaved with stored ones -------------------------------
  std::vector<std::string> lines;
  std::map<std::size_t, const Refused*> refused_at;  // line -> case
  lines.push_back(compact(dup_v1));
  for (std::size_t i = 0; i < refused.size(); ++i) {
    if (i == 5) lines.push_back(compact(many));
    if (i == 10) lines.push_back(compact(sql_text));
    if (i == 12) lines.push_back(compact(nul_extra));
    if (i == 15) {
      lines.push_back(compact(adj_v1));
      lines.push_back(compact(adj_v2));
    }
    refused_at[lines.size()] = &refused[i];
    lines.push_back(refused[i].line);
  }
  lines.push_back(compact(dup_v2));
  lines.push_back(compact(final_order));
  std::string file;
  for (const auto& line : lines) {
    ASSERT_EQ(line.find('\n'), std::string::npos);
    file += line + "\n";
  }
  write_file(dir_ / "orders.ndjson", file);

  Process sluice({sluice_binary().string(), "run", (dir_ / "pipeline.yaml").string()},
                 {.env = {}, .cwd = dir_, .stdin_text = ""});
  const double total = static_cast<double>(lines.size());
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
  auto final_res = get("/order/hostile-final");
  ASSERT_TRUE(final_res);
  EXPECT_EQ(final_res->status, 200);
  EXPECT_EQ(json::parse(final_res->body), final_order);

  // Counters add up, overall and by reason.
  const double stored_lines = total - static_cast<double>(refused.size());
  EXPECT_EQ(metrics.sum("sluice_records_stored_total"), stored_lines);
  EXPECT_EQ(metrics.sum("sluice_records_dead_lettered_total"), static_cast<double>(refused.size()));
  std::map<std::string, int> by_reason;
  for (const auto& r : refused) ++by_reason[r.reason];
  for (const auto& [reason, count] : by_reason) {
    EXPECT_EQ(metrics.sum("sluice_records_dead_lettered_total", {{"reason", reason}}), count) << reason;
    EXPECT_EQ(metrics.sum("sluice_orders_invalid_total", {{"reason", reason}}), count) << reason;
  }

  // Every refused message: one dead letter at its line, with its reason, pointer and raw bytes.
  EXPECT_EQ(cluster_->scalar("SELECT count(*) FROM dead_letters"), std::to_string(refused.size()));
  for (const auto& [line, c] : refused_at) {
    SCOPED_TRACE(c->name);
    auto rows = cluster_->query(
        "SELECT reason, json_pointer, stage, length(raw), encode(substring(raw from 1 for 4096), 'hex'),"
        " encode(substring(raw from greatest(length(raw) - 4095, 1)), 'hex'), detail <> ''"
        " FROM dead_letters WHERE source_offset = " + std::to_string(line));
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0][0], c->reason);
    EXPECT_EQ(rows[0][1], c->pointer);
    EXPECT_EQ(rows[0][2], "validate");
    EXPECT_EQ(rows[0][3], std::to_string(c->line.size()));
    EXPECT_EQ(rows[0][4], hex(std::string_view(c->line).substr(0, 4096)));
    EXPECT_EQ(rows[0][5], hex(std::string_view(c->line).substr(c->line.size() > 4096 ? c->line.size() - 4096 : 0)));
    EXPECT_EQ(rows[0][6], "t");
  }

  // Stored: exactly the valid orders, once each, the later duplicate winning.
  EXPECT_EQ(cluster_->scalar("SELECT string_agg(order_uid, ',' ORDER BY order_uid) FROM orders"),
            "hostile-10000-items,hostile-dup,hostile-dup-adjacent,hostile-final,hostile-nul-extra,hostile-sql-text");
  EXPECT_EQ(cluster_->scalar("SELECT to_regclass('orders') IS NOT NULL AND to_regclass('items') IS NOT NULL"), "t");
  auto document_of = [&](const std::string& uid) {
    return json::parse(cluster_->scalar("SELECT document::text FROM orders WHERE order_uid = '" + uid + "'"));
  };
  auto served = [&](const std::string& uid) {
    auto res = get("/order/" + uid);
    EXPECT_TRUE(res) << uid;
    if (!res) return json();
    EXPECT_EQ(res->status, 200) << uid;
    return json::parse(res->body);
  };

  // 10,000 items: all rows, the document and the answer equal to the message.
  EXPECT_EQ(cluster_->scalar("SELECT count(*) FROM items WHERE order_uid = 'hostile-10000-items'"), "10000");
  EXPECT_EQ(cluster_->scalar("SELECT count(DISTINCT rid) FROM items WHERE order_uid = 'hostile-10000-items'"), "10000");
  EXPECT_EQ(document_of("hostile-10000-items"), many);
  EXPECT_EQ(served("hostile-10000-items"), many);

  // SQL and COPY escapes in text fields are data, byte for byte, in the normalized columns too.
  EXPECT_EQ(document_of("hostile-sql-text"), sql_text);
  EXPECT_EQ(served("hostile-sql-text"), sql_text);
  auto delivery = cluster_->query(
      "SELECT encode(convert_to(name, 'UTF8'), 'hex'), encode(convert_to(address, 'UTF8'), 'hex'),"
      " encode(convert_to(city, 'UTF8'), 'hex'), encode(convert_to(region, 'UTF8'), 'hex'),"
      " encode(convert_to(email, 'UTF8'), 'hex') FROM deliveries WHERE order_uid = 'hostile-sql-text'");
  ASSERT_EQ(delivery.size(), 1u);
  EXPECT_EQ(delivery[0][0], hex(sql_text["delivery"]["name"].get<std::string>()));
  EXPECT_EQ(delivery[0][1], hex(sql_text["delivery"]["address"].get<std::string>()));
  EXPECT_EQ(delivery[0][2], hex(sql_text["delivery"]["city"].get<std::string>()));
  EXPECT_EQ(delivery[0][3], hex(sql_text["delivery"]["region"].get<std::string>()));
  EXPECT_EQ(delivery[0][4], hex(sql_text["delivery"]["email"].get<std::string>()));
  EXPECT_EQ(cluster_->scalar("SELECT name IS NOT NULL AND name = E'\\\\N' AND brand = ''"
                             " FROM items WHERE order_uid = 'hostile-sql-text'"),
            "t");

  EXPECT_EQ(document_of("hostile-nul-extra"), nul_extra);
  EXPECT_EQ(served("hostile-nul-extra"), nul_extra);

  // The same uid twice: the later message, with its own items, in the database and the cache.
  EXPECT_EQ(document_of("hostile-dup"), dup_v2);
  EXPECT_EQ(served("hostile-dup"), dup_v2);
  EXPECT_EQ(cluster_->scalar("SELECT count(*) FROM items WHERE order_uid = 'hostile-dup'"),
            std::to_string(dup_v2["items"].size()));
  EXPECT_EQ(cluster_->scalar("SELECT amount FROM payments WHERE order_uid = 'hostile-dup'"),
            std::to_string(dup_v2["payment"]["amount"].get<int>()));
  EXPECT_EQ(document_of("hostile-dup-adjacent"), adj_v2);
  EXPECT_EQ(served("hostile-dup-adjacent"), adj_v2);
  EXPECT_EQ(cluster_->scalar("SELECT count(*) FROM items WHERE order_uid = 'hostile-dup-adjacent'"),
            std::to_string(adj_v2["items"].size()));

  // Every line was handled: the stored position is the end of the file.
  EXPECT_EQ(cluster_->scalar("SELECT next_offset FROM offsets"), std::to_string(lines.size()));

  // And it stops cleanly when asked.
  sluice.signal(SIGTERM);
  auto code = sluice.wait(20s);
  ASSERT_TRUE(code) << "did not stop within 20 s after SIGTERM";
  EXPECT_EQ(*code, 0) << sluice.err();
}

}  // namespace
}  // namespace sluice::test
