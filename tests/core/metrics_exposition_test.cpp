// The /metrics text of a populated registry, read back by a strict parser of the Prometheus text
// format 0.0.4: every line must parse, and the samples must carry the values put in. It checks
// meaning, not spelling (number formatting and label order are the library's business), so it
// held for the hand-written exposition and holds for prometheus-cpp's.
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "sluice/metrics.hpp"

namespace sluice {
namespace {

using LabelMap = std::map<std::string, std::string>;

struct Exposition {
  std::map<std::string, std::string> help;  // family -> HELP text
  std::map<std::string, std::string> type;  // family -> TYPE
  std::map<std::pair<std::string, LabelMap>, double> samples;
  std::vector<std::string> bad_lines;

  double at(const std::string& name, const LabelMap& labels = {}) const {
    auto it = samples.find({name, labels});
    return it == samples.end() ? NAN : it->second;
  }
  bool has(const std::string& name, const LabelMap& labels = {}) const { return samples.count({name, labels}) > 0; }
};

bool is_name_char(char c, bool first) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':' ||
         (!first && std::isdigit(static_cast<unsigned char>(c)));
}

// Reads `{k="v",...}` at `at`, undoing the format's three escapes. False on anything else.
bool parse_labels(const std::string& line, std::size_t& at, LabelMap& out) {
  if (line[at] != '{') return true;
  ++at;
  while (at < line.size() && line[at] != '}') {
    std::size_t start = at;
    while (at < line.size() && is_name_char(line[at], at == start)) ++at;
    if (at == start || at + 1 >= line.size() || line[at] != '=' || line[at + 1] != '"') return false;
    std::string key = line.substr(start, at - start), value;
    at += 2;
    for (;; ++at) {
      if (at >= line.size()) return false;
      char c = line[at];
      if (c == '"') break;
      if (c == '\\') {
        if (++at >= line.size()) return false;
        char e = line[at];
        if (e == 'n')
          value += '\n';
        else if (e == '\\' || e == '"')
          value += e;
        else
          return false;
      } else {
        value += c;
      }
    }
    ++at;                                               // closing quote
    if (!out.emplace(key, value).second) return false;  // a label name twice
    if (at < line.size() && line[at] == ',') ++at;
  }
  if (at >= line.size()) return false;
  ++at;  // '}'
  return true;
}

double parse_value(const std::string& text) {
  if (text == "+Inf") return INFINITY;
  if (text == "-Inf") return -INFINITY;
  std::size_t used = 0;
  double v = std::stod(text, &used);
  if (used != text.size()) throw std::invalid_argument(text);
  return v;
}

Exposition parse(const std::string& text) {
  Exposition e;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      std::string rest = line.substr(7);
      std::size_t space = rest.find(' ');
      std::string name = rest.substr(0, space);
      std::string what = space == std::string::npos ? "" : rest.substr(space + 1);
      (line[2] == 'H' ? e.help : e.type)[name] = what;
      continue;
    }
    std::size_t at = 0;
    while (at < line.size() && is_name_char(line[at], at == 0)) ++at;
    std::string name = line.substr(0, at);
    LabelMap labels;
    if (name.empty() || at >= line.size() || !parse_labels(line, at, labels) || at >= line.size() || line[at] != ' ') {
      e.bad_lines.push_back(line);
      continue;
    }
    try {
      e.samples[{name, labels}] = parse_value(line.substr(at + 1));
    } catch (const std::exception&) {
      e.bad_lines.push_back(line);
    }
  }
  return e;
}

// The `le` bound as the parser read it: "0.1" and "0.10000000000000001" are the same bucket.
double bucket(const Exposition& e, const std::string& name, LabelMap labels, double le) {
  for (const auto& [key, value] : e.samples) {
    if (key.first != name + "_bucket") continue;
    LabelMap rest = key.second;
    auto l = rest.find("le");
    if (l == rest.end() || parse_value(l->second) != le) continue;
    rest.erase(l);
    if (rest == labels) return value;
  }
  return NAN;
}

