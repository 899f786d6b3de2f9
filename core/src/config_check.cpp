#include "config_check.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace sluice {

using nlohmann::json;

const char* key_type_name(int type) {
  switch (type) {
    case sluice_key_string:
      return "string";
    case sluice_key_int:
      return "integer";
    case sluice_key_number:
      return "number";
    case sluice_key_bool:
      return "boolean";
    case sluice_key_list:
      return "list of strings";
    case sluice_key_map:
      return "map of strings";
    case sluice_key_store:
      return "store id";
    case sluice_key_stores:
      return "list of store ids";
    default:
      return "unknown type";
  }
}

namespace {

struct ValueReader {
  const SpecReader& reader;
  const std::string& key;

  [[noreturn]] void fail(const YAML::Node& node, const std::string& expected, const std::string& got) const {
    throw PipelineError(reader.mark(node), "key '" + key + "' expects " + expected + ", got " + got);
  }

  std::string shape(const YAML::Node& node) const {
    if (node.IsSequence()) return "a list";
    if (node.IsMap()) return "a mapping";
    if (node.IsNull()) return "nothing";
    return "'" + node.Scalar() + "'";
  }

  std::string text(const YAML::Node& node, const std::string& expected) const {
    if (!node.IsScalar()) fail(node, expected, shape(node));
    return reader.scalar(node, "key '" + key + "'");
  }

  json integer(const YAML::Node& node) const {
    std::string t = text(node, "an integer");
    std::size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(t, &used, 10);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != t.size()) fail(node, "an integer", "'" + t + "'");
    return v;
  }

  json number(const YAML::Node& node) const {
    std::string t = text(node, "a number");
    std::size_t used = 0;
    double v = 0;
    try {
      v = std::stod(t, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != t.size() || !std::isfinite(v)) fail(node, "a number", "'" + t + "'");
    return v;
  }

  json boolean(const YAML::Node& node) const {
    std::string t = text(node, "true or false");
    if (t == "true" || t == "yes" || t == "on") return true;
    if (t == "false" || t == "no" || t == "off") return false;
    fail(node, "true or false", "'" + t + "'");
  }

  json list(const YAML::Node& node, const std::string& expected) const {
    if (!node.IsSequence()) fail(node, expected, shape(node));
    json out = json::array();
    for (const auto& item : node) out.push_back(text(item, expected + " (each item a single value)"));
    return out;
  }

  json map(const YAML::Node& node) const {
    if (!node.IsMap()) fail(node, "a mapping of names to values", shape(node));
    json out = json::object();
    for (const auto& kv : node) {
      if (!kv.first.IsScalar()) fail(kv.first, "plain names as the mapping's keys", shape(kv.first));
      out[kv.first.as<std::string>()] = text(kv.second, "single values in the mapping");
    }
    return out;
  }

  json read(const YAML::Node& node, int type) const {
    switch (type) {
      case sluice_key_string:
      case sluice_key_store:
        return text(node, type == sluice_key_store ? "a store id" : "a string");
      case sluice_key_int:
        return integer(node);
      case sluice_key_number:
        return number(node);
      case sluice_key_bool:
        return boolean(node);
      case sluice_key_list:
        return list(node, "a list of strings");
      case sluice_key_stores:
        return list(node, "a list of store ids");
      case sluice_key_map:
        return map(node);
      default:
        throw PipelineError(reader.mark(node), "key '" + key + "' has a type this sluice does not know");
    }
  }
};

void check_store_refs(const SpecReader& reader, const std::string& key, const YAML::Node& node, const json& value,
                      const std::vector<std::string>& stores, std::vector<std::string>& errors) {
  std::vector<std::string> ids =
      value.is_array() ? value.get<std::vector<std::string>>() : std::vector<std::string>{value.get<std::string>()};
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (std::find(stores.begin(), stores.end(), ids[i]) != stores.end()) continue;
    const YAML::Node at = node.IsSequence() ? node[i] : node;
    std::string msg = "key '" + key + "' names store '" + ids[i] + "', but no sink with that id is a store";
    if (auto near = nearest(ids[i], stores)) msg += " (did you mean '" + *near + "'?)";
    msg += stores.empty() ? "; this pipeline has no store sinks" : "; stores in this pipeline: " + join(stores);
    errors.push_back(PipelineError(reader.mark(at), msg).what());
  }
}

}  // namespace

CheckedConfig check_config(const SpecReader& reader, const StageSpec& stage, const sluice_plugin_descriptor& plugin,
                           const std::vector<std::string>& stores, std::vector<std::string>& errors) {
  CheckedConfig out;
  out.values = json::object();
  std::vector<std::string> declared;
  for (std::size_t i = 0; i < plugin.key_count; ++i) declared.emplace_back(plugin.keys[i].name);
  const std::string where = "plugin '" + stage.plugin + "'";
  std::vector<std::string> given;  // present, valid or not: no "missing" error for them

  if (stage.config.IsMap()) {
    for (const auto& kv : stage.config) {
      // A mapping or list as a key ({ [db] }) has no string form (found by fuzzing).
      if (!kv.first.IsScalar()) {
        errors.push_back(
            PipelineError(reader.mark(kv.first), "a config key of " + where + " must be a plain name").what());
        continue;
      }
      std::string key = kv.first.as<std::string>();
      auto it = std::find(declared.begin(), declared.end(), key);
      if (it == declared.end()) {
        std::string msg = "unknown key '" + key + "' for " + where;
        if (auto near = nearest(key, declared)) msg += " (did you mean '" + *near + "'?)";
        msg += declared.empty() ? "; it takes no config" : "; valid keys: " + join(declared);
        errors.push_back(PipelineError(reader.mark(kv.first), msg).what());
        continue;
      }
      if (out.values.contains(key)) {
        errors.push_back(PipelineError(reader.mark(kv.first), "duplicate key '" + key + "' for " + where).what());
        continue;
      }
      const sluice_config_key& decl = plugin.keys[it - declared.begin()];
      given.push_back(key);
      try {
        out.values[key] = ValueReader{reader, key}.read(kv.second, decl.type);
        out.value_marks[key] = reader.mark(kv.second);
        if (decl.type == sluice_key_store || decl.type == sluice_key_stores) {
          check_store_refs(reader, key, kv.second, out.values[key], stores, errors);
        }
      } catch (const PipelineError& e) {
        errors.push_back(e.what());
      }
    }
  }

  for (std::size_t i = 0; i < plugin.key_count; ++i) {
    const sluice_config_key& decl = plugin.keys[i];
    if (out.values.contains(decl.name) || std::find(given.begin(), given.end(), decl.name) != given.end()) continue;
    if (decl.required) {
      Mark at = stage.config.IsMap() ? reader.mark(stage.config) : stage.plugin_mark;
      errors.push_back(PipelineError(at, "missing required key '" + std::string(decl.name) + "' (" +
                                             key_type_name(decl.type) + ") for " + where + ": " + decl.doc)
                           .what());
    } else if (decl.default_json) {
      out.values[decl.name] = json::parse(decl.default_json);
    }
  }
  return out;
}

}  // namespace sluice
