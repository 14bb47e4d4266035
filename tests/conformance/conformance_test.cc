// Runs the plugin conformance suite against every in-tree plugin (the .so
// files in this test's runfiles), or only against plugins given by path:
//
//   bazel test //tests/conformance:conformance_test
//   bazel-bin/tests/conformance/conformance_test --plugin=/tmp/mine.so
//   COPYSCOPE_CONFORMANCE_PLUGIN=/tmp/a.so:/tmp/b.so bazel-bin/tests/...
//       (the same binary, tests/conformance/conformance_test)
//
// --expect=a,b,c names the in-tree plugins that must be present (the BUILD
// file passes the registry's list).
#include "tests/conformance/conformance.h"

#include <stdlib.h>
#include <string.h>

#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "plugins/loader.h"

namespace copyscope::conformance {
namespace {

plugins::PluginSet* g_plugins = nullptr;
std::vector<std::string> g_expected;
bool g_explicit = false;    // plugins given by path
std::string g_search_note;  // where the plugins were looked for

std::vector<std::string> Split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, sep)) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

TEST(PluginDiscovery, EveryPluginLoads) {
  ASSERT_FALSE(g_plugins->plugins().empty())
      << "no plugin found (" << g_search_note << ")";
  for (const plugins::Plugin& p : g_plugins->plugins()) {
    EXPECT_NE(p.status, plugins::PluginStatus::kRejected)
        << p.path << ": " << p.reason;
  }
}

TEST(PluginDiscovery, EveryInTreePluginIsPresent) {
  if (g_explicit) GTEST_SKIP() << "checking plugins given by path only";
  for (const std::string& name : g_expected) {
    std::optional<plugins::Plugin> p = g_plugins->Find(name);
    ASSERT_TRUE(p.has_value())
        << name << " not found (" << g_search_note << ")";
    EXPECT_NE(p->status, plugins::PluginStatus::kRejected) << p->reason;
  }
}

TEST(PluginDiscovery, UnavailablePluginsSayWhy) {
  std::string skipped;
  for (const plugins::Plugin& p : g_plugins->plugins()) {
    if (p.status != plugins::PluginStatus::kUnavailable) continue;
    EXPECT_NE(p.reason, "") << p.name;
    skipped += "\n  " + p.name + ": " + p.reason;
  }
  if (!skipped.empty()) {
    GTEST_SKIP() << "not checked, cannot run on this machine:" << skipped;
  }
}

}  // namespace
}  // namespace copyscope::conformance

int main(int argc, char** argv) {
  using copyscope::conformance::g_expected;
  using copyscope::conformance::g_explicit;
  using copyscope::conformance::g_plugins;
  using copyscope::conformance::g_search_note;
  using copyscope::conformance::Split;

  // Our flags first (gtest's are parsed below), then the plugins, because
  // the parameterised tests are generated from them in InitGoogleTest().
  std::vector<std::string> paths;
  if (const char* env = getenv("COPYSCOPE_CONFORMANCE_PLUGIN")) {
    paths = Split(env, ':');
  }
  // (They stay in argv, which gtest ignores, so that a re-executed death
  // test child loads the same plugins.)
  for (int i = 1; i < argc; ++i) {
    if (strncmp(argv[i], "--plugin=", 9) == 0) {
      paths.push_back(argv[i] + 9);
    } else if (strncmp(argv[i], "--expect=", 9) == 0) {
      g_expected = Split(argv[i] + 9, ',');
    }
  }

  static copyscope::plugins::PluginSet plugins;
  g_plugins = &plugins;
  g_explicit = !paths.empty();
  if (g_explicit) {
    g_search_note = "plugins given by path";
    for (const std::string& path : paths) plugins.LoadFile(path);
  } else {
    std::string dir = copyscope::plugins::DefaultPluginDirectory();
    g_search_note = dir.empty() ? "no runfiles directory" : "looked in " + dir;
    std::string error;
    if (!dir.empty() && !plugins.LoadDirectory(dir, &error)) {
      g_search_note += ": " + error;
    }
  }
  for (const copyscope::plugins::Plugin& p : plugins.plugins()) {
    if (p.status == copyscope::plugins::PluginStatus::kOk) {
      copyscope::conformance::AddTransport(p.transport);
    }
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
