// The loader refuses every kind of broken plugin with one clear line naming the file, and
// never lets an exception cross from a plugin.
#include <gtest/gtest.h>

#include "host_impl.hpp"
#include "pipeline_fixture.hpp"
#include "plugin_registry.hpp"
#include "sluice/version.hpp"
#include "support/process.hpp"

namespace sluice {
namespace {

std::string load_error(const std::string& file) {
  boost::dll::shared_library library;
  try {
    load_plugin_library(test::fixture_plugin_dir() / file, library);
    return "";
  } catch (const PluginLoadError& e) {
    return e.what();
  }
}

std::string at(const std::string& file) { return (test::fixture_plugin_dir() / file).string() + ": "; }

TEST(PluginLoader, WrongAbiVersionNamesFileAndBothVersions) {
  EXPECT_EQ(load_error("wrong_abi.so"), at("wrong_abi.so") +
                                            "plugin ABI version 999, but this sluice " SLUICE_VERSION_STRING
                                            " has ABI version " + std::to_string(SLUICE_ABI_VERSION) + "; rebuild the plugin against this sluice");
}

TEST(PluginLoader, WrongBuildNamesBothBuilds) {
  EXPECT_EQ(load_error("wrong_build.so"),
            at("wrong_build.so") + "plugin built as '0.0.1 clang 3.0 cxx11abi=0', but this sluice is '" SLUICE_BUILD_ID
                                   "'; C++ objects cannot cross between them: rebuild the plugin with this tree");
}

TEST(PluginLoader, MissingEntrySymbol) {
  EXPECT_EQ(load_error("no_entry.so"), at("no_entry.so") +
                                           "not a sluice plugin: entry symbol 'sluice_plugin_entry' not found "
                                           "(declare the plugin with SLUICE_PLUGIN)");
}

TEST(PluginLoader, NotAnElfFile) {
  EXPECT_EQ(load_error("not_elf.so"), at("not_elf.so") + "not a plugin: the file is not an ELF shared library");
}

TEST(PluginLoader, UnresolvedSymbolIsNamed) {
  std::string error = load_error("unresolved.so");
  EXPECT_EQ(error.rfind(at("unresolved.so") + "cannot load: ", 0), 0u) << error;
  EXPECT_NE(error.find("undefined symbol: sluice_fixture_function_that_does_not_exist"), std::string::npos) << error;
}

TEST(PluginLoader, WrongDescriptorSizeNamesBothSizes) {
  EXPECT_EQ(load_error("wrong_struct_size.so"),
            at("wrong_struct_size.so") + "plugin descriptor is " + std::to_string(sizeof(sluice_plugin_descriptor) - 8) +
                " bytes, but this sluice " SLUICE_VERSION_STRING " has ABI version " +
                std::to_string(SLUICE_ABI_VERSION) + " with " + std::to_string(sizeof(sluice_plugin_descriptor)) +
                "-byte descriptors; rebuild the plugin against this sluice");
}

TEST(PluginLoader, UnknownKindIsNamed) {
  EXPECT_EQ(load_error("unknown_kind.so"), at("unknown_kind.so") + "plugin declares unknown kind 9");
}

// The file is found by the name the pipeline asks for; a plugin inside that calls itself
// something else is refused at that stage's line, naming both.
TEST(PluginRegistry, FileNamedAfterAnotherPluginIsRefused) {
  auto registry = test::test_registry();
  try {
    test::plan_from("source: { plugin: file, config: { path: x } }\nsinks:\n  - plugin: misnamed\n", registry);
    FAIL() << "expected the plan to be refused";
  } catch (const ValidationError& e) {
    std::string error = e.what();
    EXPECT_NE(error.find("test.yaml:3:13: "), std::string::npos) << error;
    EXPECT_NE(error.find((test::fixture_plugin_dir() / "misnamed.so").string() +
                         ": file is named 'misnamed' but the plugin calls itself 'someone_else'"),
              std::string::npos)
        << error;
  }
}

TEST(PluginLoader, MissingFile) { EXPECT_EQ(load_error("nope.so"), at("nope.so") + "no such file"); }

TEST(PluginLoader, GoodPluginLoadsWithItsDescriptor) {
  boost::dll::shared_library library;
  auto plugin = load_plugin_library(test::fixture_plugin_dir() / "fake_sink.so", library);
  EXPECT_STREQ(plugin.descriptor->name, "fake_sink");
  EXPECT_EQ(plugin.descriptor->kind, sluice_kind_sink);
  EXPECT_EQ(plugin.descriptor->flags, static_cast<std::uint32_t>(sluice_flag_store));
}

TEST(PluginLoader, ConstructorExceptionBecomesAnErrorValue) {
  auto registry = test::test_registry();
  auto plan = test::plan_from("source: { plugin: file, config: { path: x } }\nsinks:\n  - plugin: create_throws\n",
                              registry);
  SharedState shared;
  try {
    PluginInstance instance(*plan.of(Role::sink).at(0), std::make_unique<HostImpl>("create_throws", shared));
    FAIL() << "expected creation to fail";
  } catch (const ValidationError& e) {
    EXPECT_EQ(std::string(e.what()), "test.yaml:3:13: plugin 'create_throws' (" + plan.of(Role::sink)[0]->plugin->path.string() +
                                         ") could not be created: constructor exploded on purpose");
  }
}

TEST(PluginRegistry, ListsGoodPluginsAndReportsBrokenOnes) {
  auto registry = test::test_registry();
  std::vector<std::string> errors;
  auto plugins = registry.all(&errors);
  std::vector<std::string> names;
  for (const auto* p : plugins) names.push_back(p->descriptor->name);
  EXPECT_NE(std::find(names.begin(), names.end(), "fake_source"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "stdout"), names.end());
  // wrong_abi, wrong_build, wrong_struct_size, unknown_kind, no_entry, not_elf, unresolved
  EXPECT_EQ(errors.size(), 7u) << join(errors, "\n");
}

}  // namespace
}  // namespace sluice
