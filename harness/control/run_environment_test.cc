// RunEnvironment and the flags and subcommands behind it: validation,
// pinning plans per thread count, dry runs, and Start() on this machine.
#include "harness/control/run_environment.h"

#include <map>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "harness/config/flags.h"
#include "harness/config/options.h"
#include "harness/env/topology/affinity.h"

namespace copyscope::control {
namespace {

using config::CellSpec;
using config::Invocation;
using config::ParseCommandLine;
using config::Plan;
using config::RunOptions;
using record::RunContext;

constexpr char kHybrid[] = "harness/env/topology/testdata/hybrid_i7_12700.xml";

RunOptions Parse(std::vector<std::string> args) {
  args.insert(args.begin(), {"copyscope", "run"});
  absl::StatusOr<Invocation> inv = ParseCommandLine(args);
  EXPECT_TRUE(inv.ok()) << inv.status();
  return inv.ok() ? inv->run : RunOptions();
}

// A plan with one cell per thread count (Prepare looks at threads only).
Plan PlanOf(const std::vector<int>& threads) {
  Plan plan;
  for (int n : threads) {
    CellSpec c;
    c.transport = "alpha";
    c.threads = n;
    plan.cells.push_back(c);
  }
  return plan;
}

// The error of a command line, from parsing it or from preparing the run.
absl::Status PrepareError(std::vector<std::string> args) {
  args.insert(args.begin(), {"copyscope", "run"});
  absl::StatusOr<Invocation> inv = ParseCommandLine(args);
  if (!inv.ok()) return inv.status();
  return RunEnvironment::Prepare(inv->run, PlanOf({1})).status();
}

TEST(RunFlagsTest, DefaultsAndValuesReachRunOptions) {
  RunOptions d = Parse({});
  EXPECT_EQ(d.isolation, config::Isolation::kAuto);
  EXPECT_EQ(d.mtu, 0);
  EXPECT_EQ(d.pin.server.ToString(), "none");
  EXPECT_EQ(d.pin.client.ToString(), "none");
  EXPECT_EQ(d.pin.fallback, config::PinFallback::kError);
  EXPECT_FALSE(d.dry_run);
  EXPECT_EQ(d.counters.ToString(), "default");
  EXPECT_EQ(d.counters_scope, config::CountersScope::kThread);
  RunOptions o = Parse(
      {"--isolation=netns", "--mtu", "9000", "--pin-server=pcore",
       "--pin_client=cpus:1", "--pin-fallback=any", "--topology-xml=x.xml",
       "--dry-run", "--counters=task-clock", "--counters-scope=cpu"});
  EXPECT_EQ(o.isolation, config::Isolation::kNetns);
  EXPECT_EQ(o.mtu, 9000);
  EXPECT_EQ(o.pin.server.ToString(), "pcore");
  EXPECT_EQ(o.pin.client.ToString(), "cpus:1");
  EXPECT_EQ(o.pin.fallback, config::PinFallback::kAny);
  EXPECT_EQ(o.topology_xml, "x.xml");
  EXPECT_TRUE(o.dry_run);
  EXPECT_EQ(o.counters.ToString(), "task-clock");
  EXPECT_EQ(o.counters_scope, config::CountersScope::kCpu);
}

TEST(PrepareTest, BadValuesAreOneLineErrorsNamingTheFlag) {
  const std::map<std::string, std::vector<std::string>> cases = {
      {"--isolation=", {"--isolation=veth"}},
      {"--mtu=", {"--mtu=20"}},
      {"--mtu", {"--isolation=loopback", "--mtu=9000"}},
      {"--counters=", {"--counters=no-such-event"}},
      {"--counters-scope=", {"--counters-scope=process"}},
      {"--pin-server", {"--pin-server=fastest"}},
      {"--pin-fallback", {"--pin-fallback=maybe"}},
      {"--topology-xml=", {std::string("--topology-xml=") + kHybrid}},
  };
  for (const auto& [flag, args] : cases) {
    absl::Status s = PrepareError(args);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << flag;
    EXPECT_TRUE(absl::StrContains(s.message(), flag)) << s.message();
    EXPECT_FALSE(absl::StrContains(s.message(), "\n")) << s.message();
  }
  // A real run refuses another machine's topology and says what to do.
  absl::Status xml = PrepareError({std::string("--topology-xml=") + kHybrid});
  EXPECT_TRUE(absl::StrContains(xml.message(), "--dry-run")) << xml;
}

TEST(PrepareTest, PlansEveryThreadCountOnAFixture) {
  RunOptions o = Parse({"--dry-run", "--pin-server=pcore", "--pin-client=ecore",
                        std::string("--topology-xml=") + kHybrid});
  absl::StatusOr<std::unique_ptr<RunEnvironment>> env =
      RunEnvironment::Prepare(o, PlanOf({1, 2, 4, 8}));
  ASSERT_TRUE(env.ok()) << env.status();
  const topology::PinPlan* two = (*env)->PlanFor(2);
  ASSERT_NE(two, nullptr);
  EXPECT_EQ(two->placements[0].server_cpu, 0);
  EXPECT_EQ(two->placements[1].server_cpu, 2);
  EXPECT_EQ(two->placements[0].client_cpu, 16);
  EXPECT_EQ(two->placements[1].client_cpu, 17);
  EXPECT_EQ((*env)->PlanFor(8), nullptr);  // only 4 E-cores
  std::string text = (*env)->PinPlanText();
  EXPECT_TRUE(absl::StrContains(
      text,
      "threads 4: server 0,2,4,6 (P-core) | client 16,17,18,19 "
      "(E-core)"))
      << text;
  EXPECT_TRUE(absl::StrContains(text, "threads 8: error: --pin-client=ecore"))
      << text;
  testing::internal::CaptureStdout();
  EXPECT_EQ((*env)->DryRun(PlanOf({1, 2, 4, 8})), 2);  // after printing all
  std::string out = testing::internal::GetCapturedStdout();
  EXPECT_TRUE(absl::StrContains(out, "8 P-cores (16 threads) + 4 E-cores"))
      << out;
  EXPECT_TRUE(absl::StrContains(out, "threads 1: server 0 (P-core)")) << out;
  EXPECT_TRUE(absl::StrContains(out, "threads 8: error:")) << out;
  EXPECT_TRUE(absl::StrContains(out, "pinning plan for 4 connections")) << out;
}

TEST(PrepareTest, AFailingPlanIsAnErrorOutsideADryRun) {
  absl::StatusOr<std::unique_ptr<RunEnvironment>> env =
      RunEnvironment::Prepare(Parse({"--pin-server=ecore"}), PlanOf({1}));
  ASSERT_FALSE(env.ok());
  EXPECT_EQ(env.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(env.status().message(), "threads=1"))
      << env.status();
}

TEST(PrepareTest, DryRunWithoutPinningSaysSoAndSucceeds) {
  absl::StatusOr<std::unique_ptr<RunEnvironment>> env =
      RunEnvironment::Prepare(Parse({"--dry-run"}), PlanOf({1, 2}));
  ASSERT_TRUE(env.ok()) << env.status();
  testing::internal::CaptureStdout();
  EXPECT_EQ((*env)->DryRun(PlanOf({1, 2})), 0);
  std::string out = testing::internal::GetCapturedStdout();
  EXPECT_TRUE(absl::StrContains(out, "pinning: none")) << out;
  EXPECT_TRUE(absl::StrContains(out, "this machine")) << out;
}

TEST(StartTest, LoopbackRunFillsTheContext) {
  std::vector<int> cpus = *topology::CurrentThreadAllowedCpus();
  RunOptions o = Parse({"--isolation=loopback", "--counters=none",
                        "--pin-server=cpus:" + std::to_string(cpus.front()),
                        "--pin-client=cpus:" + std::to_string(cpus.back())});
  absl::StatusOr<std::unique_ptr<RunEnvironment>> env =
      RunEnvironment::Prepare(o, PlanOf({1}));
  ASSERT_TRUE(env.ok()) << env.status();
  RunContext ctx;
  ASSERT_TRUE((*env)->Start(&ctx).ok());
  EXPECT_EQ((*env)->network().Describe(), "loopback (127.0.0.1)");
  AgentRunSettings agents = (*env)->AgentSettings(engine::RunnerConfig(), {});
  EXPECT_EQ(agents.server_launch.netns_fd, -1);  // loopback: stay here
  EXPECT_EQ(agents.server_address, "127.0.0.1");
  EXPECT_EQ(agents.server_cpus[1], std::vector<int>{cpus.front()});
  EXPECT_EQ(agents.client_cpus[1], std::vector<int>{cpus.back()});
  EXPECT_EQ(agents.counters.selection(), "none");
  EXPECT_EQ(ctx.isolation_mode, "loopback");
  EXPECT_EQ(ctx.isolation_reason, "requested --isolation=loopback");
  EXPECT_FALSE(ctx.topology_summary.empty());
  EXPECT_TRUE(absl::StrContains(ctx.pin_plan, "threads 1: server "))
      << ctx.pin_plan;
  bool has_interface = false;
  for (const auto& [k, v] : ctx.isolation_details) {
    if (k == "interface") has_interface = v == "lo";
  }
  EXPECT_TRUE(has_interface);
}

TEST(StartTest, NetnsRunNamesTheVethAndItsMtu) {
  absl::StatusOr<std::unique_ptr<RunEnvironment>> env = RunEnvironment::Prepare(
      Parse({"--isolation=auto", "--mtu=4000", "--counters=none"}),
      PlanOf({1}));
  ASSERT_TRUE(env.ok()) << env.status();
  RunContext ctx;
  ASSERT_TRUE((*env)->Start(&ctx).ok());
  if (ctx.isolation_mode == "loopback") {
    GTEST_SKIP() << "netns not available here: " << ctx.isolation_reason;
  }
  EXPECT_EQ(ctx.isolation_mode, "netns");
  std::map<std::string, std::string> d(ctx.isolation_details.begin(),
                                       ctx.isolation_details.end());
  EXPECT_EQ(d["mtu"], "4000");
  EXPECT_EQ(d["interface"], (*env)->isolation().server().interface);
  EXPECT_TRUE(absl::StartsWith((*env)->network().Describe(), "netns+veth"));
  EXPECT_EQ(ctx.pin_plan, "none (placement tracked)");
}

}  // namespace
}  // namespace copyscope::control
