// The shape of an order as data: one table drives both the validator and the
// postgres sink's column lists, so the rules and the normalized tables cannot drift apart.
#pragma once

#include <span>
#include <string_view>

#include "order_uid.hpp"  // max_order_uid_length

namespace sluice::orders {

enum class FieldKind {
  text,       // a JSON string (shardkey and oof_shard too: strings stay strings)
  integer,    // a JSON integer that fits in int64 (no fraction, no exponent)
  money,      // an integer >= 0, in minor units
  timestamp,  // an RFC 3339 date-time string
  order_uid,  // 1..64 characters of [A-Za-z0-9_-]
  object,     // a nested object with its own fields
  items,      // a non-empty array of objects with their own fields
};

struct FieldSpec {
  std::string_view name;
  FieldKind kind;
  std::span<const FieldSpec> children = {};
};

inline constexpr FieldSpec delivery_fields[] = {
    {"name", FieldKind::text},    {"phone", FieldKind::text},  {"zip", FieldKind::text},   {"city", FieldKind::text},
    {"address", FieldKind::text}, {"region", FieldKind::text}, {"email", FieldKind::text},
};

inline constexpr FieldSpec payment_fields[] = {
    {"transaction", FieldKind::text}, {"request_id", FieldKind::text},     {"currency", FieldKind::text},
    {"provider", FieldKind::text},    {"amount", FieldKind::money},        {"payment_dt", FieldKind::integer},
    {"bank", FieldKind::text},        {"delivery_cost", FieldKind::money}, {"goods_total", FieldKind::money},
    {"custom_fee", FieldKind::money},
};

inline constexpr FieldSpec item_fields[] = {
    {"chrt_id", FieldKind::integer}, {"track_number", FieldKind::text}, {"price", FieldKind::money},
    {"rid", FieldKind::text},        {"name", FieldKind::text},         {"sale", FieldKind::integer},
    {"size", FieldKind::text},       {"total_price", FieldKind::money}, {"nm_id", FieldKind::integer},
    {"brand", FieldKind::text},      {"status", FieldKind::integer},
};

// Top level, in the order fields are checked (the first bad one is reported).
inline constexpr FieldSpec order_fields[] = {
    {"order_uid", FieldKind::order_uid},
    {"track_number", FieldKind::text},
    {"entry", FieldKind::text},
    {"delivery", FieldKind::object, delivery_fields},
    {"payment", FieldKind::object, payment_fields},
    {"items", FieldKind::items, item_fields},
    {"locale", FieldKind::text},
    {"internal_signature", FieldKind::text},
    {"customer_id", FieldKind::text},
    {"delivery_service", FieldKind::text},
    {"shardkey", FieldKind::text},
    {"sm_id", FieldKind::integer},
    {"date_created", FieldKind::timestamp},
    {"oof_shard", FieldKind::text},
};

}  // namespace sluice::orders
