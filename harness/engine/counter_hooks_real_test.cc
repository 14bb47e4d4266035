// CounterHooks with real perf events (runs outside Bazel's sandbox, where
// perf_event_open is permitted; skips with the reason elsewhere).
#include <cstring>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "harness/engine/composite_hooks.h"
#include "harness/engine/counter_hooks.h"
#include "harness/engine/in_tree_plugins_testing.h"
#include "harness/cli/perf_report.h"
#include "harness/control/pinning_hooks.h"
#include "harness/record/record.h"
#include "harness/engine/runner.h"
#include "perfmon/summary.h"
#include "plugins/loader.h"

namespace copyscope::harness {
namespace {

const char* const kHardware[] = {
    "cycles",       "instructions",          "cache-references",
    "cache-misses", "L1-dcache-load-misses", "branch-misses"};

std::map<std::string, PerfCounterRecord> ByEvent(const ThreadReport& r) {
  std::map<std::string, PerfCounterRecord> out;
  for (const PerfCounterRecord& p : r.perf) out[p.event] = p;
  return out;
}

// A thread that works (a busy loop and fresh pages) inside its measured
// interval, with the hooks around it as the runner calls them.
ThreadReport BusyThread(ThreadHooks& hooks) {
  ThreadReport report;
  std::thread t([&] {
    ThreadContext ctx{Side::kServer, 0, 1, "busy", &report};
    ASSERT_TRUE(hooks.OnThreadStart(ctx).ok());
    hooks.OnMeasureStart(ctx);
    volatile uint64_t x = 0;
    for (uint64_t i = 0; i < 20000000; ++i) x = x + i * i;
    std::unique_ptr<char[]> pages(new char[64 << 20]);
    for (size_t i = 0; i < (size_t{64} << 20); i += 4096) pages[i] = 1;
    hooks.OnMeasureStop(ctx);
    hooks.OnThreadEnd(ctx);
  });
  t.join();
  return report;
}

#define SKIP_IF_NOT_PERMITTED(rec)                                    \
  if (rec.state == "unsupported" &&                                   \
      absl::StrContains(rec.reason, "not permitted")) {               \
    GTEST_SKIP() << "perf events not permitted here: " << rec.reason; \
  }

TEST(CounterHooksRealTest, ABusyThreadCountsTaskClockAndPageFaults) {
  absl::StatusOr<perfmon::CounterOptions> options =
      MakeCounterOptions("default");
  ASSERT_TRUE(options.ok()) << options.status();
  CounterHooks hooks(*options);
  std::map<std::string, PerfCounterRecord> rec = ByEvent(BusyThread(hooks));
  ASSERT_TRUE(rec.count("task-clock"));
  SKIP_IF_NOT_PERMITTED(rec["task-clock"]);
  EXPECT_EQ(rec["task-clock"].state, "counted");
  ASSERT_TRUE(rec["task-clock"].value.has_value());
  EXPECT_GT(*rec["task-clock"].value, 0);
  ASSERT_TRUE(rec["page-faults"].value.has_value());
  EXPECT_GT(*rec["page-faults"].value, 0);
  ASSERT_TRUE(rec.count("context-switches"));
  EXPECT_EQ(rec["context-switches"].state, "counted");
}

TEST(CounterHooksRealTest, HardwareEventsAreUnsupportedNotZeroWithoutAPmu) {
  absl::StatusOr<perfmon::CounterOptions> options =
      MakeCounterOptions("default");
  ASSERT_TRUE(options.ok()) << options.status();
  CounterHooks hooks(*options);
  std::map<std::string, PerfCounterRecord> rec = ByEvent(BusyThread(hooks));
  SKIP_IF_NOT_PERMITTED(rec["task-clock"]);
  for (const char* hw : kHardware) {
    SCOPED_TRACE(hw);
    ASSERT_TRUE(rec.count(hw));
    const PerfCounterRecord& r = rec[hw];
    if (r.state == "unsupported") {
      EXPECT_FALSE(r.value.has_value());
      EXPECT_FALSE(r.raw.has_value());
      EXPECT_FALSE(r.reason.empty());
    } else {
      // A machine with a PMU: counted for real.
      EXPECT_FALSE(options->pmus.empty());
      EXPECT_TRUE(r.value.has_value());
    }
  }
  if (options->pmus.empty()) {
    // This VM: no core PMU, so every hardware event is unsupported and
    // the one console line says so.
    for (const char* hw : kHardware) EXPECT_EQ(rec[hw].state, "unsupported");
    EXPECT_TRUE(
        absl::StartsWith(perfmon::UnsupportedSummary(hooks.Unsupported()),
                         "hardware counters unsupported here: "));
  }
}

TEST(CounterHooksRealTest, ARealCellShowsSoftwareCountersPerRole) {
  plugins::PluginSet set;
  const plugins::Plugin* usable = FirstUsablePlugin(&set);
  ASSERT_NE(usable, nullptr);
  absl::StatusOr<perfmon::CounterOptions> options =
      MakeCounterOptions("default");
  ASSERT_TRUE(options.ok());
  CounterHooks counters(*options);
  PinningHooks placement({});
  CompositeHooks hooks({&placement, &counters});
  CellSpec spec;
  spec.transport = usable->transport;
  spec.transport_name = usable->name;
  spec.size = 65536;
  spec.threads = 2;
  RunnerConfig config;
  config.warmup = absl::Milliseconds(50);
  config.duration = absl::Milliseconds(300);
  LoopbackNetwork net;
  CellResult cell = RunCell(spec, config, net, &hooks);
  ASSERT_TRUE(cell.status.ok()) << cell.status;
  std::map<std::string, PerfCounterRecord> first =
      ByEvent(cell.connections[0].server);
  SKIP_IF_NOT_PERMITTED(first["task-clock"]);
  for (const ConnectionResult& c : cell.connections) {
    for (const ThreadReport* t : {&c.server, &c.client}) {
      std::map<std::string, PerfCounterRecord> rec = ByEvent(*t);
      EXPECT_EQ(rec["task-clock"].state, "counted");
      EXPECT_GT(rec["task-clock"].value.value_or(0), 0);
      EXPECT_TRUE(t->start_cpu.has_value());  // placement tracked too
    }
  }
  // As the run record keeps it, and as `run` and `show` report it.
  record::Run run;
  record::Cell* rc = run.add_cells();
  *rc->mutable_key() = MakeKey(cell);
  AddSample(cell, 1, 0.05, rc);
  std::vector<RolePerf> roles = RolePerfOf(rc->samples(0));
  ASSERT_EQ(roles.size(), 2u);
  for (const RolePerf& role : roles) {
    const perfmon::Reading* clock =
        perfmon::FindReading(role.totals, "task-clock");
    ASSERT_NE(clock, nullptr);
    EXPECT_GT(clock->value().value_or(0), 0) << role.role;
    EXPECT_TRUE(role.derived.context_switches_per_second.value.has_value());
  }
  std::string table = FormatPerfTable(run);
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
}  // namespace copyscope::harness
