// Where the binary looks beside itself (core/src/paths.hpp): never in the working directory
// when it cannot tell where it is.
#include "paths.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "support/process.hpp"

namespace sluice::test {
namespace {

namespace fs = std::filesystem;

TEST(Paths, AnUnreadableSelfLinkLooksNowhereRatherThanInTheWorkingDirectory) {
  const fs::path missing = scratch_dir("paths") / "no-such-link";
  EXPECT_TRUE(executable_dir(missing).empty());
  EXPECT_FALSE(installed_path("lib/sluice/plugins", missing).has_value());
}

TEST(Paths, InstalledPathsAreBesideTheBinarysFolder) {
  const fs::path dir = scratch_dir("paths");
  fs::create_symlink("/opt/sluice/bin/sluice", dir / "exe");
  EXPECT_EQ(executable_dir(dir / "exe"), fs::path("/opt/sluice/bin"));
  EXPECT_EQ(installed_path("lib/sluice/plugins", dir / "exe"), fs::path("/opt/sluice/lib/sluice/plugins"));
}

}  // namespace
}  // namespace sluice::test
