#include "order_rows.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>

#include "order_schema.hpp"

namespace sluice::pg {
namespace {

using orders::FieldKind;
using orders::FieldSpec;
using simdjson::dom::element;

// Whether any byte of `word` is one of the four that COPY text must escape (the classic
// "has a zero byte" bit trick, once per character: x ^ c has a zero byte where x has c).
bool has_special_byte(std::uint64_t word) {
  constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
  auto zero_in = [&](std::uint64_t x) { return (x - ones) & ~x & highs; };
  return (zero_in(word ^ (ones * '\\')) | zero_in(word ^ (ones * '\t')) | zero_in(word ^ (ones * '\n')) |
          zero_in(word ^ (ones * '\r'))) != 0;
}

// COPY text format: backslash escapes for the four characters that would end a field or row.
// Most text has none: whole 8-byte words without one are skipped at once (the stored JSON
// document, ~800 bytes per order, made this the sink's hottest function byte by byte).
void append_text(std::string& out, std::string_view text) {
  std::size_t plain = 0;
  std::size_t i = 0;
  for (;;) {
    while (i + 8 <= text.size()) {
      std::uint64_t word;
      std::memcpy(&word, text.data() + i, 8);
      if (has_special_byte(word)) break;
      i += 8;
    }
    std::size_t stop = std::min(text.size(), i + 8);
    for (; i < stop; ++i) {
      const char* escape = nullptr;
      switch (text[i]) {
        case '\\':
          escape = "\\\\";
          break;
        case '\t':
          escape = "\\t";
          break;
        case '\n':
          escape = "\\n";
          break;
        case '\r':
          escape = "\\r";
          break;
        default:
          continue;
      }
      out.append(text.data() + plain, i - plain);
      out.append(escape);
      plain = i + 1;
    }
    if (i >= text.size()) break;
  }
  out.append(text.data() + plain, text.size() - plain);
}

void append_integer(std::string& out, std::int64_t value) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}

void append_scalar(std::string& out, element value, FieldKind kind) {
  out += '\t';
  if (kind == FieldKind::integer || kind == FieldKind::money) {
    append_integer(out, value.get_int64().value_unsafe());
  } else {
    append_text(out, value.get_string().value_unsafe());
  }
}

void append_fields(std::string& out, element object, std::span<const FieldSpec> fields) {
  for (const FieldSpec& spec : fields) append_scalar(out, object.at_key(spec.name).value_unsafe(), spec.kind);
}

// bigint's 19 digits; leading zeros are fine for COPY's integer input.
constexpr std::size_t version_width = 19;

// `version` as exactly version_width digits, zero-padded (versions are never negative).
void write_version(char* at, std::int64_t version) {
  for (std::size_t i = version_width; i-- > 0;) {
    at[i] = static_cast<char>('0' + version % 10);
    version /= 10;
  }
}

bool is_scalar(FieldKind kind) { return kind != FieldKind::object && kind != FieldKind::items; }

std::string column_list(std::string_view first, std::span<const FieldSpec> fields, bool scalars_only) {
  std::string out(first);
  for (const FieldSpec& spec : fields) {
    if (scalars_only && !is_scalar(spec.kind)) continue;
    out += ", ";
    out += spec.name;
  }
  return out;
}

std::span<const FieldSpec> children_of(std::string_view name) {
  for (const FieldSpec& spec : orders::order_fields) {
    if (spec.name == name) return spec.children;
  }
  return {};
}

}  // namespace

