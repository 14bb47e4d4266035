#include "harness/plan.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace copyscope::harness {
namespace {

using plugins::Plugin;
using plugins::PluginStatus;

const cs_option_desc kOpts[] = {{"batch", "1", "messages per call"},
                                {"mode", "a", "a or b"}};

cs_transport Descriptor(const char* name, const cs_option_desc* options,
                        uint32_t count) {
  cs_transport t{};
  t.struct_size = CS_TRANSPORT_STRUCT_SIZE;
  t.abi_major = CS_ABI_MAJOR;
  t.name = name;
  t.options = options;
  t.option_count = count;
  return t;
}

const cs_transport kAlpha = Descriptor("alpha", nullptr, 0);
const cs_transport kBeta = Descriptor("beta", kOpts, 2);
const cs_transport kGamma = Descriptor("gamma", kOpts, 1);
const cs_transport kDelta = Descriptor("delta", nullptr, 0);

std::vector<Plugin> Plugins() {
  std::vector<Plugin> p(5);
  p[0] = {"/p/alpha.so", "alpha", PluginStatus::kOk, "", &kAlpha};
  p[1] = {"/p/beta.so", "beta", PluginStatus::kOk, "", &kBeta};
  p[2] = {"/p/delta.so", "delta", PluginStatus::kUnavailable,
          "needs kernel 9.9", &kDelta};
  p[3] = {"/p/broken.so", "broken.so", PluginStatus::kRejected,
          "no entry symbol", nullptr};
  p[4] = {"/p/gamma.so", "gamma", PluginStatus::kOk, "", &kGamma};
  return p;
}

RunOptions Options() {
  RunOptions o;
  o.sizes = {4096, 65536};
  o.threads = {1, 2};
  o.fields = 8;
  return o;
}

std::string Error(const RunOptions& o, const std::string& mention) {
  absl::StatusOr<Plan> plan = MakePlan(o, Plugins());
  EXPECT_FALSE(plan.ok());
  if (plan.ok()) return "";
  std::string msg(plan.status().message());
  EXPECT_TRUE(absl::StrContains(msg, mention)) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  return msg;
}

TEST(MakePlanTest, DefaultIsEveryUsablePluginWithNotesForTheRest) {
  absl::StatusOr<Plan> plan = MakePlan(Options(), Plugins());
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->transports,
            (std::vector<std::string>{"alpha", "beta", "gamma"}));
  ASSERT_EQ(plan->notes.size(), 2u);
  EXPECT_TRUE(absl::StrContains(plan->notes[0], "delta"));
  EXPECT_TRUE(absl::StrContains(plan->notes[0], "needs kernel 9.9"));
  EXPECT_TRUE(absl::StrContains(plan->notes[1], "no entry symbol"));
}

TEST(MakePlanTest, CellsInTransportSizeThreadsOrder) {
  RunOptions o = Options();
  o.transports = {"beta", "alpha"};
  absl::StatusOr<Plan> plan = MakePlan(o, Plugins());
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->cells.size(), 8u);
  const CellSpec& first = plan->cells[0];
  EXPECT_EQ(first.transport_name, "beta");
  EXPECT_EQ(first.transport, &kBeta);
  EXPECT_EQ(first.size, 4096u);
  EXPECT_EQ(first.threads, 1);
  EXPECT_EQ(first.fields, 8u);
  EXPECT_EQ(plan->cells[1].threads, 2);
  EXPECT_EQ(plan->cells[2].size, 65536u);
  EXPECT_EQ(plan->cells[4].transport_name, "alpha");
  EXPECT_TRUE(plan->notes.empty());
}

TEST(MakePlanTest, ExplicitTransportErrors) {
  RunOptions o = Options();
  o.transports = {"nope"};
  std::string msg = Error(o, "unknown transport 'nope'");
  EXPECT_TRUE(absl::StrContains(msg, "alpha, beta, gamma")) << msg;
  o.transports = {"alpha", "delta"};
  Error(o, "needs kernel 9.9");
  o.transports = {"broken.so"};
  Error(o, "no entry symbol");
}

TEST(MakePlanTest, ExplicitPluginFileMustLoad) {
  RunOptions o = Options();
  o.sources.plugin_files = {"/p/broken.so"};
  Error(o, "--plugin=/p/broken.so: rejected: no entry symbol");
  o.sources.plugin_files = {"/p/beta.so"};
  EXPECT_TRUE(MakePlan(o, Plugins()).ok());
}

TEST(MakePlanTest, ScopedOptionGoesToItsTransportOnly) {
  RunOptions o = Options();
  o.transport_opts = {
      {"beta", "batch", "4"}, {"beta", "batch", "16"}, {"beta", "mode", "b"}};
  absl::StatusOr<Plan> plan = MakePlan(o, Plugins());
  ASSERT_TRUE(plan.ok()) << plan.status();
  for (const CellSpec& c : plan->cells) {
    if (c.transport_name == "beta") {
      EXPECT_EQ(c.options, (std::vector<std::pair<std::string, std::string>>{
                               {"batch", "16"}, {"mode", "b"}}));
    } else {
      EXPECT_TRUE(c.options.empty());
    }
  }
}

TEST(MakePlanTest, UnscopedOptionMustSuitEverySelectedTransport) {
  RunOptions o = Options();
  o.transports = {"beta", "gamma"};
  o.transport_opts = {{"", "batch", "2"}};
  absl::StatusOr<Plan> plan = MakePlan(o, Plugins());
  ASSERT_TRUE(plan.ok()) << plan.status();
  for (const CellSpec& c : plan->cells) EXPECT_EQ(c.options.size(), 1u);
  o.transport_opts = {{"", "mode", "b"}};  // gamma has only "batch"
  std::string msg = Error(o, "transport 'gamma' has no option 'mode'");
  EXPECT_TRUE(absl::StrContains(msg, "its options: batch")) << msg;
}

TEST(MakePlanTest, OptionErrors) {
  RunOptions o = Options();
  o.transport_opts = {{"alpha", "batch", "1"}};
  Error(o, "it takes no options");
  o.transport_opts = {{"zeta", "batch", "1"}};
  Error(o, "transport 'zeta' is not known");
  o.transports = {"alpha"};
  o.transport_opts = {{"beta", "batch", "1"}};
  Error(o, "transport 'beta' is not in this run");
}

TEST(MakePlanTest, NoUsablePlugin) {
  std::vector<Plugin> none = {Plugins()[2]};
  absl::StatusOr<Plan> plan = MakePlan(Options(), none);
  ASSERT_FALSE(plan.ok());
  EXPECT_TRUE(absl::StrContains(plan.status().message(), "copyscope list"));
}

TEST(LoadPluginsTest, UnreadablePluginDirIsAnError) {
  PluginSources sources;
  sources.plugin_dirs = {"/nonexistent/copyscope/plugins"};
  plugins::PluginSet set;
  std::vector<std::string> notes;
  absl::Status s = LoadPlugins(sources, &set, &notes);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.message(), "--plugin-dir=")) << s;
}

}  // namespace
}  // namespace copyscope::harness
