#include "harness/engine/plugins.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace copyscope::engine {
namespace {

TEST(LoadPluginsTest, UnreadablePluginDirIsAnError) {
  config::PluginSources sources;
  sources.plugin_dirs = {"/nonexistent/copyscope/plugins"};
  plugins::PluginSet set;
  std::vector<std::string> notes;
  absl::Status s = LoadPlugins(sources, &set, &notes);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.message(), "--plugin-dir=")) << s;
}

TEST(DescribePluginsTest, TheInTreePluginsAsThePlanSeesThem) {
  plugins::PluginSet set;
  std::vector<std::string> notes;
  ASSERT_TRUE(LoadPlugins({}, &set, &notes).ok());
  std::vector<record::PluginInfo> info = DescribePlugins(set);
  ASSERT_EQ(info.size(), set.plugins().size());
  ASSERT_FALSE(info.empty());
  for (size_t i = 0; i < info.size(); ++i) {
    const plugins::Plugin& p = set.plugins()[i];
    SCOPED_TRACE(p.name);
    EXPECT_EQ(info[i].name(), p.name);
    EXPECT_EQ(info[i].path(), p.path);
    EXPECT_EQ(info[i].status(), plugins::StatusName(p.status));
    EXPECT_EQ(info[i].sha256().size(), 64u);
    if (p.transport == nullptr) continue;
    EXPECT_EQ(info[i].options_size(),
              static_cast<int>(p.transport->option_count));
    const bool recv = (p.transport->capabilities & CS_CAP_RECV) != 0;
    bool named = false;
    for (const std::string& c : info[i].capabilities()) named |= c == "recv";
    EXPECT_EQ(named, recv);
  }
}

TEST(CapabilityNamesTest, KnownBitsByNameTheRestInHex) {
  EXPECT_EQ(CapabilityNames(CS_CAP_SCATTER_GATHER | CS_CAP_RECV),
            (std::vector<std::string>{"scatter_gather", "recv"}));
  EXPECT_EQ(CapabilityNames(0), std::vector<std::string>{});
  EXPECT_EQ(CapabilityNames(uint64_t{1} << 40),
            std::vector<std::string>{"0x10000000000"});
}

TEST(ResolveTest, NamesBecomeDescriptorsOrAClearError) {
  plugins::PluginSet set;
  std::vector<std::string> notes;
  ASSERT_TRUE(LoadPlugins({}, &set, &notes).ok());
  const plugins::Plugin* usable = nullptr;
  for (const plugins::Plugin& p : set.plugins()) {
    if (p.status == plugins::PluginStatus::kOk) usable = &p;
  }
  ASSERT_NE(usable, nullptr);
  config::CellSpec cell;
  cell.transport = usable->name;
  absl::StatusOr<CellPlugins> r = Resolve(set, cell);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->transport, usable->transport);
  EXPECT_EQ(r->recv_transport, nullptr);
  cell.recv_transport = "no_such_plugin";
  r = Resolve(set, cell);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::StrContains(r.status().message(), "no_such_plugin"));
}

}  // namespace
}  // namespace copyscope::engine
