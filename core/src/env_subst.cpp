#include <cctype>
#include <stdexcept>

#include "env.hpp"

namespace sluice {

std::string expand_variables(std::string_view text, const Environment& env, std::size_t& error_offset) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c != '$' || i + 1 >= text.size()) {
      out += c;
      continue;
    }
    if (text[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    if (text[i + 1] != '{') {
      out += c;
      continue;
    }
    auto close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      error_offset = i;
      throw std::invalid_argument("unterminated '${' (expected ${NAME}, ${NAME:-default} or ${NAME:?message})");
    }
    std::string_view inner = text.substr(i + 2, close - i - 2);
    // ${NAME:-default} or ${NAME:?message}, whichever operator comes first.
    auto sep = inner.find(':');
    if (sep != std::string_view::npos &&
        (sep + 1 >= inner.size() || (inner[sep + 1] != '-' && inner[sep + 1] != '?'))) {
      sep = std::string_view::npos;  // not an operator: the name check below rejects the ':'
    }
    const bool required = sep != std::string_view::npos && inner[sep + 1] == '?';
    std::string name(inner.substr(0, sep));
    bool valid_name = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0]));
    for (char n : name) valid_name = valid_name && (std::isalnum(static_cast<unsigned char>(n)) || n == '_');
    if (!valid_name) {
      error_offset = i;
      throw std::invalid_argument("invalid variable name '" + name + "' in '${" + std::string(inner) + "}'");
    }
    auto value = env.lookup(name);
    if (required) {
      // Like the shell: unset or empty stops here, with the pipeline author's message.
      if (!value || value->empty()) {
        error_offset = i;
        std::string message(inner.substr(sep + 2));
        throw std::invalid_argument("environment variable '" + name + "' is " + (value ? "empty" : "not set") +
                                    (message.empty() ? std::string() : ": " + message));
      }
      out += *value;
    } else if (sep != std::string_view::npos) {
      out += value && !value->empty() ? *value : std::string(inner.substr(sep + 2));
    } else if (value) {
      out += *value;
    } else {
      error_offset = i;
      throw std::invalid_argument("environment variable '" + name +
                                  "' is not set (set it, add it to .env, or write ${" + name + ":-default})");
    }
    i = close;
  }
  return out;
}

}  // namespace sluice
