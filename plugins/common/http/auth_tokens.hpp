// The API tokens and what they allow. Tokens never live in the pipeline file (it is shown,
// diffed and committed): they come from a tokens file and/or an environment variable, read at
// start(). Presented tokens are checked in constant time, so response timing tells an attacker
// nothing about how much of a guess was right, nor which configured token it was close to.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::http {

enum class Role { none, read, admin };  // ordered: admin implies read

// Shorter tokens are refused: 16 random characters are the least that resists guessing at
// the failure rate the limiter allows.
inline constexpr std::size_t min_token_length = 16;

class TokenSet {
 public:
  using Digest = std::array<unsigned char, 32>;  // SHA-256

  // Parses a tokens file's text: `<role> <token>` a line, blank lines and `#` comments
  // ignored. Throws ConfigError("tokens_file", ...) naming `source` and the line number for a
  // malformed line; the message never contains the token text (it ends up in logs).
  void add_file_text(std::string_view text, const std::string& source);
  // Parses `role:token,role:token` (an environment variable's value); errors name `source`
  // and the item's position, never its token.
  void add_list(std::string_view text, const std::string& source);
  void add(Role role, std::string_view token);

  // The role of the matching token, Role::none if none matches. Every configured token is
  // compared (digests with CRYPTO_memcmp), without stopping at the first match.
  Role match(std::string_view presented) const;

  bool empty() const { return entries_.empty(); }
  bool has_admin() const;
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    Role role;
    Digest digest;
  };
  std::vector<Entry> entries_;
};

std::optional<Role> parse_role(std::string_view text);
TokenSet::Digest sha256(std::string_view text);

// `Authorization: Bearer <token>` -> the token; nullopt when the header is malformed.
std::optional<std::string_view> bearer_token(std::string_view authorization);

}  // namespace sluice::http
