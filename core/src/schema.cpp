#include "schema.hpp"

#include "config_check.hpp"
#include "pipeline_builder.hpp"

namespace sluice {

using nlohmann::json;

json describe_plugin(const LoadedPlugin& plugin) {
  const auto& d = *plugin.descriptor;
  json keys = json::array();
  for (std::size_t i = 0; i < d.key_count; ++i) {
    const auto& k = d.keys[i];
    json key = {{"name", k.name}, {"type", key_type_name(k.type)}, {"required", k.required != 0}, {"doc", k.doc}};
    key["default"] = k.default_json ? json::parse(k.default_json) : json();
    if (k.secret) key["secret"] = true;
    keys.push_back(key);
  }
  json out = {{"name", d.name},
              {"kind", kind_name(d.kind)},
              {"version", d.version},
              {"description", d.description},
              {"path", plugin.path.string()},
              {"keys", keys}};
  if (d.flags & sluice_flag_store) out["store"] = true;
  if (d.flags & sluice_flag_positions) out["keeps_positions"] = true;
  if (d.flags & sluice_flag_volatile) out["volatile"] = true;
  return out;
}

namespace {

// Values may always be a string: ${VAR} substitution happens before type checks.
json value_schema(const sluice_config_key& k) {
  json s;
  switch (k.type) {
    case sluice_key_int:
      s = {{"anyOf", {{{"type", "integer"}}, {{"type", "string"}}}}};
      break;
    case sluice_key_number:
      s = {{"anyOf", {{{"type", "number"}}, {{"type", "string"}}}}};
      break;
    case sluice_key_bool:
      s = {{"anyOf", {{{"type", "boolean"}}, {{"type", "string"}}}}};
      break;
    case sluice_key_list:
    case sluice_key_stores:
      s = {{"type", "array"}, {"items", {{"type", "string"}}}};
      break;
    case sluice_key_map:
      s = {{"type", "object"}, {"additionalProperties", {{"type", {"string", "number", "boolean"}}}}};
      break;
    default:
      s = {{"type", "string"}};
  }
  s["description"] = k.doc;
  if (k.secret) s["writeOnly"] = true;  // a credential: editors should not echo it
  if (k.default_json) s["default"] = json::parse(k.default_json);
  return s;
}

// The `config:` mapping of a stage of plugin `p`: its declared keys, nothing else.
json config_schema(const LoadedPlugin& p) {
  const auto& d = *p.descriptor;
  json props = json::object();
  json required = json::array();
  for (std::size_t i = 0; i < d.key_count; ++i) {
    props[d.keys[i].name] = value_schema(d.keys[i]);
    if (d.keys[i].required) required.push_back(d.keys[i].name);
  }
  json config = {{"type", "object"}, {"properties", props}, {"additionalProperties", false}};
  if (!required.empty()) config["required"] = required;
  return config;
}

json stage_schema(const LoadedPlugin& p, bool with_id) {
  const auto& d = *p.descriptor;
  json config = config_schema(p);
  const bool has_required = config.contains("required");
  json stage = {{"type", "object"},
                {"description", d.description},
                {"properties", {{"plugin", {{"const", d.name}}}, {"config", config}}},
                {"required", {"plugin"}},
                {"additionalProperties", false}};
  if (with_id)
    stage["properties"]["id"] = {{"type", "string"}, {"description", "Unique id; stores are referred to by it"}};
  if (has_required) stage["required"].push_back("config");
  return stage;
}

json one_of_kind(const std::vector<const LoadedPlugin*>& plugins, int kind, bool with_id) {
  json options = json::array();
  for (const auto* p : plugins) {
    if (p->descriptor->kind == kind) options.push_back(stage_schema(*p, with_id));
  }
  return {{"oneOf", options}};
}

}  // namespace

json pipeline_schema(const std::vector<const LoadedPlugin*>& plugins) {
  auto positive = [](const char* doc) {
    return json{{"anyOf", {{{"type", "integer"}, {"minimum", 1}}, {{"type", "string"}}}}, {"description", doc}};
  };
  json properties = {
      {"name", {{"type", "string"}, {"description", "Name used in logs"}}},
      {"runtime",
       {{"type", "object"},
        {"additionalProperties", false},
        {"properties",
         {{"batch_max", positive("Records per batch (default 1000)")},
          {"batch_wait_ms", positive("Longest wait to fill a batch (default 20)")},
          {"max_in_flight", positive("Batches between source and sinks before the source pauses (default 4)")},
          {"max_in_flight_bytes",
           positive("Bytes of records between source and sinks before the source pauses; also bounds a batch "
                    "(a quarter of it) and the source's read-ahead (default 134217728 = 128 MiB)")},
          {"retry_initial_ms", positive("First backoff after a transient failure (default 100)")},
          {"retry_max_ms", positive("Backoff cap (default 10000)")}}}}}};
  // One key per role: a single entry, or a list of them (at least one sink).
  for (Role role : kRoles) {
    json entry = one_of_kind(plugins, plugin_kind(role), role_has_id(role));
    json& p = properties[role_key(role)];
    if (role_is_single(role)) {
      p = entry;
    } else {
      p = {{"type", "array"}, {"items", entry}};
      if (role == Role::sink) p["minItems"] = 1;
    }
  }
  // The top-level admin: holds the admin plugin's keys (admin_section.hpp); empty: the defaults.
  for (const auto* p : plugins) {
    if (p->descriptor->kind != sluice_kind_api || std::string(p->descriptor->name) != "admin") continue;
    json config = config_schema(*p);
    config["description"] = p->descriptor->description;
    properties["admin"] = {{"anyOf", {config, {{"type", "null"}}}}};
  }
  return {{"$schema", "https://json-schema.org/draft/2020-12/schema"},
          {"title", "Sluice pipeline file"},
          {"type", "object"},
          {"required", {role_key(Role::source), role_key(Role::sink)}},
          {"additionalProperties", false},
          {"properties", properties}};
}

}  // namespace sluice
