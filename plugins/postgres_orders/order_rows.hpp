// Turns checked orders into COPY text-format rows for the normalized tables (orders,
// deliveries, payments, items). The column lists come from the order schema, so the rows,
// the COPY statements and the validator agree by construction.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/record.hpp"

namespace sluice::pg {

enum class OrderTable { orders, deliveries, payments, items };
inline constexpr OrderTable all_order_tables[] = {OrderTable::orders, OrderTable::deliveries, OrderTable::payments,
                                                  OrderTable::items};

// Where one order's rows sit in the batch buffers, so a single order can be replayed alone.
struct RowSpan {
  std::size_t begin[4];
  std::size_t end[4];
  std::size_t version_at;  // where its version placeholder sits in the orders buffer
};

class OrderRows {
 public:
  // Appends the rows of one checked order; `document` is the text stored verbatim.
  RowSpan append(simdjson::dom::element order, std::string_view document, const Record& source);
  // The version is only known inside the batch transaction (after its DELETE), while rows
  // are built before it: each orders row ends with a fixed-width placeholder that these
  // overwrite in place, so no row is built twice and the COPY stays a plain COPY.
  void set_version(const RowSpan& span, std::int64_t version);
  void set_all_versions(std::int64_t version);
  void clear();
  bool empty() const { return buffers_[0].empty(); }
  std::string_view all(OrderTable table) const { return buffers_[index(table)]; }
  std::string_view slice(OrderTable table, const RowSpan& span) const;

  static const std::string& copy_statement(OrderTable table);
  static const char* table_name(OrderTable table);
  // The JSON pointer a (table, column) of one order maps to, or "" if none; `row` is the
  // 1-based row within that order's slice (items only).
  static std::string pointer_of(std::string_view table, std::string_view column, long row);

 private:
  static std::size_t index(OrderTable table) { return static_cast<std::size_t>(table); }
  std::string buffers_[4];
  std::vector<std::size_t> version_slots_;  // every placeholder in the orders buffer
};

}  // namespace sluice::pg
