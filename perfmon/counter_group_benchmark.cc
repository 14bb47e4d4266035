// Cost of the counter operations the harness performs around every measured
// interval: one Read() of a group, and one Enable()/Disable() pair.
//   bazel run -c opt //perfmon:counter_group_benchmark
// Uses the real kernel; on a machine without a PMU the hardware events are
// unsupported and only the software group is opened (the output says which
// events were open). Must run with permission to count kernel work (root, or
// perf_event_paranoid <= 1).
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "perfmon/counter_group.h"
#include "perfmon/events.h"
#include "perfmon/pmu.h"

namespace copyscope::perfmon {
namespace {

CounterOptions OptionsFor(const char* counters) {
  CounterOptions options;
  options.events = ParseCounters(counters).value();
  if (absl::StatusOr<PmuTopology> pmus = DiscoverPmus(); pmus.ok()) {
    options.pmus = *pmus;
  }
  return options;
}

// Opens the group or marks the benchmark skipped; labels it with what is open.
bool OpenFor(benchmark::State& state, const char* counters,
             absl::StatusOr<CounterGroup>& group) {
  group = CounterGroup::Open(OptionsFor(counters));
  if (!group.ok() || group->num_open_events() == 0) {
    state.SkipWithError("no counter could be opened (not permitted?)");
    return false;
  }
  state.SetLabel(std::to_string(group->num_open_events()) + " events in " +
                 std::to_string(group->num_groups()) + " group(s)");
  return true;
}

const char* CountersArg(int64_t which) {
  switch (which) {
    case 0:
      return "task-clock";
    case 1:
      return "task-clock,context-switches,cpu-migrations,page-faults";
    default:
      return "default";
  }
}

void BM_Read(benchmark::State& state) {
  absl::StatusOr<CounterGroup> group = absl::UnknownError("unopened");
  if (!OpenFor(state, CountersArg(state.range(0)), group)) return;
  if (!group->Enable().ok()) return state.SkipWithError("enable failed");
  for (auto _ : state) {
    absl::StatusOr<std::vector<Reading>> readings = group->Read();
    benchmark::DoNotOptimize(readings);
  }
  (void)group->Disable();
}
BENCHMARK(BM_Read)->Arg(0)->Arg(1)->Arg(2)->ArgName("set");

void BM_EnableDisable(benchmark::State& state) {
  absl::StatusOr<CounterGroup> group = absl::UnknownError("unopened");
  if (!OpenFor(state, CountersArg(state.range(0)), group)) return;
  for (auto _ : state) {
    absl::Status on = group->Enable();
    absl::Status off = group->Disable();
    benchmark::DoNotOptimize(on);
    benchmark::DoNotOptimize(off);
  }
}
BENCHMARK(BM_EnableDisable)->Arg(0)->Arg(1)->Arg(2)->ArgName("set");

// The floor: one read(2) of a one-event group straight on the fd, and one
// cheap system call, to separate the kernel's share from perfmon's.
void BM_RawReadSyscall(benchmark::State& state) {
  perf_event_attr attr{};
  attr.size = sizeof(attr);
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_TASK_CLOCK;
  attr.read_format = kReadFormat;
  const int fd = static_cast<int>(
      syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC));
  if (fd < 0) return state.SkipWithError("perf_event_open failed");
  uint64_t buf[5];
  for (auto _ : state) {
    benchmark::DoNotOptimize(read(fd, buf, sizeof(buf)));
  }
  close(fd);
}
BENCHMARK(BM_RawReadSyscall);

void BM_GetpidSyscall(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(syscall(SYS_getpid));
}
BENCHMARK(BM_GetpidSyscall);

}  // namespace
}  // namespace copyscope::perfmon
