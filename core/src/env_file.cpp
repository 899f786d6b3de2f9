#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include "env.hpp"

namespace sluice {
namespace {

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

// Unquotes a value: "double" (with \n, \", \\ escapes), 'single' (literal), or bare with
// an optional trailing " # comment".
std::string parse_value(const std::string& raw, bool& ok) {
  ok = true;
  if (raw.empty()) return {};
  if (raw.front() == '"' || raw.front() == '\'') {
    char quote = raw.front();
    std::string out;
    for (std::size_t i = 1; i < raw.size(); ++i) {
      char c = raw[i];
      if (c == quote) return out;
      if (quote == '"' && c == '\\' && i + 1 < raw.size()) {
        char n = raw[++i];
        out += n == 'n' ? '\n' : n;
        continue;
      }
      out += c;
    }
    ok = false;  // unterminated quote
    return {};
  }
  auto hash = raw.find(" #");
  return trim(hash == std::string::npos ? raw : raw.substr(0, hash));
}

}  // namespace

void Environment::load_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path.string() + ": cannot read env file");
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::string text = trim(line);
    if (text.empty() || text.front() == '#') continue;
    if (text.rfind("export ", 0) == 0) text = trim(text.substr(7));
    auto eq = text.find('=');
    std::string key = eq == std::string::npos ? std::string{} : trim(text.substr(0, eq));
    bool ok = !key.empty();
    std::string value = ok ? parse_value(trim(text.substr(eq + 1)), ok) : std::string{};
    if (!ok) {
      throw std::runtime_error(path.string() + ":" + std::to_string(number) + ": expected KEY=VALUE, got '" + text +
                               "'");
    }
    file_values_[key] = value;
  }
}

std::optional<std::string> Environment::lookup(const std::string& name) const {
  if (auto it = overrides_.find(name); it != overrides_.end()) return it->second;
  if (const char* v = std::getenv(name.c_str())) return std::string(v);
  if (auto it = file_values_.find(name); it != file_values_.end()) return it->second;
  return std::nullopt;
}

}  // namespace sluice
