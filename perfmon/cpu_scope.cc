#include "perfmon/cpu_scope.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "perfmon/cpu_list.h"
#include "perfmon/pmu.h"

namespace copyscope::perfmon {

absl::StatusOr<CpuScopeCounters> CpuScopeCounters::Open(
    const CounterOptions& options, const std::vector<int>& cpus) {
  if (cpus.empty()) {
    return absl::InvalidArgumentError(
        "CPU-scope counters need at least one CPU");
  }
  std::vector<int> sorted = cpus;
  std::sort(sorted.begin(), sorted.end());
  if (sorted.front() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("CPU-scope counters: bad CPU ", sorted.front()));
  }
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("CPU-scope counters: CPU list ", FormatCpuList(cpus),
                     " has duplicates"));
  }
  std::vector<CounterGroup> groups;
  groups.reserve(cpus.size());
  for (int cpu : cpus) {
    absl::StatusOr<CounterGroup> group =
        CounterGroup::Open(options, Target::Cpu(cpu));
    if (!group.ok()) return group.status();
    groups.push_back(*std::move(group));
  }
  return CpuScopeCounters(cpus, std::move(groups));
}

absl::Status CpuScopeCounters::Enable() {
  for (CounterGroup& g : groups_) {
    absl::Status status = g.Enable();
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status CpuScopeCounters::Disable() {
  for (CounterGroup& g : groups_) {
    absl::Status status = g.Disable();
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::vector<Reading>>> CpuScopeCounters::ReadPerCpu()
    const {
  std::vector<std::vector<Reading>> out;
  out.reserve(groups_.size());
  for (const CounterGroup& g : groups_) {
    absl::StatusOr<std::vector<Reading>> readings = g.Read();
    if (!readings.ok()) return readings.status();
    out.push_back(Totals(*readings));
  }
  return out;
}

absl::StatusOr<std::vector<Reading>> CpuScopeCounters::ReadTotals() const {
  absl::StatusOr<std::vector<std::vector<Reading>>> per_cpu = ReadPerCpu();
  if (!per_cpu.ok()) return per_cpu.status();
  return SumAcross(*per_cpu, absl::StrCat(cpus_.size() == 1 ? "cpu " : "cpus ",
                                          FormatCpuList(cpus_)));
}

std::vector<Reading> CpuScopeCounters::Unsupported() const {
  std::vector<Reading> out;
  for (size_t i = 0; i < groups_.size(); ++i) {
    for (const Reading& r : groups_[i].Unsupported()) {
      out.push_back(Reading::Unsupported(
          r.event(), absl::StrCat(r.pmu(), " on cpu ", cpus_[i]), r.reason()));
    }
  }
  return out;
}

}  // namespace copyscope::perfmon
