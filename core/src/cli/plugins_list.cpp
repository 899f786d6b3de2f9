// sluice plugins [--json]: what plugins are found, and every config key they take.
#include <iostream>

#include "pipeline_loading.hpp"
#include "schema.hpp"

namespace sluice::cli {

namespace {

// What a sink declares about itself, e.g. "store, keeps positions"; the pipeline checks
// depend on it (stores may be looked up; only volatile sinks may follow the positions keeper).
std::string capabilities(const nlohmann::json& p) {
  std::string out;
  for (const auto& [key, text] : {std::pair{"store", "store"}, std::pair{"keeps_positions", "keeps positions"},
                                  std::pair{"volatile", "volatile"}}) {
    if (p.contains(key)) out += (out.empty() ? "" : ", ") + std::string(text);
  }
  return out;
}

void print_text(const nlohmann::json& p) {
  std::cout << p["name"].get<std::string>() << " (" << p["kind"].get<std::string>() << ", "
            << p["version"].get<std::string>() << ")";
  if (std::string caps = capabilities(p); !caps.empty()) std::cout << " [" << caps << "]";
  std::cout << "\n  " << p["description"].get<std::string>() << "\n  " << p["path"].get<std::string>() << "\n";
  for (const auto& k : p["keys"]) {
    std::cout << "    " << k["name"].get<std::string>() << " (" << k["type"].get<std::string>()
              << (k["required"].get<bool>() ? ", required" : "") << (k.contains("secret") ? ", secret" : "");
    if (!k["default"].is_null()) std::cout << ", default " << k["default"].dump();
    std::cout << "): " << k["doc"].get<std::string>() << "\n";
  }
  std::cout << "\n";
}

// The README's configuration reference is this output, pasted between markers and checked
// by a test, so it cannot drift from what the plugins declare.
void print_markdown(const nlohmann::json& list) {
  for (const auto& p : list) {
    std::string caps = capabilities(p);
    std::cout << "### `" << p["name"].get<std::string>() << "` (" << p["kind"].get<std::string>()
              << (caps.empty() ? "" : ", " + caps) << ")\n\n"
              << p["description"].get<std::string>() << "\n\n| key | type | default | |\n|---|---|---|---|\n";
    for (const auto& k : p["keys"]) {
      std::string def = k["required"].get<bool>() ? "**required**"
                        : k["default"].is_null()  ? ""
                                                  : "`" + k["default"].dump() + "`";
      std::string doc = k["doc"].get<std::string>();
      for (std::size_t at = 0; (at = doc.find('|', at)) != std::string::npos; at += 2) doc.replace(at, 1, "\\|");
      std::string type = k["type"].get<std::string>() + (k.contains("secret") ? ", secret" : "");
      std::cout << "| `" << k["name"].get<std::string>() << "` | " << type << " | " << def << " | " << doc << " |\n";
    }
    std::cout << "\n";
  }
}

}  // namespace

Command add_plugins_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("plugins", "List the plugins found, with every config key (type, default, doc)");
  auto json_out = std::make_shared<bool>(false);
  auto markdown_out = std::make_shared<bool>(false);
  auto* json_flag = cmd->add_flag("--json", *json_out, "Print JSON instead of text");
  cmd->add_flag("--markdown", *markdown_out, "Print the Markdown configuration reference (as in the README)")
      ->excludes(json_flag);
  return {cmd, [json_out, markdown_out, &global]() -> int {
            auto registry = make_registry(global);
            std::vector<std::string> errors;
            auto plugins = registry.all(&errors);
            nlohmann::json list = nlohmann::json::array();
            for (const auto* p : plugins) list.push_back(describe_plugin(*p));
            if (*json_out) {
              std::cout << list.dump(2) << "\n";
            } else if (*markdown_out) {
              print_markdown(list);
            } else {
              for (const auto& p : list) print_text(p);
            }
            for (const auto& e : errors) std::cerr << "warning: " << e << "\n";
            return exit_ok;
          }};
}

}  // namespace sluice::cli
