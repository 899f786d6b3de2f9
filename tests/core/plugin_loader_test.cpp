// The loader refuses every kind of broken plugin with one clear line naming the file, and
// never lets an exception cross from a plugin.
#include <gtest/gtest.h>
#include <sys/stat.h>

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
  EXPECT_EQ(load_error("wrong_abi.so"),
            at("wrong_abi.so") + "plugin ABI version 999, but this sluice " SLUICE_VERSION_STRING " has ABI version " +
                std::to_string(SLUICE_ABI_VERSION) + "; rebuild the plugin against this sluice");
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
            at("wrong_struct_size.so") + "plugin descriptor is " +
                std::to_string(sizeof(sluice_plugin_descriptor) - 8) +
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
  auto plan =
      test::plan_from("source: { plugin: file, config: { path: x } }\nsinks:\n  - plugin: create_throws\n", registry);
  SharedState shared;
  try {
    PluginInstance instance(*plan.of(Role::sink).at(0), std::make_unique<HostImpl>("create_throws", shared));
    FAIL() << "expected creation to fail";
  } catch (const ValidationError& e) {
    EXPECT_EQ(std::string(e.what()), "test.yaml:3:13: plugin 'create_throws' (" +
                                         plan.of(Role::sink)[0]->plugin->path.string() +
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

// `plugin:` is a name looked up as NAME.so in the plugin folders, never a path: before, the
// name "../../<scratch>/evil" loaded <scratch>/evil.so from wherever the folder pointed.
TEST(PluginRegistry, APluginNameThatIsAPathIsAConfigErrorAtItsPlace) {
  auto dir = test::scratch_dir("plugin-name-path");
  std::filesystem::copy_file(test::fixture_plugin_dir() / "fake_sink.so", dir / "evil.so");
  const std::string up = std::filesystem::relative(dir, test::fixture_plugin_dir()).string();
  const std::string name = up + "/evil";
  std::string error =
      test::pipeline_errors("source: { plugin: file, config: { path: x } }\nsinks:\n  - plugin: " + name + "\n");
  EXPECT_EQ(error.rfind("test.yaml:3:13: '../", 0), 0u) << error;
  EXPECT_NE(error.find("' is not a plugin name: lowercase letters, digits and '_' only (plugins are found by name in "
                       "the plugin folders, never by path)"),
            std::string::npos)
      << error;
  auto registry = test::test_registry();
  EXPECT_THROW(registry.find(name, sluice_kind_sink), std::out_of_range);
  EXPECT_THROW(registry.find("Fake_Sink", sluice_kind_sink), std::out_of_range);
}

// Whoever may write a plugin folder or file runs code inside sluice: group- or world-writable
// ones are refused, naming the path, by find() and by all().
TEST(PluginRegistry, AFolderOrFileWritableByOthersIsRefusedNamingIt) {
  auto dir = test::scratch_dir("plugin-modes") / "plugins";
  std::filesystem::create_directories(dir);
  const auto file = dir / "fake_sink.so";
  std::filesystem::copy_file(test::fixture_plugin_dir() / "fake_sink.so", file);
  auto find_error = [&] {
    PluginRegistry registry({dir});
    try {
      registry.find("fake_sink", sluice_kind_sink);
      return std::string();
    } catch (const PluginLoadError& e) {
      return std::string(e.what());
    }
  };
  ASSERT_EQ(::chmod(dir.c_str(), 0777), 0);
  ASSERT_EQ(::chmod(file.c_str(), 0755), 0);
  EXPECT_EQ(find_error(), dir.string() +
                              ": the plugin folder is writable by everyone (mode 0777), so anyone who can "
                              "write it could run code inside sluice; refusing to load from it (chmod go-w " +
                              dir.string() + ")");
  PluginRegistry listing({dir});
  std::vector<std::string> errors;
  EXPECT_TRUE(listing.all(&errors).empty());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind(dir.string() + ": the plugin folder is writable by everyone", 0), 0u) << errors[0];

  ASSERT_EQ(::chmod(dir.c_str(), 0755), 0);
  ASSERT_EQ(::chmod(file.c_str(), 0775), 0);
  EXPECT_EQ(find_error().rfind(file.string() + ": the plugin file is writable by its group (mode 0775)", 0), 0u)
      << find_error();

  ASSERT_EQ(::chmod(file.c_str(), 0755), 0);
  EXPECT_EQ(find_error(), "");
}

}  // namespace
}  // namespace sluice