RowSpan OrderRows::append(element order, std::string_view document, const Record& source) {
  RowSpan span{};
  for (OrderTable table : all_order_tables) span.begin[index(table)] = buffers_[index(table)].size();
  std::string_view uid = order.at_key("order_uid").get_string().value_unsafe();

  std::string& orders_out = buffers_[index(OrderTable::orders)];
  append_text(orders_out, uid);
  for (const FieldSpec& spec : orders::order_fields) {
    if (spec.kind == FieldKind::order_uid) continue;
    if (is_scalar(spec.kind)) {
      append_scalar(orders_out, order.at_key(spec.name).value_unsafe(), spec.kind);
    }
  }
  orders_out += '\t';
  append_text(orders_out, document);
  orders_out += '\t';
  append_text(orders_out, source.stream);
  orders_out += '\t';
  append_integer(orders_out, source.partition);
  orders_out += '\t';
  if (source.offset >= 0) {
    append_integer(orders_out, source.offset);
  } else {
    orders_out += "\\N";
  }
  orders_out += '\t';
  span.version_at = orders_out.size();
  version_slots_.push_back(span.version_at);
  orders_out.append(version_width, '0');
  orders_out += '\n';

  for (auto [table, field] :
       {std::pair{OrderTable::deliveries, "delivery"}, std::pair{OrderTable::payments, "payment"}}) {
    std::string& out = buffers_[index(table)];
    append_text(out, uid);
    append_fields(out, order.at_key(field).value_unsafe(), children_of(field));
    out += '\n';
  }

  std::string& items_out = buffers_[index(OrderTable::items)];
  std::int64_t item_index = 0;
  simdjson::dom::array items = order.at_key("items").get_array().value_unsafe();
  for (element item : items) {
    append_text(items_out, uid);
    items_out += '\t';
    append_integer(items_out, item_index++);
    append_fields(items_out, item, orders::item_fields);
    items_out += '\n';
  }
  for (OrderTable table : all_order_tables) span.end[index(table)] = buffers_[index(table)].size();
  return span;
}

void OrderRows::set_version(const RowSpan& span, std::int64_t version) {
  write_version(buffers_[index(OrderTable::orders)].data() + span.version_at, version);
}

void OrderRows::set_all_versions(std::int64_t version) {
  char digits[version_width];
  write_version(digits, version);
  char* orders = buffers_[index(OrderTable::orders)].data();
  for (std::size_t at : version_slots_) std::memcpy(orders + at, digits, version_width);
}

void OrderRows::clear() {
  for (std::string& buffer : buffers_) buffer.clear();
  version_slots_.clear();
}

std::string_view OrderRows::slice(OrderTable table, const RowSpan& span) const {
  const std::string& buffer = buffers_[index(table)];
  return std::string_view(buffer).substr(span.begin[index(table)], span.end[index(table)] - span.begin[index(table)]);
}

const char* OrderRows::table_name(OrderTable table) {
  static const char* names[] = {"orders", "deliveries", "payments", "items"};
  return names[index(table)];
}

const std::string& OrderRows::copy_statement(OrderTable table) {
  static const std::string statements[] = {
      "COPY orders (" + column_list("order_uid", std::span(orders::order_fields).subspan(1), true) +
          ", document, source_stream, source_partition, source_offset, version) FROM STDIN",
      "COPY deliveries (" + column_list("order_uid", orders::delivery_fields, false) + ") FROM STDIN",
      "COPY payments (" + column_list("order_uid", orders::payment_fields, false) + ") FROM STDIN",
      "COPY items (" + column_list("order_uid, item_index", orders::item_fields, false) + ") FROM STDIN",
  };
  return statements[index(table)];
}

std::string OrderRows::pointer_of(std::string_view table, std::string_view column, long row) {
  auto has = [&](std::span<const FieldSpec> fields) {
    for (const FieldSpec& spec : fields) {
      if (spec.name == column) return true;
    }
    return false;
  };
  // One constructor call, no chained operator+ or assign: GCC 12 reports a false
  // -Wrestrict on those at -O2.
  std::string_view prefix;
  std::string index;
  if (table == "orders" && has(orders::order_fields)) {
    prefix = "/";
  } else if (table == "deliveries" && has(orders::delivery_fields)) {
    prefix = "/delivery/";
  } else if (table == "payments" && has(orders::payment_fields)) {
    prefix = "/payment/";
  } else if (table == "items" && has(orders::item_fields)) {
    prefix = "/items/";
    index = std::to_string(row > 0 ? row - 1 : 0) + '/';
  } else {
    return {};
  }
  std::string out(prefix.size() + index.size() + column.size(), '\0');
  prefix.copy(out.data(), prefix.size());
  index.copy(out.data() + prefix.size(), index.size());
  column.copy(out.data() + prefix.size() + index.size(), column.size());
  return out;
}

}  // namespace sluice::pg
