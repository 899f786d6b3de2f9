#include "hostile_corpus.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "support/order_samples.hpp"

namespace sluice::test {

using nlohmann::json;

namespace {

std::string compact(const json& order) { return order.dump(); }

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

}  // namespace

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

std::vector<Refused> refused_messages() {
  const std::string model = compact(order("hostile-model"));
  std::vector<Refused> refused;
  refused.push_back({"truncated JSON", model.substr(0, model.size() - 20), "invalid_json", ""});
  refused.push_back({"truncated to one byte", "{", "invalid_json", ""});
  refused.push_back({"invalid UTF-8 (bare continuation)", replace_once(model, "Test Testov", "Test \xC3\x28 Testov"),
                     "invalid_utf8", ""});
  refused.push_back(
      {"invalid UTF-8 (overlong '/')", replace_once(model, "Kiryat", "Ki\xC0\xAFryat"), "invalid_utf8", ""});
  refused.push_back(
      {"invalid UTF-8 (encoded surrogate)", replace_once(model, "Kraiot", "Kr\xED\xA0\x80iot"), "invalid_utf8", ""});
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
    refused.push_back({"lone UTF-16 surrogate escape", replace_once(compact(o), "Test Testov", "Test \\ud800 Testov"),
                       "invalid_json", ""});
    o = order("hostile-dupkey");
    std::string text = compact(o);
    text.pop_back();
    text += ",\"order_uid\":\"hostile-other\"}";
    refused.push_back({"order_uid named twice", text, "duplicate_key", "/order_uid"});
  }

  return refused;
}

StoredOrders stored_orders() {
  StoredOrders s;
  json& many = s.many;
  many = order("hostile-10000-items");
  many["items"] = json::array();
  for (int i = 0; i < 10000; ++i) {
    many["items"].push_back({{"chrt_id", i},
                             {"track_number", "T"},
                             {"price", i % 500},
                             {"rid", "r" + std::to_string(i)},
                             {"name", "n"},
                             {"sale", 0},
                             {"size", "0"},
                             {"total_price", i % 500},
                             {"nm_id", i},
                             {"brand", "b"},
                             {"status", 202}});
  }
  EXPECT_LT(compact(many).size(), 1900000u);
  EXPECT_GT(compact(many).size(), 1u << 20) << "must be over the default max_bytes to show why it is raised";

  json& sql_text = s.sql_text;
  sql_text = order("hostile-sql-text");
  sql_text["delivery"]["name"] = "x');DROP TABLE orders;--";
  sql_text["delivery"]["address"] = "tab\there back\\slash \\. newline\nend\r";
  sql_text["delivery"]["city"] = "\\.";
  sql_text["delivery"]["region"] =
      "\xC3\x9Cn\xC3\xAF"
      "c\xC3\xB8"
      "d\xC3\xA9 \xF0\x9F\x98\x80 \xE4\xB8\xAD\xE6\x96\x87";
  sql_text["delivery"]["email"] = "'; COPY orders TO '/tmp/x'; --";
  sql_text["items"][0]["name"] = "\\N";
  sql_text["items"][0]["brand"] = "";

  // Unknown fields are kept as sent (allow_unknown_fields: true); only the order's own fields
  // are checked for NUL, so an escaped NUL in an extra field is stored (the document column is
  // json, which keeps the text; jsonb would refuse it).
  json& nul_extra = s.nul_extra;
  nul_extra = order("hostile-nul-extra");
  nul_extra["note"] = std::string("a\0b", 3);

  s.dup_v1 = make_order("hostile-dup", 0);  // one item
  s.dup_v2 = make_order("hostile-dup", 2);  // three items, other amounts
  s.adj_v1 = make_order("hostile-dup-adjacent", 1);
  s.adj_v2 = make_order("hostile-dup-adjacent", 5);
  s.final_order = order("hostile-final");
  return s;
}

HostileInput interleave(const std::vector<Refused>& refused, const StoredOrders& s) {
  HostileInput input;
  auto& lines = input.lines;
  lines.push_back(compact(s.dup_v1));
  for (std::size_t i = 0; i < refused.size(); ++i) {
    if (i == 5) lines.push_back(compact(s.many));
    if (i == 10) lines.push_back(compact(s.sql_text));
    if (i == 12) lines.push_back(compact(s.nul_extra));
    if (i == 15) {
      lines.push_back(compact(s.adj_v1));
      lines.push_back(compact(s.adj_v2));
    }
    input.refused_at[lines.size()] = &refused[i];
    lines.push_back(refused[i].line);
  }
  lines.push_back(compact(s.dup_v2));
  lines.push_back(compact(s.final_order));
  return input;
}

}  // namespace sluice::test
