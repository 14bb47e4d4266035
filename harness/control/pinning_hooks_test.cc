// PinningHooks: threads land on the planned CPUs and the record says where
// they actually ran; unpinned threads are tracked only.
#include "harness/control/pinning_hooks.h"

#include <map>
#include <thread>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "harness/engine/in_tree_plugins_testing.h"
#include "harness/engine/runner.h"
#include "harness/env/topology/affinity.h"
#include "plugins/loader.h"

namespace copyscope::control {
namespace {

using engine::Side;
using engine::SideName;
using engine::ThreadContext;
using record::ThreadReport;

std::vector<int> Seen(const ThreadReport& r) {
  return std::vector<int>(r.cpus_seen().begin(), r.cpus_seen().end());
}

std::vector<int> Allowed() {
  absl::StatusOr<std::vector<int>> cpus = topology::CurrentThreadAllowedCpus();
  EXPECT_TRUE(cpus.ok()) << cpus.status();
  return cpus.ok() ? *cpus : std::vector<int>{};
}

// Plans for cells of placements.size() connections.
std::map<int, topology::PinPlan> PlanFor(
    std::vector<topology::Placement> placements) {
  topology::PinPlan plan;
  plan.connections = static_cast<int>(placements.size());
  plan.placements = std::move(placements);
  return {{plan.connections, plan}};
}

// Runs the hooks' whole sequence on a fresh thread, as the runner does.
ThreadReport RunThread(PinningHooks& hooks, Side side, int connection,
                       int connections, absl::Status* start = nullptr) {
  ThreadReport report;
  std::thread t([&] {
    ThreadContext ctx{side, connection, connections, "test", &report};
    absl::Status s = hooks.OnThreadStart(ctx);
    if (start != nullptr) *start = s;
    if (s.ok()) {
      hooks.OnMeasureStart(ctx);
      volatile uint64_t x = 0;
      for (int i = 0; i < 1000000; ++i) x = x + static_cast<uint64_t>(i);
      hooks.OnMeasureStop(ctx);
    }
    hooks.OnThreadEnd(ctx);
  });
  t.join();
  return report;
}

TEST(PinningHooksTest, PinnedThreadsRecordTheCpuTheyRanOn) {
  std::vector<int> cpus = Allowed();
  ASSERT_FALSE(cpus.empty());
  const int a = cpus.front();
  const int b = cpus.back();  // the same CPU on a 1-CPU machine
  PinningHooks hooks(PlanFor({{a, b}}));
  for (auto [side, cpu] : {std::pair{Side::kServer, a}, {Side::kClient, b}}) {
    SCOPED_TRACE(SideName(side));
    ThreadReport r = RunThread(hooks, side, 0, 1);
    EXPECT_EQ(r.pinned_cpu(), cpu);
    ASSERT_TRUE(r.has_start_cpu());
    ASSERT_TRUE(r.has_end_cpu());
    EXPECT_EQ(r.start_cpu(), cpu);
    EXPECT_EQ(r.end_cpu(), cpu);
    EXPECT_EQ(Seen(r), std::vector<int>{cpu});
    EXPECT_FALSE(r.migrated_while_pinned());
    // Migrations are counted where the kernel exposes them; a thread bound
    // to one CPU cannot migrate after it was pinned.
    if (r.has_migrations()) {
      EXPECT_EQ(r.migrations(), 0);
    }
  }
}

TEST(PinningHooksTest, WithoutAPlanThreadsAreTrackedNotPinned) {
  PinningHooks hooks({});
  const std::vector<int> cpus = Allowed();
  ThreadReport r = RunThread(hooks, Side::kClient, 1, 2);
  EXPECT_EQ(r.pinned_cpu(), topology::kUnpinned);
  ASSERT_TRUE(r.has_start_cpu());
  ASSERT_TRUE(r.has_end_cpu());
  EXPECT_NE(std::find(cpus.begin(), cpus.end(), r.start_cpu()), cpus.end());
  EXPECT_FALSE(r.cpus_seen().empty());
  EXPECT_FALSE(r.migrated_while_pinned());
}

TEST(PinningHooksTest, AnUnpinnedRoleOfAPlanIsTrackedOnly) {
  const int a = Allowed().front();
  PinningHooks hooks(PlanFor({{a, topology::kUnpinned}}));
  EXPECT_EQ(hooks.PlannedCpu({Side::kServer, 0, 1, "t", nullptr}), a);
  EXPECT_EQ(hooks.PlannedCpu({Side::kClient, 0, 1, "t", nullptr}),
            topology::kUnpinned);
  ThreadReport r = RunThread(hooks, Side::kClient, 0, 1);
  EXPECT_EQ(r.pinned_cpu(), topology::kUnpinned);
  EXPECT_TRUE(r.has_start_cpu());
}

TEST(PinningHooksTest, ACpuThisProcessMayNotUseFailsTheThreadStart) {
  PinningHooks hooks(PlanFor({{4000, topology::kUnpinned}}));
  absl::Status start;
  ThreadReport r = RunThread(hooks, Side::kServer, 0, 1, &start);
  EXPECT_FALSE(start.ok());
  EXPECT_TRUE(absl::StrContains(start.message(), "pinning server 0")) << start;
  EXPECT_FALSE(r.has_start_cpu());  // nothing recorded
}

TEST(PinningHooksTest, ACellSizeWithoutAPlanIsAnError) {
  const int a = Allowed().front();
  PinningHooks hooks(PlanFor({{a, a}}));  // planned for 1 connection only
  absl::Status start;
  RunThread(hooks, Side::kServer, 1, 2, &start);
  EXPECT_EQ(start.code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(absl::StrContains(start.message(), "2 connections")) << start;
}

TEST(PinningHooksTest, OneObjectServesCellsOfEverySize) {
  std::vector<int> cpus = Allowed();
  const int a = cpus.front(), b = cpus.back();
  std::map<int, topology::PinPlan> plans = PlanFor({{a, b}});
  plans.merge(PlanFor({{b, a}, {a, b}}));
  PinningHooks hooks(std::move(plans));
  EXPECT_EQ(RunThread(hooks, Side::kServer, 0, 1).pinned_cpu(), a);
  EXPECT_EQ(RunThread(hooks, Side::kServer, 0, 2).pinned_cpu(), b);
  EXPECT_EQ(RunThread(hooks, Side::kClient, 1, 2).pinned_cpu(), b);
}

// A real cell with each role pinned to its own allowed CPU.
TEST(PinningHooksTest, ARealCellRecordsThePinnedCpus) {
  plugins::PluginSet set;
  const plugins::Plugin* usable = engine::FirstUsablePlugin(&set);
  ASSERT_NE(usable, nullptr);
  std::vector<int> cpus = Allowed();
  const int server_cpu = cpus.front(), client_cpu = cpus.back();
  PinningHooks hooks(PlanFor({{server_cpu, client_cpu}}));
  config::CellSpec spec = engine::SpecFor(*usable, 4096, 1);
  engine::LoopbackNetwork net;
  engine::CellResult r = engine::RunCell(
      spec, engine::PluginsOf(*usable),
      engine::ShortConfig(absl::Milliseconds(300)), net, &hooks);
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_EQ(r.sample.connections_size(), 1);
  const ThreadReport& s = r.sample.connections(0).server();
  const ThreadReport& c = r.sample.connections(0).client();
  EXPECT_EQ(s.pinned_cpu(), server_cpu);
  EXPECT_EQ(c.pinned_cpu(), client_cpu);
  EXPECT_EQ(Seen(s), std::vector<int>{server_cpu});
  EXPECT_EQ(Seen(c), std::vector<int>{client_cpu});
  EXPECT_EQ(s.end_cpu(), server_cpu);
  EXPECT_EQ(c.end_cpu(), client_cpu);
  EXPECT_FALSE(s.migrated_while_pinned());
  EXPECT_FALSE(c.migrated_while_pinned());
}

}  // namespace
}  // namespace copyscope::control
