#include "perfmon/cpu_scope.h"

#include <sched.h>

#include <cerrno>
#include <cstdio>

#include "gtest/gtest.h"
#include "perfmon/fake_perf_event_api.h"
#include "perfmon/testdata/workload.h"

namespace copyscope::perfmon {
namespace {

std::vector<EventSpec> Events(std::initializer_list<const char*> names) {
  std::vector<EventSpec> out;
  for (const char* n : names) out.push_back(*ResolveEvent(n));
  return out;
}

PmuTopology HybridTopology() {
  PmuTopology t;
  CorePmu core;
  core.name = "cpu_core";
  core.kind = CoreKind::kCore;
  core.type = 4;
  core.all_cpus = false;
  core.cpus = {0, 1};
  CorePmu atom;
  atom.name = "cpu_atom";
  atom.kind = CoreKind::kAtom;
  atom.type = 8;
  atom.all_cpus = false;
  atom.cpus = {2, 3};
  t.core_pmus = {core, atom};
  return t;
}

TEST(CpuScopeTest, OpensOncePerCpuOnThatCpusPmu) {
  FakePerfEventApi api;
  api.SetCounts(PERF_TYPE_HARDWARE, 4ull << 32, 100);
  api.SetCounts(PERF_TYPE_HARDWARE, 8ull << 32, 10);
  // cpu 2's group (atom cycles leads) was multiplexed to half its time.
  api.SetTimes(PERF_TYPE_HARDWARE, 8ull << 32, 1000, 500);
  CounterOptions options;
  options.events = Events({"cycles", "task-clock"});
  options.pmus = HybridTopology();
  options.api = &api;
  absl::StatusOr<CpuScopeCounters> counters =
      CpuScopeCounters::Open(options, {1, 2});
  ASSERT_TRUE(counters.ok()) << counters.status();

  const auto opens = api.successful_opens();
  ASSERT_EQ(opens.size(), 4u);
  EXPECT_EQ(opens[0].pid, -1);
  EXPECT_EQ(opens[0].cpu, 1);
  EXPECT_EQ(opens[0].attr.config, 4ull << 32);  // cpu 1 is a P-core
  EXPECT_EQ(opens[2].cpu, 2);
  EXPECT_EQ(opens[2].attr.config, 8ull << 32);  // cpu 2 is an E-core

  ASSERT_TRUE(counters->Enable().ok());
  ASSERT_TRUE(counters->Disable().ok());
  EXPECT_EQ(api.enable_calls(), 4);  // two groups on each of two CPUs

  absl::StatusOr<std::vector<std::vector<Reading>>> per_cpu =
      counters->ReadPerCpu();
  ASSERT_TRUE(per_cpu.ok()) << per_cpu.status();
  ASSERT_EQ(per_cpu->size(), 2u);
  EXPECT_DOUBLE_EQ(*(*per_cpu)[0][0].value(), 100);
  EXPECT_DOUBLE_EQ(*(*per_cpu)[1][0].value(), 20);

  absl::StatusOr<std::vector<Reading>> totals = counters->ReadTotals();
  ASSERT_TRUE(totals.ok()) << totals.status();
  ASSERT_EQ(totals->size(), 2u);
  EXPECT_EQ((*totals)[0].pmu(), "cpus 1-2");
  EXPECT_EQ((*totals)[0].state(), CounterState::kScaled);
  EXPECT_DOUBLE_EQ(*(*totals)[0].value(), 120);  // sum of scaled values
  EXPECT_DOUBLE_EQ(*(*totals)[0].coverage(), 0.75);
}

TEST(CpuScopeTest, NotPermittedIsUnsupportedWithTheReason) {
  FakePerfEventApi api;
  api.set_paranoid(2);
  api.set_open_policy([](const perf_event_attr&, pid_t pid, int, int) {
    return pid == -1 ? EACCES : 0;
  });
  CounterOptions options;
  options.events = Events({"task-clock", "context-switches"});
  options.api = &api;
  absl::StatusOr<CpuScopeCounters> counters =
      CpuScopeCounters::Open(options, {0, 1});
  ASSERT_TRUE(counters.ok()) << counters.status();
  ASSERT_TRUE(counters->Enable().ok());
  absl::StatusOr<std::vector<Reading>> totals = counters->ReadTotals();
  ASSERT_TRUE(totals.ok()) << totals.status();
  ASSERT_EQ(totals->size(), 2u);
  for (const Reading& r : *totals) {
    EXPECT_EQ(r.state(), CounterState::kUnsupported);
    EXPECT_FALSE(r.value().has_value());
    EXPECT_NE(r.reason().find("not permitted: perf_event_paranoid=2"),
              std::string::npos)
        << r.reason();
  }
  ASSERT_EQ(counters->Unsupported().size(), 4u);
  EXPECT_EQ(counters->Unsupported()[3].pmu(), "software on cpu 1");
}

TEST(CpuScopeTest, BadCpuListsAreErrors) {
  FakePerfEventApi api;
  CounterOptions options;
  options.events = Events({"task-clock"});
  options.api = &api;
  EXPECT_FALSE(CpuScopeCounters::Open(options, {}).ok());
  EXPECT_FALSE(CpuScopeCounters::Open(options, {-1}).ok());
  EXPECT_FALSE(CpuScopeCounters::Open(options, {0, 0}).ok());
}

TEST(CpuScopeTest, RealCpuCountsPinnedWork) {
  cpu_set_t old_mask;
  ASSERT_EQ(sched_getaffinity(0, sizeof(old_mask), &old_mask), 0);
  int cpu = -1;
  for (int i = 0; i < CPU_SETSIZE && cpu < 0; ++i) {
    if (CPU_ISSET(i, &old_mask)) cpu = i;
  }
  ASSERT_GE(cpu, 0);

  CounterOptions options;
  options.events = Events({"cycles", "task-clock", "page-faults"});
  if (absl::StatusOr<PmuTopology> pmus = DiscoverPmus(); pmus.ok()) {
    options.pmus = *pmus;
  }
  absl::StatusOr<CpuScopeCounters> counters =
      CpuScopeCounters::Open(options, {cpu});
  ASSERT_TRUE(counters.ok()) << counters.status();
  const Reading* clock_unsupported = nullptr;
  const std::vector<Reading> unsupported = counters->Unsupported();
  for (const Reading& r : unsupported) {
    if (r.event() == "task-clock") clock_unsupported = &r;
  }
  if (clock_unsupported != nullptr) {
    GTEST_SKIP() << "CPU-scope counting not permitted here: "
                 << clock_unsupported->reason();
  }

  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  ASSERT_EQ(sched_setaffinity(0, sizeof(one), &one), 0);
  ASSERT_TRUE(counters->Enable().ok());
  const size_t touched = testdata::TouchFreshPages(256);
  const uint64_t sink = testdata::Spin(2'000'000);
  ASSERT_TRUE(counters->Disable().ok());
  ASSERT_EQ(sched_setaffinity(0, sizeof(old_mask), &old_mask), 0);
  EXPECT_NE(sink, 42u);

  absl::StatusOr<std::vector<Reading>> totals = counters->ReadTotals();
  ASSERT_TRUE(totals.ok()) << totals.status();
  for (const Reading& r : *totals)
    std::printf("  %s\n", r.DebugString().c_str());
  const Reading* faults = FindReading(*totals, "page-faults");
  ASSERT_TRUE(faults->value().has_value()) << faults->DebugString();
  // Everything on the CPU is counted, this thread's faults included.
  EXPECT_GE(*faults->value(), static_cast<double>(touched));
  EXPECT_GT(*FindReading(*totals, "task-clock")->value(), 0);
  const Reading* cycles = FindReading(*totals, "cycles");
  EXPECT_TRUE(!cycles->supported() || !cycles->value() || *cycles->value() > 0)
      << cycles->DebugString();
}

}  // namespace
}  // namespace copyscope::perfmon
