#include "harness/cli/plugin_list.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace copyscope::cli {
namespace {

record::PluginInfo Info(const std::string& name, const std::string& status,
                        const std::string& reason) {
  record::PluginInfo p;
  p.set_name(name);
  p.set_status(status);
  p.set_reason(reason);
  p.set_path("/p/" + name + (status == "rejected" ? "" : ".so"));
  if (status == "rejected") return p;
  p.set_version("2.1");
  p.set_description("does alpha things");
  p.add_capabilities("recv");
  record::PluginOption* o = p.add_options();
  o->set_key("batch");
  o->set_default_value("1");
  o->set_help("messages per call");
  return p;
}

TEST(FormatPluginListTest, EveryStatusWithItsDetails) {
  std::string text = FormatPluginList(
      {Info("alpha", "ok", ""), Info("beta", "unavailable", "needs kernel 9.9"),
       Info("junk.so", "rejected", "not an ELF file")});
  for (const char* s :
       {"transport  status       version  capabilities",
        "alpha      ok           2.1      recv",
        "beta       unavailable  2.1      recv",
        "junk.so    rejected     -        -", "alpha: does alpha things",
        "junk.so: (not loaded)", "reason  needs kernel 9.9",
        "reason  not an ELF file", "path    /p/junk.so",
        "option  batch=1  messages per call"}) {
    EXPECT_TRUE(absl::StrContains(text, s)) << s << "\nin:\n" << text;
  }
}

TEST(FormatPluginListTest, NoPlugins) {
  EXPECT_TRUE(absl::StrContains(FormatPluginList({}), "--plugin-dir"));
}

}  // namespace
}  // namespace copyscope::cli
