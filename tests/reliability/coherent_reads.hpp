// What the coherence tests (README.md, "Coherent reads across instances") read off the REST api of
// a running instance: which version of an order it served, and a few figures from its /metrics.
#pragma once

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "default_pipeline.hpp"

namespace sluice::test {

// The version `sluice publish --order-version V` marked the order with (track_number
// "...-vV"), 0 when unmarked, -1 when the reply is no order.
inline long long published_version(const HttpReply& reply) {
  if (reply.status != 200) return -1;
  try {
    std::string track = nlohmann::json::parse(reply.body).at("track_number").get<std::string>();
    auto at = track.rfind("-v");
    return at == std::string::npos ? 0 : std::stoll(track.substr(at + 2));
  } catch (const std::exception&) {
    return -1;
  }
}

// The value of one Prometheus sample line ("name value" or "name{labels} value"), 0 if absent.
inline double metric_value(const std::string& text, const std::string& series) {
  auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return 0;
  return std::strtod(text.c_str() + at + series.size() + 2, nullptr);
}

// The upper bound of the histogram bucket holding quantile `q` (e.g. 0.99) of `name`, from
// its cumulative `_bucket{le="..."}` lines; -1 without samples.
inline double histogram_quantile(const std::string& text, const std::string& name, double q) {
  const double count = metric_value(text, name + "_count");
  if (count <= 0) return -1;
  const std::string prefix = "\n" + name + "_bucket{le=\"";
  for (auto at = text.find(prefix); at != std::string::npos; at = text.find(prefix, at + 1)) {
    auto le_end = text.find('"', at + prefix.size());
    std::string le = text.substr(at + prefix.size(), le_end - at - prefix.size());
    double cumulative = std::strtod(text.c_str() + text.find(' ', le_end) + 1, nullptr);
    if (cumulative >= q * count) return le == "+Inf" ? 1e9 : std::strtod(le.c_str(), nullptr);
  }
  return -1;
}

}  // namespace sluice::test
