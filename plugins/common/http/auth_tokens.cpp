#include "auth_tokens.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <stdexcept>

#include "sluice/status.hpp"

namespace sluice::http {

namespace {

constexpr std::string_view blanks = " \t\r";

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(blanks);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(blanks) - first + 1);
}

// Checked before a token is stored, with a message that locates it and never quotes it.
void check_token(std::string_view token, const std::string& where) {
  if (token.size() < min_token_length) {
    throw ConfigError("tokens_file",
                      where + ": token shorter than " + std::to_string(min_token_length) + " characters");
  }
  if (token.find_first_of(" \t,") != std::string_view::npos) {
    throw ConfigError("tokens_file", where + ": token contains a blank or a comma");
  }
}

Role role_or_throw(std::string_view text, const std::string& where) {
  if (auto role = parse_role(text)) return *role;
  // The role is not secret, but a line with the fields swapped has the token here: do not echo.
  throw ConfigError("tokens_file", where + ": unknown role (expected read or admin)");
}

}  // namespace

std::optional<Role> parse_role(std::string_view text) {
  if (text == "read") return Role::read;
  if (text == "admin") return Role::admin;
  return std::nullopt;
}

TokenSet::Digest sha256(std::string_view text) {
  TokenSet::Digest digest{};
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1 ||
      length != digest.size()) {
    throw std::runtime_error("SHA-256 failed (OpenSSL)");
  }
  return digest;
}

void TokenSet::add(Role role, std::string_view token) { entries_.push_back({role, sha256(token)}); }

void TokenSet::add_file_text(std::string_view text, const std::string& source) {
  std::size_t number = 0;
  while (!text.empty()) {
    const auto end = text.find('\n');
    const std::string_view raw = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++number;
    const std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    const std::string where = source + ":" + std::to_string(number);
    const auto gap = line.find_first_of(" \t");
    if (gap == std::string_view::npos) {
      throw ConfigError("tokens_file", where + ": expected `<role> <token>`");
    }
    const Role role = role_or_throw(line.substr(0, gap), where);
    const std::string_view token = trim(line.substr(gap));
    check_token(token, where);
    add(role, token);
  }
}

void TokenSet::add_list(std::string_view text, const std::string& source) {
  std::size_t number = 0;
  while (!text.empty()) {
    const auto end = text.find(',');
    const std::string_view item = trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++number;
    if (item.empty()) continue;
    const std::string where = source + " item " + std::to_string(number);
    const auto colon = item.find(':');
    if (colon == std::string_view::npos) throw ConfigError("tokens_env", where + ": expected role:token");
    const Role role = role_or_throw(item.substr(0, colon), where);
    const std::string_view token = item.substr(colon + 1);
    check_token(token, where);
    add(role, token);
  }
}

Role TokenSet::match(std::string_view presented) const {
  const Digest digest = sha256(presented);
  // No early exit and no data-dependent branch: the time depends only on how many tokens are
  // configured. Comparing digests (not the tokens) also hides the tokens' lengths.
  int best = 0;
  for (const auto& entry : entries_) {
    const int equal = CRYPTO_memcmp(digest.data(), entry.digest.data(), digest.size()) == 0;
    const int value = static_cast<int>(entry.role) * equal;
    best = best > value ? best : value;
  }
  return static_cast<Role>(best);
}

bool TokenSet::has_admin() const {
  for (const auto& entry : entries_) {
    if (entry.role == Role::admin) return true;
  }
  return false;
}

std::optional<std::string_view> bearer_token(std::string_view authorization) {
  constexpr std::string_view scheme = "bearer ";
  authorization = trim(authorization);
  if (authorization.size() <= scheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < scheme.size(); ++i) {  // the scheme is case-insensitive (RFC 9110)
    const char c = authorization[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) != scheme[i]) return std::nullopt;
  }
  const std::string_view token = trim(authorization.substr(scheme.size()));
  if (token.empty() || token.find_first_of(" \t,") != std::string_view::npos) return std::nullopt;
  return token;
}

}  // namespace sluice::http
