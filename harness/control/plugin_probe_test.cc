#include "harness/control/plugin_probe.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace copyscope::control {
namespace {

TEST(PluginFilesTest, AnUnreadablePluginDirIsAnErrorNamingTheFlag) {
  config::PluginSources sources;
  sources.plugin_dirs = {"/nonexistent/copyscope/plugins"};
  std::vector<std::string> notes;
  absl::StatusOr<std::vector<std::string>> files = PluginFiles(sources, &notes);
  ASSERT_FALSE(files.ok());
  EXPECT_TRUE(absl::StrContains(files.status().message(),
                                "--plugin-dir=/nonexistent/copyscope/plugins"))
      << files.status();
}

TEST(PluginFilesTest, InTreeThenDirectoriesThenFilesInOrder) {
  config::PluginSources sources;
  sources.plugin_files = {"/b/second.so", "/a/first.so"};
  std::vector<std::string> notes;
  absl::StatusOr<std::vector<std::string>> files = PluginFiles(sources, &notes);
  ASSERT_TRUE(files.ok()) << files.status();
  ASSERT_GE(files->size(), 2u);
  // --plugin files come last, as given.
  EXPECT_EQ(files->at(files->size() - 2), "/b/second.so");
  EXPECT_EQ(files->back(), "/a/first.so");
}

}  // namespace
}  // namespace copyscope::control
