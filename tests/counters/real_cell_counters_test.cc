// A real cell with per-thread counters and placement tracking: every
// thread's software counters reach the record, the role figures are derived
// from them, and the table `copyscope run` prints shows them. Runs outside
// Bazel's sandbox; skips, saying why, where perf events are not permitted.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "harness/cli/perf_report.h"
#include "harness/control/pinning_hooks.h"
#include "harness/engine/composite_hooks.h"
#include "harness/engine/counter_hooks.h"
#include "harness/engine/in_tree_plugins_testing.h"
#include "harness/engine/runner.h"
#include "harness/record/metrics.h"
#include "harness/record/record.h"
#include "perfmon/reading.h"
#include "plugins/loader.h"

namespace copyscope {
namespace {

std::map<std::string, record::PerfCounter> ByEvent(
    const record::ThreadReport& r) {
  std::map<std::string, record::PerfCounter> out;
  for (const record::PerfCounter& p : r.perf()) out[p.event()] = p;
  return out;
}

TEST(RealCellCountersTest, SoftwareCountersPerRoleFromThreadsToTable) {
  plugins::PluginSet set;
  const plugins::Plugin* usable = engine::FirstUsablePlugin(&set);
  ASSERT_NE(usable, nullptr);
  config::CounterSelection selection;
  selection.kind = config::CounterSelection::Kind::kDefault;
  absl::StatusOr<perfmon::CounterOptions> options =
      engine::MakeCounterOptions(selection);
  ASSERT_TRUE(options.ok());
  engine::CounterHooks counters(*options);
  control::PinningHooks placement({});
  engine::CompositeHooks hooks({&placement, &counters});
  config::CellSpec spec = engine::SpecFor(*usable, 65536, 2);
  engine::LoopbackNetwork net;
  engine::CellResult cell = engine::RunCell(
      spec, engine::PluginsOf(*usable),
      engine::ShortConfig(absl::Milliseconds(300)), net, &hooks);
  ASSERT_TRUE(cell.status.ok()) << cell.status;
  record::PerfCounter first =
      ByEvent(cell.sample.connections(0).server())["task-clock"];
  if (first.state() == "unsupported" &&
      absl::StrContains(first.reason(), "not permitted")) {
    GTEST_SKIP() << "perf events not permitted here: " << first.reason();
  }
  for (const record::Connection& c : cell.sample.connections()) {
    for (const record::ThreadReport* t : {&c.server(), &c.client()}) {
      std::map<std::string, record::PerfCounter> rec = ByEvent(*t);
      EXPECT_EQ(rec["task-clock"].state(), "counted");
      EXPECT_GT(rec["task-clock"].value(), 0);
      EXPECT_TRUE(t->has_start_cpu());  // placement tracked too
    }
  }
  // As the run record keeps it, and as `run` and `show` report it.
  record::Run run;
  record::Cell* rc = run.add_cells();
  *rc->mutable_key() = record::KeyOf(spec);
  record::AddSample(cell.sample, 1, 0.05, rc);
  std::vector<record::RolePerf> roles = record::RolePerfOf(rc->samples(0));
  ASSERT_EQ(roles.size(), 2u);
  for (const record::RolePerf& role : roles) {
    const perfmon::Reading* clock =
        perfmon::FindReading(role.totals, "task-clock");
    ASSERT_NE(clock, nullptr);
    EXPECT_GT(clock->value().value_or(0), 0) << role.role;
    EXPECT_TRUE(role.derived.context_switches_per_second.value.has_value());
  }
  EXPECT_NE(record::FindAggregate(*rc, "server_perf_task_clock_s"), nullptr);
  std::string table = cli::FormatPerfTable(run);
  for (const char* want : {"task-clock ms", "context-switches", "page-faults",
                           "cs/s", "server", "client"}) {
    EXPECT_TRUE(absl::StrContains(table, want)) << want << "\n" << table;
  }
  if (options->pmus.empty()) {
    EXPECT_TRUE(absl::StrContains(table, "not counted in any cell: cycles"))
        << table;
    EXPECT_FALSE(roles[0].derived.ipc.value.has_value());
  }
}

}  // namespace
}  // namespace copyscope
