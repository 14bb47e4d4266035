// What per-thread perf counters cost a context-switch-bound workload: two
// threads pinned to the same CPU pass a byte back and forth over a pair of
// pipes (each pass is one blocking read, one write and one context switch),
// with and without a perfmon CounterGroup open and enabled on each thread,
// as `copyscope run --counters=...` does for every worker thread.
//
//   bazel run -c opt //tests/bench:counter_switch_benchmark
//
// counters: 0 = none, 1 = task-clock alone, 2 = the default set (what
// could be opened here; the label says how many events). Time is per round
// trip (two switches). The difference is the price the kernel charges at
// every switch of a counted thread (perf_event_task_sched_out/in), which a
// measurement pays in request-response mode and small-message streams.
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "benchmark/benchmark.h"
#include "perfmon/counter_group.h"
#include "perfmon/events.h"
#include "perfmon/pmu.h"

namespace copyscope::bench {
namespace {

const char* CountersArg(int64_t which) {
  return which == 1 ? "task-clock" : "default";
}

absl::StatusOr<perfmon::CounterGroup> OpenOnThisThread(int64_t which) {
  perfmon::CounterOptions options;
  absl::StatusOr<std::vector<perfmon::EventSpec>> events =
      perfmon::ParseCounters(CountersArg(which));
  if (!events.ok()) return events.status();
  options.events = *events;
  if (absl::StatusOr<perfmon::PmuTopology> pmus = perfmon::DiscoverPmus();
      pmus.ok()) {
    options.pmus = *pmus;
  }
  absl::StatusOr<perfmon::CounterGroup> group =
      perfmon::CounterGroup::Open(options);
  if (group.ok()) {
    absl::Status s = group->Enable();
    if (!s.ok()) return s;
  }
  return group;
}

bool PinToCpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

// The CPU this thread may run on first (both threads go there).
int FirstAllowedCpu() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 0;
  for (int i = 0; i < CPU_SETSIZE; ++i) {
    if (CPU_ISSET(i, &set)) return i;
  }
  return 0;
}

void BM_PingPongOneCpu(benchmark::State& state) {
  const int64_t which = state.range(0);
  const int cpu = FirstAllowedCpu();
  int to_echo[2], to_main[2];
  if (pipe(to_echo) != 0 || pipe(to_main) != 0) {
    return state.SkipWithError("pipe failed");
  }
  std::string echo_error;
  std::thread echo([&] {
    if (!PinToCpu(cpu)) echo_error = "cannot pin the echo thread";
    absl::StatusOr<perfmon::CounterGroup> group =
        absl::UnknownError("not opened");
    if (which > 0) {
      group = OpenOnThisThread(which);
      if (!group.ok()) echo_error = std::string(group.status().message());
    }
    char c;
    while (read(to_echo[0], &c, 1) == 1) {
      if (write(to_main[1], &c, 1) != 1) break;
    }
    close(to_main[1]);
  });
  std::string error;
  absl::StatusOr<perfmon::CounterGroup> group =
      absl::UnknownError("not opened");
  if (!PinToCpu(cpu)) error = "cannot pin the main thread";
  if (which > 0 && error.empty()) {
    group = OpenOnThisThread(which);
    if (!group.ok()) {
      error = std::string(group.status().message());
    } else if (group->num_open_events() == 0) {
      error = "no counter could be opened (not permitted?)";
    } else {
      state.SetLabel(std::to_string(group->num_open_events()) +
                     " events per thread");
    }
  }
  if (!error.empty()) state.SkipWithError(error.c_str());
  char c = 'x';
  for (auto _ : state) {
    if (write(to_echo[1], &c, 1) != 1 || read(to_main[0], &c, 1) != 1) {
      state.SkipWithError("pipe broke");
      break;
    }
  }
  close(to_echo[1]);
  char drain;
  while (read(to_main[0], &drain, 1) > 0) {
  }
  echo.join();
  close(to_echo[0]);
  close(to_main[0]);
  if (!error.empty()) return;
  if (!echo_error.empty()) return state.SkipWithError(echo_error.c_str());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PingPongOneCpu)
    ->ArgName("counters")
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime();

}  // namespace
}  // namespace copyscope::bench
