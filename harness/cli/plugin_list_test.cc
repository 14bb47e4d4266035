#include "harness/cli/plugin_list.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace copyscope::harness {
namespace {

TEST(CapabilityNamesTest, NamesBits) {
  EXPECT_EQ(CapabilityNames(0), "none");
  EXPECT_EQ(CapabilityNames(CS_CAP_SCATTER_GATHER | CS_CAP_RECV),
            "scatter_gather,recv");
  EXPECT_EQ(CapabilityNames(CS_CAP_ASYNC_RELEASE | (1ull << 40)),
            "async_release,0x10000000000");
}

TEST(FormatPluginListTest, EveryStatusWithItsDetails) {
  static const cs_option_desc kOpts[] = {{"batch", "1", "messages per call"}};
  cs_transport t{};
  t.name = "alpha";
  t.version = "2.1";
  t.description = "does alpha things";
  t.capabilities = CS_CAP_RECV;
  t.options = kOpts;
  t.option_count = 1;
  std::vector<plugins::Plugin> list(3);
  list[0] = {"/p/alpha.so", "alpha", plugins::PluginStatus::kOk, "", &t};
  list[1] = {"/p/beta.so", "beta", plugins::PluginStatus::kUnavailable,
             "needs kernel 9.9", &t};
  list[2] = {"/p/junk.so", "junk.so", plugins::PluginStatus::kRejected,
             "not an ELF file", nullptr};
  std::string text = FormatPluginList(list);
  for (const char* s :
       {"transport  status       version  capabilities",
        "alpha      ok           2.1      recv",
        "beta       unavailable  2.1      recv",
        "junk.so    rejected     -        -", "alpha: does alpha things",
        "reason  needs kernel 9.9", "reason  not an ELF file",
        "path    /p/junk.so", "option  batch=1  messages per call"}) {
    EXPECT_TRUE(absl::StrContains(text, s)) << s << "\nin:\n" << text;
  }
}

TEST(FormatPluginListTest, NoPlugins) {
  EXPECT_TRUE(absl::StrContains(FormatPluginList({}), "--plugin-dir"));
}

}  // namespace
}  // namespace copyscope::harness
