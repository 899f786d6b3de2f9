// The hostile messages of hostile_messages_test, and the valid orders between them. Each
// refused message names the reason and JSON pointer its dead letter must carry; the stored ones
// are compared byte for byte with what the database and GET /order give back.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sluice::test {

// A message that must be dead-lettered with `reason` at `pointer` ("" = whole message).
struct Refused {
  std::string name;
  std::string line;
  std::string reason;
  std::string pointer;
};

std::vector<Refused> refused_messages();

// Valid orders, each stored as documented (see the test's header comment).
struct StoredOrders {
  nlohmann::json many;            // 10,000 items, over the default max_bytes
  nlohmann::json sql_text;        // SQL and COPY escapes in text fields
  nlohmann::json nul_extra;       // an escaped NUL in an unknown field
  nlohmann::json dup_v1, dup_v2;  // one uid, far apart in the file: v2 wins
  nlohmann::json adj_v1, adj_v2;  // one uid, adjacent lines (often one batch): v2 wins
  nlohmann::json final_order;     // after every hostile message
};

StoredOrders stored_orders();

// The input file's lines: refused messages interleaved with the stored orders, so batches mix
// both. `refused_at` maps a line number (the source_offset of its dead letter) to its case.
struct HostileInput {
  std::vector<std::string> lines;
  std::map<std::size_t, const Refused*> refused_at;
};

HostileInput interleave(const std::vector<Refused>& refused, const StoredOrders& stored);

std::string hex(std::string_view bytes);

}  // namespace sluice::test