TEST(MetricsExposition, EveryLineParsesAndCarriesItsValue) {
  Metrics m;
  const std::string quote = "bad \"json\"", backslash = "C:\\orders\\", newline = "two\nlines";
  m.counter("sluice_t_invalid_total", "Invalid things", {{"reason", quote}}).inc(3);
  m.counter("sluice_t_invalid_total", "Invalid things", {{"reason", backslash}}).inc(4);
  m.counter("sluice_t_invalid_total", "Invalid things", {{"reason", newline}}).inc(5);
  auto& plain = m.counter("sluice_t_consumed_total", "Consumed things");
  for (int i = 0; i < 7; ++i) plain.inc();
  m.counter("sluice_t_big_total", "A big count").inc(123456789012ull);
  auto& g = m.gauge("sluice_t_level", "A level");
  g.set(1.5);
  g.add(-0.25);
  m.gauge("sluice_t_lag", "Lag", {{"topic", "orders"}, {"partition", "3"}}).set(42);
  auto& h = m.histogram("sluice_t_seconds", "Latency", {0.1, 1, 10}, {{"route", "order"}});
  for (double v : {0.05, 0.5, 0.5, 50.0}) h.observe(v);

  const std::string text = m.render();
  Exposition e = parse(text);
  EXPECT_TRUE(e.bad_lines.empty()) << "unparsable: " << e.bad_lines.front() << "\n" << text;

  EXPECT_EQ(e.type["sluice_t_invalid_total"], "counter");
  EXPECT_EQ(e.help["sluice_t_invalid_total"], "Invalid things");
  EXPECT_EQ(e.type["sluice_t_level"], "gauge");
  EXPECT_EQ(e.type["sluice_t_seconds"], "histogram");
  EXPECT_EQ(e.help["sluice_t_seconds"], "Latency");

  EXPECT_EQ(e.at("sluice_t_invalid_total", {{"reason", quote}}), 3) << text;
  EXPECT_EQ(e.at("sluice_t_invalid_total", {{"reason", backslash}}), 4) << text;
  EXPECT_EQ(e.at("sluice_t_invalid_total", {{"reason", newline}}), 5) << text;
  EXPECT_EQ(e.at("sluice_t_consumed_total"), 7) << text;
  EXPECT_EQ(e.at("sluice_t_big_total"), 123456789012.0) << text;
  EXPECT_EQ(e.at("sluice_t_level"), 1.25) << text;
  EXPECT_EQ(e.at("sluice_t_lag", {{"topic", "orders"}, {"partition", "3"}}), 42) << text;

  // Buckets are cumulative; +Inf equals the count.
  EXPECT_EQ(bucket(e, "sluice_t_seconds", {{"route", "order"}}, 0.1), 1) << text;
  EXPECT_EQ(bucket(e, "sluice_t_seconds", {{"route", "order"}}, 1), 3) << text;
  EXPECT_EQ(bucket(e, "sluice_t_seconds", {{"route", "order"}}, 10), 3) << text;
  EXPECT_EQ(bucket(e, "sluice_t_seconds", {{"route", "order"}}, INFINITY), 4) << text;
  EXPECT_DOUBLE_EQ(e.at("sluice_t_seconds_sum", {{"route", "order"}}), 51.05) << text;
  EXPECT_EQ(e.at("sluice_t_seconds_count", {{"route", "order"}}), 4) << text;

  // 3 + 1 + 1 + 1 + 1 + (4 buckets + sum + count) samples, nothing else.
  EXPECT_EQ(e.samples.size(), 13u) << text;
}

TEST(MetricsExposition, ApiReadsBackWhatItWrote) {
  Metrics m;
  auto& c = m.counter("sluice_t_total", "h", {{"a", "x"}});
  c.inc(2);
  EXPECT_EQ(c.value(), 2u);
  EXPECT_EQ(&c, &m.counter("sluice_t_total", "h", {{"a", "x"}}));
  auto& g = m.gauge("sluice_t_gauge", "h", {{"p", "1"}});
  g.set(3);
  g.add(0.5);
  EXPECT_EQ(g.value(), 3.5);
  EXPECT_EQ(m.gauge_value("sluice_t_gauge", {{"p", "1"}}), 3.5);
  EXPECT_EQ(m.gauge_value("sluice_t_gauge", {{"p", "2"}}), std::nullopt);
  EXPECT_EQ(m.gauge_value("sluice_t_nothing", {}), std::nullopt);
  auto& h = m.histogram("sluice_t_h", "h", {1, 0.5});  // unsorted bounds are sorted
  h.observe(0.25);
  h.observe(0.75);
  h.observe(2);
  EXPECT_EQ(h.bounds(), (std::vector<double>{0.5, 1}));
  EXPECT_EQ(h.buckets(), (std::vector<std::uint64_t>{1, 1, 1}));
  EXPECT_EQ(h.count(), 3u);
  EXPECT_DOUBLE_EQ(h.sum(), 3);
  EXPECT_TRUE(m.remove("sluice_t_gauge", {{"p", "1"}}));
  EXPECT_EQ(m.gauge_value("sluice_t_gauge", {{"p", "1"}}), std::nullopt);
  EXPECT_FALSE(parse(m.render()).has("sluice_t_gauge", {{"p", "1"}}));
}

}  // namespace
}  // namespace sluice
