// CounterHooks and CpuScopeHooks against scripted perf_event system calls:
// what lands in the thread records for each outcome.
#include "harness/engine/counter_hooks.h"

#include <cerrno>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "harness/record/metrics.h"
#include "perfmon/events.h"
#include "perfmon/fake_perf_event_api.h"
#include "perfmon/summary.h"

namespace copyscope::engine {
namespace {

using perfmon::FakePerfEventApi;

bool IsHardware(const perf_event_attr& a) {
  return a.type == PERF_TYPE_HARDWARE || a.type == PERF_TYPE_HW_CACHE;
}

perfmon::CounterOptions Options(FakePerfEventApi& api,
                                const std::string& counters = "default") {
  perfmon::CounterOptions o;
  o.events = *perfmon::ParseCounters(counters);
  o.api = &api;
  return o;
}

std::map<std::string, record::PerfCounter> ByEvent(
    const record::ThreadReport& r) {
  std::map<std::string, record::PerfCounter> out;
  for (const record::PerfCounter& p : r.perf()) out[p.event()] = p;
  return out;
}

// One worker thread's whole life, on the calling thread.
record::ThreadReport Lifetime(ThreadHooks& hooks, Side side, int connection,
                              bool measure = true) {
  record::ThreadReport report;
  ThreadContext ctx{side, connection, 1, "test", &report};
  EXPECT_TRUE(hooks.OnThreadStart(ctx).ok());
  if (measure) {
    hooks.OnMeasureStart(ctx);
    hooks.OnMeasureStop(ctx);
  }
  hooks.OnThreadEnd(ctx);
  return report;
}

TEST(CounterHooksTest, UnsupportedHardwareIsRecordedAsSuchNeverAsZero) {
  FakePerfEventApi api;
  api.set_open_policy([](const perf_event_attr& a, pid_t, int, int) {
    return IsHardware(a) ? EOPNOTSUPP : 0;
  });
  api.SetCounts(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK, 5000000);
  api.SetCounts(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES, 12);
  api.SetCounts(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS, 3);
  perfmon::CounterOptions options = Options(api);
  CounterHooks hooks(options);
  record::ThreadReport r = Lifetime(hooks, Side::kServer, 0);
  std::map<std::string, record::PerfCounter> rec = ByEvent(r);
  ASSERT_EQ(rec.size(), 10u);
  for (const char* hw :
       {"cycles", "instructions", "cache-references", "cache-misses",
        "L1-dcache-load-misses", "branch-misses"}) {
    SCOPED_TRACE(hw);
    EXPECT_EQ(rec[hw].state(), "unsupported");
    EXPECT_FALSE(rec[hw].has_raw());
    EXPECT_FALSE(rec[hw].has_value());
    EXPECT_EQ(rec[hw].reason(), "not supported by this CPU/VM");
  }
  EXPECT_EQ(rec["task-clock"].state(), "counted");
  EXPECT_EQ(rec["task-clock"].value(), 5000000.0);
  EXPECT_EQ(rec["task-clock"].raw(), 5000000u);
  EXPECT_EQ(rec["context-switches"].value(), 12.0);
  EXPECT_EQ(rec["page-faults"].value(), 3.0);
  EXPECT_EQ(rec["page-faults"].enabled_ns(), 1000u);
  EXPECT_EQ(rec["page-faults"].running_ns(), 1000u);
  EXPECT_EQ(api.enable_calls(), 1);  // the software group only
  EXPECT_EQ(api.disable_calls(), 1);
  EXPECT_EQ(api.num_open_fds(), 0u);  // closed at thread end

  std::string line = perfmon::UnsupportedSummary(hooks.Unsupported());
  EXPECT_TRUE(absl::StartsWith(line, "hardware counters unsupported here: "))
      << line;
  EXPECT_TRUE(absl::StrContains(line, "cycles")) << line;
}

TEST(CounterHooksTest, NothingPermittedNeverFailsTheCell) {
  FakePerfEventApi api;
  api.set_paranoid(3);
  api.set_open_policy(
      [](const perf_event_attr&, pid_t, int, int) { return EACCES; });
  perfmon::CounterOptions options = Options(api, "task-clock,cycles");
  CounterHooks hooks(options);
  record::ThreadReport r = Lifetime(hooks, Side::kClient, 0);
  ASSERT_EQ(r.perf_size(), 2u);
  for (const record::PerfCounter& p : r.perf()) {
    EXPECT_EQ(p.state(), "unsupported");
    EXPECT_FALSE(p.has_value());
    EXPECT_TRUE(absl::StrContains(p.reason(), "not permitted")) << p.reason();
  }
  EXPECT_TRUE(absl::StartsWith(perfmon::UnsupportedSummary(hooks.Unsupported()),
                               "counters unsupported here: "));
}

TEST(CounterHooksTest, AThreadThatNeverMeasuredHasNotRunRecords) {
  FakePerfEventApi api;
  api.SetTimes(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK, 0, 0);
  perfmon::CounterOptions options = Options(api, "task-clock,page-faults");
  CounterHooks hooks(options);
  record::ThreadReport r = Lifetime(hooks, Side::kServer, 0, /*measure=*/false);
  ASSERT_EQ(r.perf_size(), 2u);
  for (const record::PerfCounter& p : r.perf()) {
    EXPECT_EQ(p.state(), "not_run");
    EXPECT_FALSE(p.has_value());
    EXPECT_FALSE(p.has_raw());
    EXPECT_FALSE(p.reason().empty());
  }
  EXPECT_EQ(api.enable_calls(), 0);
}

TEST(CounterHooksTest, MultiplexedCountsAreScaledWithTheirTimes) {
  FakePerfEventApi api;
  api.SetCounts(PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, 1000);
  api.SetTimes(PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, 4000, 1000);
  perfmon::CounterOptions options = Options(api, "cycles,instructions");
  CounterHooks hooks(options);
  std::map<std::string, record::PerfCounter> rec =
      ByEvent(Lifetime(hooks, Side::kServer, 0));
  EXPECT_EQ(rec["cycles"].state(), "scaled");
  EXPECT_EQ(rec["cycles"].raw(), 1000u);
  EXPECT_EQ(rec["cycles"].value(), 4000.0);
  EXPECT_EQ(rec["cycles"].enabled_ns(), 4000u);
  EXPECT_EQ(rec["cycles"].running_ns(), 1000u);
}

TEST(CounterHooksTest, HybridRecordsTheTotalAndEachKind) {
  FakePerfEventApi api;
  perfmon::CounterOptions options = Options(api, "cycles,task-clock");
  perfmon::CorePmu core;
  core.name = "cpu_core";
  core.kind = perfmon::CoreKind::kCore;
  core.type = 4;
  core.all_cpus = false;
  core.cpus = {0, 1};
  perfmon::CorePmu atom = core;
  atom.name = "cpu_atom";
  atom.kind = perfmon::CoreKind::kAtom;
  atom.type = 8;
  atom.cpus = {2, 3};
  options.pmus.core_pmus = {core, atom};
  // Each kind counted for part of the thread's time.
  const uint64_t core_cfg = (uint64_t{4} << 32) | PERF_COUNT_HW_CPU_CYCLES;
  const uint64_t atom_cfg = (uint64_t{8} << 32) | PERF_COUNT_HW_CPU_CYCLES;
  api.SetCounts(PERF_TYPE_HARDWARE, core_cfg, 700);
  api.SetTimes(PERF_TYPE_HARDWARE, core_cfg, 1000, 700);
  api.SetCounts(PERF_TYPE_HARDWARE, atom_cfg, 300);
  api.SetTimes(PERF_TYPE_HARDWARE, atom_cfg, 1000, 300);
  CounterHooks hooks(options);
  std::map<std::string, record::PerfCounter> rec =
      ByEvent(Lifetime(hooks, Side::kServer, 0));
  ASSERT_TRUE(rec.count("cycles"));
  EXPECT_EQ(rec["cycles"].pmu(), perfmon::kAllPmus);
  EXPECT_EQ(rec["cycles"].state(), "counted");
  EXPECT_EQ(rec["cycles"].value(), 1000.0);  // pooled, not over-counted
  ASSERT_TRUE(rec.count("cpu_core/cycles/"));
  ASSERT_TRUE(rec.count("cpu_atom/cycles/"));
  EXPECT_EQ(rec["cpu_core/cycles/"].value(), 700.0);
  EXPECT_EQ(rec["cpu_atom/cycles/"].value(), 300.0);
  EXPECT_TRUE(rec.count("task-clock"));
}

TEST(CounterHooksTest, NoEventsWritesNothing) {
  FakePerfEventApi api;
  perfmon::CounterOptions options = Options(api, "none");
  CounterHooks hooks(options);
  record::ThreadReport r = Lifetime(hooks, Side::kServer, 0);
  EXPECT_TRUE(r.perf().empty());
  EXPECT_TRUE(api.open_calls().empty());
}

TEST(CounterHooksTest, AThreadWhoseStartNeverRanWritesNothing) {
  FakePerfEventApi api;
  perfmon::CounterOptions options = Options(api, "task-clock");
  CounterHooks hooks(options);
  record::ThreadReport report;
  ThreadContext ctx{Side::kServer, 0, 1, "test", &report};
  hooks.OnThreadEnd(ctx);  // e.g. pinning failed before the counters opened
  EXPECT_TRUE(report.perf().empty());
}

// The CPUs of cells with placements.size() connections, each placement a
// (server CPU, client CPU) pair.
std::map<int, RoleCpus> Cpus(
    const std::vector<std::pair<int, int>>& placements) {
  RoleCpus cpus;
  for (const auto& [server, client] : placements) {
    cpus.server.push_back(server);
    cpus.client.push_back(client);
  }
  return {{static_cast<int>(placements.size()), cpus}};
}

struct Conn {
  record::ThreadReport server;
  record::ThreadReport client;
};

// A cell of `connections` as the runner drives the hooks: every worker
// starts, measures and ends (here one after the other, on this thread).
std::vector<Conn> DriveCell(ThreadHooks& hooks, int connections) {
  std::vector<Conn> conns(static_cast<size_t>(connections));
  std::vector<ThreadContext> ctx;
  for (int i = 0; i < connections; ++i) {
    ctx.push_back({Side::kServer, i, connections, "t", &conns[i].server});
    ctx.push_back({Side::kClient, i, connections, "t", &conns[i].client});
  }
  for (const ThreadContext& t : ctx) EXPECT_TRUE(hooks.OnThreadStart(t).ok());
  for (const ThreadContext& t : ctx) hooks.OnMeasureStart(t);
  for (const ThreadContext& t : ctx) hooks.OnMeasureStop(t);
  for (const ThreadContext& t : ctx) hooks.OnThreadEnd(t);
  return conns;
}

TEST(CpuScopeHooksTest, DisjointRolesAreCountedPerRoleOnConnectionZero) {
  FakePerfEventApi api;
  api.SetCounts(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES, 7);
  perfmon::CounterOptions options = Options(api, "context-switches");
  CpuScopeHooks hooks(options, Cpus({{0, 1}, {2, 3}}), {0, 1, 2, 3});
  EXPECT_EQ(hooks.CpusFor(2),
            (std::pair<std::vector<int>, std::vector<int>>{{0, 2}, {1, 3}}));
  std::vector<Conn> conns = DriveCell(hooks, 2);
  EXPECT_EQ(api.enable_calls(), 4);  // one group per CPU, enabled once
  EXPECT_EQ(api.disable_calls(), 4);
  EXPECT_EQ(api.num_open_fds(), 0u);  // closed when the cell ended
  ASSERT_EQ(conns[0].server.perf_size(), 1u);
  ASSERT_EQ(conns[0].client.perf_size(), 1u);
  EXPECT_TRUE(conns[1].server.perf().empty());
  EXPECT_TRUE(conns[1].client.perf().empty());
  EXPECT_EQ(conns[0].server.perf(0).pmu(), "cpus 0,2");
  EXPECT_EQ(conns[0].client.perf(0).pmu(), "cpus 1,3");
  EXPECT_EQ(conns[0].server.perf(0).value(), 14.0);  // 7 on each CPU
  EXPECT_EQ(api.open_calls()[0].pid, -1);            // system-wide on the CPU
}

TEST(CpuScopeHooksTest, UnpinnedOrSharedCpusAreCountedOnceForBothRoles) {
  FakePerfEventApi api;
  perfmon::CounterOptions options = Options(api, "context-switches");
  CpuScopeHooks hooks(options, Cpus({{0, 0}}), {0, 1, 2});
  EXPECT_EQ(hooks.CpusFor(1).first, std::vector<int>{0});
  EXPECT_TRUE(hooks.CpusFor(1).second.empty());
  EXPECT_EQ(hooks.CpusFor(4).first, (std::vector<int>{0, 1, 2}));  // no plan
  std::vector<Conn> conns = DriveCell(hooks, 4);
  ASSERT_EQ(conns[0].server.perf_size(), 1u);
  EXPECT_TRUE(conns[0].client.perf().empty());
  EXPECT_EQ(conns[0].server.perf(0).pmu(),
            std::string("cpus 0-2 ") + record::kBothRoles);
  // The next cell starts afresh.
  conns = DriveCell(hooks, 1);
  ASSERT_EQ(conns[0].server.perf_size(), 1u);
  EXPECT_EQ(conns[0].server.perf(0).pmu(),
            std::string("cpu 0 ") + record::kBothRoles);
}

TEST(CpuScopeHooksTest, NotPermittedIsUnsupportedWithTheReason) {
  FakePerfEventApi api;
  api.set_open_policy(
      [](const perf_event_attr&, pid_t, int, int) { return EACCES; });
  perfmon::CounterOptions options = Options(api, "task-clock");
  CpuScopeHooks hooks(options, Cpus({{0, 1}}), {0, 1});
  std::vector<Conn> conns = DriveCell(hooks, 1);
  ASSERT_EQ(conns[0].server.perf_size(), 1u);
  const record::PerfCounter& p = conns[0].server.perf(0);
  EXPECT_EQ(p.state(), "unsupported");
  EXPECT_FALSE(p.has_value());
  EXPECT_TRUE(absl::StrContains(p.reason(), "not permitted")) << p.reason();
  EXPECT_FALSE(hooks.Unsupported().empty());
}

}  // namespace
}  // namespace copyscope::engine
