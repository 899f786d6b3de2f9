// Reads Prometheus text format (GET /metrics) well enough for tests: sums the samples of one
// metric whose labels include the given ones.
#pragma once

#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace sluice::test {

class MetricsText {
 public:
  MetricsText() = default;
  explicit MetricsText(const std::string& text) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      Sample sample;
      std::size_t name_end = line.find_first_of("{ ");
      if (name_end == std::string::npos) continue;
      sample.name = line.substr(0, name_end);
      std::size_t value_at = name_end;
      if (line[name_end] == '{') {
        std::size_t close = line.find('}', name_end);
        if (close == std::string::npos) continue;
        parse_labels(line.substr(name_end + 1, close - name_end - 1), sample.labels);
        value_at = close + 1;
      }
      try {
        sample.value = std::stod(line.substr(value_at));
      } catch (...) {
        continue;
      }
      samples_.push_back(std::move(sample));
    }
  }

  double sum(const std::string& name, const std::map<std::string, std::string>& labels = {}) const {
    double total = 0;
    for (const auto& s : samples_) {
      if (s.name != name) continue;
      bool match = true;
      for (const auto& [k, v] : labels) {
        auto it = s.labels.find(k);
        if (it == s.labels.end() || it->second != v) match = false;
      }
      if (match) total += s.value;
    }
    return total;
  }

 private:
  struct Sample {
    std::string name;
    std::map<std::string, std::string> labels;
    double value = 0;
  };

  // name="value",name2="value2" (no escaped quotes in the labels tests look at).
  static void parse_labels(const std::string& text, std::map<std::string, std::string>& out) {
    std::size_t at = 0;
    while (at < text.size()) {
      std::size_t eq = text.find('=', at);
      if (eq == std::string::npos || eq + 1 >= text.size() || text[eq + 1] != '"') return;
      std::size_t end = text.find('"', eq + 2);
      if (end == std::string::npos) return;
      out[text.substr(at, eq - at)] = text.substr(eq + 2, end - eq - 2);
      at = end + 1;
      if (at < text.size() && text[at] == ',') ++at;
    }
  }

  std::vector<Sample> samples_;
};

}  // namespace sluice::test
