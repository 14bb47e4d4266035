// CounterGroup against scripted system calls: grouping, hybrid encodings,
// retries, and the unsupported path.
#include "perfmon/counter_group.h"

#include <cerrno>

#include "gtest/gtest.h"
#include "perfmon/fake_perf_event_api.h"
#include "perfmon/summary.h"

namespace copyscope::perfmon {
namespace {

bool IsHardware(const perf_event_attr& a) {
  return a.type == PERF_TYPE_HARDWARE || a.type == PERF_TYPE_HW_CACHE;
}

PmuTopology HybridTopology() {
  PmuTopology t;
  CorePmu core;
  core.name = "cpu_core";
  core.kind = CoreKind::kCore;
  core.type = 4;
  core.all_cpus = false;
  for (int i = 0; i < 16; ++i) core.cpus.push_back(i);
  CorePmu atom;
  atom.name = "cpu_atom";
  atom.kind = CoreKind::kAtom;
  atom.type = 8;
  atom.all_cpus = false;
  atom.cpus = {16, 17, 18, 19};
  t.core_pmus = {core, atom};
  return t;
}

PmuTopology PlainTopology() {
  PmuTopology t;
  CorePmu cpu;
  cpu.name = "cpu";
  cpu.type = 4;
  t.core_pmus = {cpu};
  return t;
}

std::vector<EventSpec> Events(std::initializer_list<const char*> names) {
  std::vector<EventSpec> out;
  for (const char* n : names) out.push_back(*ResolveEvent(n));
  return out;
}

CounterOptions Options(FakePerfEventApi& api, PmuTopology pmus,
                       std::vector<EventSpec> events = DefaultEvents()) {
  CounterOptions options;
  options.events = std::move(events);
  options.pmus = std::move(pmus);
  options.api = &api;
  return options;
}

TEST(CounterGroupTest, GroupsHardwareAndSoftwareSeparately) {
  FakePerfEventApi api;
  api.SetCounts(PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, 5000);
  api.SetCounts(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS, 42);
  absl::StatusOr<CounterGroup> group =
      CounterGroup::Open(Options(api, PlainTopology()));
  ASSERT_TRUE(group.ok()) << group.status();
  EXPECT_EQ(group->num_groups(), 2u);
  EXPECT_EQ(group->num_open_events(), 10u);
  EXPECT_TRUE(group->Unsupported().empty());

  const auto opens = api.successful_opens();
  ASSERT_EQ(opens.size(), 10u);
  const int hw_leader = 100;
  const int sw_leader = 106;
  for (size_t i = 0; i < opens.size(); ++i) {
    const FakePerfEventApi::OpenCall& c = opens[i];
    EXPECT_EQ(c.pid, 0);
    EXPECT_EQ(c.cpu, -1);
    EXPECT_EQ(c.attr.read_format,
              PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED |
                  PERF_FORMAT_TOTAL_TIME_RUNNING | PERF_FORMAT_ID);
    EXPECT_EQ(c.attr.inherit, 0u);
    EXPECT_EQ(c.attr.exclude_kernel, 0u);
    const bool leader = i == 0 || i == 6;
    EXPECT_EQ(c.attr.disabled, leader ? 1u : 0u) << i;
    EXPECT_EQ(c.group_fd, leader ? -1 : (i < 6 ? hw_leader : sw_leader)) << i;
    EXPECT_EQ(IsHardware(c.attr), i < 6) << i;
    // A plain `cpu` PMU takes the generic encoding.
    EXPECT_EQ(c.attr.config >> PERF_PMU_TYPE_SHIFT, 0u) << i;
  }

  ASSERT_TRUE(group->Enable().ok());
  ASSERT_TRUE(group->Disable().ok());
  EXPECT_EQ(api.enable_calls(), 2);
  EXPECT_EQ(api.disable_calls(), 2);

  absl::StatusOr<std::vector<Reading>> readings = group->Read();
  ASSERT_TRUE(readings.ok()) << readings.status();
  ASSERT_EQ(readings->size(), 10u);
  EXPECT_EQ((*readings)[0].event(), "cycles");
  EXPECT_EQ((*readings)[0].pmu(), "cpu");
  EXPECT_EQ((*readings)[0].state(), CounterState::kCounted);
  EXPECT_DOUBLE_EQ(*(*readings)[0].value(), 5000);
  EXPECT_EQ((*readings)[9].event(), "page-faults");
  EXPECT_EQ((*readings)[9].pmu(), "software");
  EXPECT_DOUBLE_EQ(*(*readings)[9].value(), 42);
}

TEST(CounterGroupTest, HardwareUnsupportedKeepsSoftware) {
  FakePerfEventApi api;
  api.set_open_policy([](const perf_event_attr& a, pid_t, int, int) {
    return IsHardware(a) ? EOPNOTSUPP : 0;
  });
  api.SetCounts(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK, 123456);
  // The VM case: no core PMU in sysfs at all.
  absl::StatusOr<CounterGroup> group =
      CounterGroup::Open(Options(api, PmuTopology{}));
  ASSERT_TRUE(group.ok()) << group.status();
  EXPECT_EQ(group->num_open_events(), 4u);
  EXPECT_EQ(group->num_groups(), 1u);
  ASSERT_TRUE(group->Enable().ok());
  ASSERT_TRUE(group->Disable().ok());

  absl::StatusOr<std::vector<Reading>> readings = group->Read();
  ASSERT_TRUE(readings.ok()) << readings.status();
  ASSERT_EQ(readings->size(), 10u);
  for (size_t i = 0; i < 6; ++i) {
    const Reading& r = (*readings)[i];
    EXPECT_EQ(r.state(), CounterState::kUnsupported) << r.event();
    EXPECT_FALSE(r.value().has_value()) << r.event() << " must not be 0";
    EXPECT_FALSE(r.raw().has_value()) << r.event();
    EXPECT_EQ(r.reason(), "not supported by this CPU/VM");
  }
  EXPECT_EQ((*readings)[6].event(), "task-clock");
  EXPECT_DOUBLE_EQ(*(*readings)[6].value(), 123456);
  for (size_t i = 6; i < 10; ++i) {
    EXPECT_EQ((*readings)[i].state(), CounterState::kCounted);
  }
  EXPECT_EQ(UnsupportedSummary(*readings),
            "hardware counters unsupported here: cycles, instructions, "
            "cache-references, cache-misses, L1-dcache-load-misses, "
            "branch-misses (not supported by this CPU/VM)");
  EXPECT_EQ(group->Unsupported().size(), 6u);
}

TEST(CounterGroupTest, NotPermittedNamesTheParanoidLevel) {
  FakePerfEventApi api;
  api.set_paranoid(3);
  api.set_open_policy(
      [](const perf_event_attr&, pid_t, int, int) { return EACCES; });
  absl::StatusOr<CounterGroup> group =
      CounterGroup::Open(Options(api, PlainTopology()));
  ASSERT_TRUE(group.ok()) << group.status();
  EXPECT_EQ(group->num_open_events(), 0u);
  EXPECT_TRUE(group->Enable().ok());  // nothing to enable is not an error
  EXPECT_TRUE(group->Disable().ok());
  absl::StatusOr<std::vector<Reading>> readings = group->Read();
  ASSERT_TRUE(readings.ok()) << readings.status();
  ASSERT_EQ(readings->size(), 10u);
  for (const Reading& r : *readings) {
    EXPECT_EQ(r.state(), CounterState::kUnsupported) << r.event();
    EXPECT_FALSE(r.value().has_value()) << r.event();
    EXPECT_EQ(r.reason(), "not permitted: perf_event_paranoid=3");
  }
  EXPECT_EQ(UnsupportedSummary(*readings).rfind("counters unsupported here: "
                                                "cycles, instructions",
                                                0),
            0u);

  FakePerfEventApi eperm;
  eperm.set_paranoid(std::nullopt);
  eperm.set_open_policy(
      [](const perf_event_attr&, pid_t, int, int) { return EPERM; });
  EXPECT_EQ(CounterGroup::Open(Options(eperm, PlainTopology()))
                ->Unsupported()[0]
                .reason(),
            "not permitted: perf_event_paranoid unreadable");
}

TEST(CounterGroupTest, OtherErrnosAreNamed) {
  FakePerfEventApi api;
  EXPECT_EQ(OpenErrorReason(ENOENT, api), "not supported by this CPU/VM");
  EXPECT_EQ(OpenErrorReason(EINVAL, api), "not supported by this CPU/VM");
  EXPECT_EQ(OpenErrorReason(ENODEV, api), "not supported by this CPU/VM");
  EXPECT_EQ(OpenErrorReason(EACCES, api),
            "not permitted: perf_event_paranoid=2");
  EXPECT_NE(OpenErrorReason(ENOSYS, api).find("not available"),
            std::string::npos);
  EXPECT_NE(OpenErrorReason(EMFILE, api).find("file descriptors"),
            std::string::npos);
  EXPECT_NE(OpenErrorReason(EBUSY, api).find("perf_event_open failed"),
            std::string::npos);
}

TEST(CounterGroupTest, MultiplexedAndNotRunReadings) {
  FakePerfEventApi api;
  api.SetCounts(PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, 1000);
  api.SetCounts(PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS, 3000);
  // The hardware group (led by cycles) ran a third of the time.
  api.SetTimes(PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, 9000, 3000);
  // The software group (led by task-clock) never ran.
  api.SetTimes(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK, 9000, 0);
  absl::StatusOr<CounterGroup> group = CounterGroup::Open(Options(
      api, PlainTopology(), Events({"cycles", "instructions", "task-clock"})));
  ASSERT_TRUE(group.ok()) << group.status();
  absl::StatusOr<std::vector<Reading>> readings = group->Read();
  ASSERT_TRUE(readings.ok()) << readings.status();
  ASSERT_EQ(readings->size(), 3u);

  const Reading& cycles = (*readings)[0];
  EXPECT_EQ(cycles.state(), CounterState::kScaled);
  EXPECT_DOUBLE_EQ(*cycles.value(), 3000);
  EXPECT_EQ(*cycles.raw(), 1000u);
  EXPECT_NEAR(*cycles.coverage(), 1.0 / 3, 1e-12);
  EXPECT_TRUE(cycles.low_coverage());
  EXPECT_DOUBLE_EQ(*(*readings)[1].value(), 9000);

  const Reading& clock = (*readings)[2];
  EXPECT_EQ(clock.state(), CounterState::kNotRun);
  EXPECT_FALSE(clock.value().has_value());
}

TEST(CounterGroupTest, EventThatCannotJoinItsGroupIsRetriedAlone) {
  FakePerfEventApi api;
  // instructions refuses to join a group (as when the group is full), but
  // opens alone.
  api.set_open_policy([](const perf_event_attr& a, pid_t, int, int group_fd) {
    return a.type == PERF_TYPE_HARDWARE &&
                   a.config == PERF_COUNT_HW_INSTRUCTIONS && group_fd != -1
               ? EINVAL
               : 0;
  });
  api.SetCounts(PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS, 77);
  absl::StatusOr<CounterGroup> group = CounterGroup::Open(
      Options(api, PlainTopology(),
              Events({"cycles", "instructions", "branch-misses"})));
  ASSERT_TRUE(group.ok()) << group.status();
  EXPECT_EQ(group->num_open_events(), 3u);
  EXPECT_EQ(group->num_groups(), 2u);
  const auto opens = api.successful_opens();
  ASSERT_EQ(opens.size(), 3u);
  EXPECT_EQ(opens[1].attr.config, PERF_COUNT_HW_INSTRUCTIONS);
  EXPECT_EQ(opens[1].group_fd, -1);
  EXPECT_EQ(opens[1].attr.disabled, 1u);
  // Later events join the newest group.
  EXPECT_EQ(opens[2].group_fd, 101);
  absl::StatusOr<std::vector<Reading>> readings = group->Read();
  ASSERT_TRUE(readings.ok()) << readings.status();
  EXPECT_DOUBLE_EQ(*(*readings)[1].value(), 77);
}

TEST(CounterGroupTest, EintrIsRetried) {
  FakePerfEventApi api;
  api.set_eintr_opens(3);
  api.set_eintr_reads(2);
  absl::StatusOr<CounterGroup> group = CounterGroup::Open(
      Options(api, PlainTopology(), Events({"task-clock", "page-faults"})));
  ASSERT_TRUE(group.ok()) << group.status();
  EXPECT_EQ(group->num_open_events(), 2u);
  EXPECT_TRUE(group->Read().ok());
}

TEST(CounterGroupTest, ShortReadIsAnError) {
  FakePerfEventApi api;
  api.set_short_reads(8);
  absl::StatusOr<CounterGroup> group = CounterGroup::Open(
      Options(api, PlainTopology(), Events({"task-clock", "page-faults"})));
  ASSERT_TRUE(group.ok()) << group.status();
  absl::StatusOr<std::vector<Reading>> readings = group->Read();
  EXPECT_EQ(readings.status().code(), absl::StatusCode::kInternal);
}

TEST(CounterGroupTest, HybridOpensEveryHardwareEventOnEachCorePmu) {
  FakePerfEventApi api;
  const uint64_t core_cycles = 4ull << 32 | PERF_COUNT_HW_CPU_CYCLES;
  const uint64_t atom_cycles = 8ull << 32 | PERF_COUNT_HW_CPU_CYCLES;
  api.SetCounts(PERF_TYPE_HARDWARE, core_cycles, 700);
  api.SetCounts(PERF_TYPE_HARDWARE, atom_cycles, 300);
  api.SetTimes(PERF_TYPE_HARDWARE, core_cycles, 1000, 700);
  api.SetTimes(PERF_TYPE_HARDWARE, atom_cycles, 1000, 300);
  absl::StatusOr<CounterGroup> group = CounterGroup::Open(Options(
      api, HybridTopology(), Events({"cycles", "instructions", "task-clock"})));
  ASSERT_TRUE(group.ok()) << group.status();
  EXPECT_EQ(group->num_groups(), 3u);  // cpu_core, cpu_atom, software

  const auto opens = api.successful_opens();
  ASSERT_EQ(opens.size(), 5u);
  EXPECT_EQ(opens[0].attr.config, core_cycles);
  EXPECT_EQ(opens[0].group_fd, -1);
  EXPECT_EQ(opens[1].attr.config, atom_cycles);
  EXPECT_EQ(opens[1].group_fd, -1);
  EXPECT_EQ(opens[2].attr.config, 4ull << 32 | PERF_COUNT_HW_INSTRUCTIONS);
  EXPECT_EQ(opens[2].group_fd, opens[0].result);
  EXPECT_EQ(opens[3].attr.config, 8ull << 32 | PERF_COUNT_HW_INSTRUCTIONS);
  EXPECT_EQ(opens[3].group_fd, opens[1].result);
  EXPECT_EQ(opens[4].attr.type, PERF_TYPE_SOFTWARE);
  EXPECT_EQ(opens[4].attr.config, PERF_COUNT_SW_TASK_CLOCK);

  absl::StatusOr<std::vector<Reading>> readings = group->Read();
  ASSERT_TRUE(readings.ok()) << readings.status();
  ASSERT_EQ(readings->size(), 5u);
  EXPECT_EQ((*readings)[0].pmu(), "cpu_core");
  EXPECT_EQ((*readings)[1].pmu(), "cpu_atom");

  std::vector<Reading> totals = Totals(*readings);
  ASSERT_EQ(totals.size(), 3u);
  EXPECT_EQ(totals[0].event(), "cycles");
  EXPECT_EQ(totals[0].state(), CounterState::kCounted);
  EXPECT_DOUBLE_EQ(*totals[0].value(), 1000);
  std::vector<Reading> kinds = PerKind(*readings);
  ASSERT_EQ(kinds.size(), 4u);  // cycles and instructions, two kinds each
  EXPECT_DOUBLE_EQ(*kinds[0].value(), 700);
  EXPECT_DOUBLE_EQ(*kinds[1].value(), 300);
}

TEST(CounterGroupTest, HybridEventMissingOnOneKind) {
  FakePerfEventApi api;
  api.set_open_policy([](const perf_event_attr& a, pid_t, int, int) {
    return a.type == PERF_TYPE_HW_CACHE && (a.config >> 32) == 8 ? ENOENT : 0;
  });
  absl::StatusOr<CounterGroup> group = CounterGroup::Open(Options(
      api, HybridTopology(), Events({"cycles", "L1-dcache-load-misses"})));
  ASSERT_TRUE(group.ok()) << group.status();
  absl::StatusOr<std::vector<Reading>> readings = group->Read();
  ASSERT_TRUE(readings.ok()) << readings.status();
  EXPECT_EQ(UnsupportedSummary(*readings),
            "hardware counters unsupported here: L1-dcache-load-misses on "
            "cpu_atom (not supported by this CPU/VM)");
  EXPECT_TRUE(Totals(*readings)[1].value().has_value());
}

TEST(CounterGroupTest, CpuTargetOnHybridUsesThatCpusPmuOnly) {
  FakePerfEventApi api;
  absl::StatusOr<CounterGroup> group = CounterGroup::Open(
      Options(api, HybridTopology(), Events({"cycles", "task-clock"})),
      Target::Cpu(17));
  ASSERT_TRUE(group.ok()) << group.status();
  const auto opens = api.successful_opens();
  ASSERT_EQ(opens.size(), 2u);
  EXPECT_EQ(opens[0].attr.config, 8ull << 32 | PERF_COUNT_HW_CPU_CYCLES);
  EXPECT_EQ(opens[0].pid, -1);
  EXPECT_EQ(opens[0].cpu, 17);
  EXPECT_EQ(opens[1].cpu, 17);

  absl::StatusOr<CounterGroup> off = CounterGroup::Open(
      Options(api, HybridTopology(), Events({"cycles"})), Target::Cpu(64));
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(off->Unsupported()[0].reason(), "no core PMU covers cpu 64");
}

TEST(CounterGroupTest, BadTargetsAreErrors) {
  FakePerfEventApi api;
  EXPECT_EQ(CounterGroup::Open(Options(api, PlainTopology()), Target{-1, -1})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CounterGroup::Open(Options(api, PlainTopology()), Target{5, -2})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Target::CallingThread().Describe(), "calling thread");
  EXPECT_EQ(Target::Thread(42).Describe(), "thread 42");
  EXPECT_EQ(Target::Cpu(3).Describe(), "cpu 3");
}

TEST(CounterGroupTest, ClosesEveryFdOnceAndMovesCleanly) {
  FakePerfEventApi api;
  {
    absl::StatusOr<CounterGroup> group =
        CounterGroup::Open(Options(api, HybridTopology()));
    ASSERT_TRUE(group.ok());
    EXPECT_EQ(api.num_open_fds(), 16u);  // 6 x 2 kinds + 4 software
    CounterGroup moved = *std::move(group);
    EXPECT_EQ(moved.num_open_events(), 16u);
    // The moved-from group holds nothing.
    EXPECT_EQ(group->num_open_events(), 0u);  // NOLINT(bugprone-use-after-move)
    CounterGroup assigned = std::move(moved);
    EXPECT_EQ(api.num_open_fds(), 16u);
  }
  EXPECT_EQ(api.num_open_fds(), 0u);
  EXPECT_EQ(api.bad_closes(), 0);
}

}  // namespace
}  // namespace copyscope::perfmon
