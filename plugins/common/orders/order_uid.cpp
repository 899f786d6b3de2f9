#include "order_uid.hpp"

#include <array>

namespace sluice::orders {
namespace {

constexpr std::array<bool, 256> uid_alphabet = [] {
  std::array<bool, 256> table{};
  for (int c = 'a'; c <= 'z'; ++c) table[static_cast<std::size_t>(c)] = true;
  for (int c = 'A'; c <= 'Z'; ++c) table[static_cast<std::size_t>(c)] = true;
  for (int c = '0'; c <= '9'; ++c) table[static_cast<std::size_t>(c)] = true;
  table['_'] = true;
  table['-'] = true;
  return table;
}();

}  // namespace

bool is_order_uid(std::string_view uid) {
  if (uid.empty() || uid.size() > max_order_uid_length) return false;
  for (unsigned char c : uid) {
    if (!uid_alphabet[c]) return false;
  }
  return true;
}

}  // namespace sluice::orders
