// System-wide counting on a set of CPUs (--counters-scope=cpu).
//
// Per-thread counters miss work the kernel does for a transfer on other
// threads' time (softirq receive processing, for one). CPU scope opens the
// same events once per CPU with pid = -1, so everything that runs on those
// CPUs during the interval is counted. It needs CAP_PERFMON (or root, or
// perf_event_paranoid <= 0); without it every event is an unsupported reading
// saying so, exactly as for per-thread counters. On a hybrid machine each CPU
// gets the hardware events of its own core PMU only.
//
// Usage:
//   CounterOptions options = ...;  // as for CounterGroup
//   absl::StatusOr<CpuScopeCounters> counters =
//       CpuScopeCounters::Open(options, {0, 1});
//   counters->Enable();
//   RunWorkload();
//   counters->Disable();
//   absl::StatusOr<std::vector<Reading>> totals = counters->ReadTotals();
#ifndef COPYSCOPE_PERFMON_CPU_SCOPE_H_
#define COPYSCOPE_PERFMON_CPU_SCOPE_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "perfmon/counter_group.h"
#include "perfmon/reading.h"

namespace copyscope::perfmon {

class CpuScopeCounters {
 public:
  // Opens `options.events` on each CPU of `cpus` (non-empty, no duplicates,
  // each >= 0), disabled.
  static absl::StatusOr<CpuScopeCounters> Open(const CounterOptions& options,
                                               const std::vector<int>& cpus);

  absl::Status Enable();
  absl::Status Disable();

  // Totals() of each CPU, in the order of cpus().
  absl::StatusOr<std::vector<std::vector<Reading>>> ReadPerCpu() const;
  // The per-CPU totals added up (SumAcross), labelled "cpus 0-3" (or
  // "cpu 2" for one CPU).
  absl::StatusOr<std::vector<Reading>> ReadTotals() const;

  const std::vector<int>& cpus() const { return cpus_; }
  // The events that could not be opened on some CPU.
  std::vector<Reading> Unsupported() const;

 private:
  CpuScopeCounters(std::vector<int> cpus, std::vector<CounterGroup> groups)
      : cpus_(std::move(cpus)), groups_(std::move(groups)) {}

  std::vector<int> cpus_;
  std::vector<CounterGroup> groups_;  // one per CPU, same order
};

}  // namespace copyscope::perfmon

#endif  // COPYSCOPE_PERFMON_CPU_SCOPE_H_
