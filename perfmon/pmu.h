// Discovery of the CPU's core performance monitoring units (PMUs) under sysfs.
//
// A plain machine exposes one core PMU named `cpu`. A hybrid Intel machine
// exposes one per core kind (`cpu_core` for P-cores, `cpu_atom` for E-cores,
// and on some parts `cpu_lowpower`), each with its own perf type number and
// list of CPUs. Generic hardware events must be opened once per core PMU (the
// PMU type goes into the high 32 bits of perf_event_attr.config) so that a
// thread is counted whichever kind of core it runs on. A VM without a virtual
// PMU exposes no core PMU at all; that is a valid, empty topology.
//
// Usage:
//   absl::StatusOr<PmuTopology> pmus = DiscoverPmus();  // real sysfs
//   if (pmus.ok() && pmus->hybrid()) {
//     const CorePmu* pmu = pmus->PmuForCpu(17);  // "cpu_atom" on that machine
//   }
//   // Tests pass a fake tree: DiscoverPmus("/tmp/fake/devices").
#ifndef COPYSCOPE_PERFMON_PMU_H_
#define COPYSCOPE_PERFMON_PMU_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace copyscope::perfmon {

inline constexpr char kDefaultSysfsRoot[] = "/sys/bus/event_source/devices";

// The kind of core a core PMU counts on.
enum class CoreKind {
  kPlain,     // `cpu`: the only core PMU of a non-hybrid machine
  kCore,      // `cpu_core`: hybrid performance cores
  kAtom,      // `cpu_atom`: hybrid efficiency cores
  kLowPower,  // `cpu_lowpower`: hybrid low-power efficiency cores
};

// "cpu", "core", "atom" or "lowpower".
absl::string_view CoreKindName(CoreKind kind);

struct CorePmu {
  std::string name;  // sysfs directory name, e.g. "cpu_core"
  CoreKind kind = CoreKind::kPlain;
  uint32_t type = 0;  // contents of <root>/<name>/type
  // True when there is no <root>/<name>/cpus file (a plain `cpu` PMU has
  // none): the PMU covers every CPU.
  bool all_cpus = true;
  // Contents of <root>/<name>/cpus, expanded, when all_cpus is false.
  std::vector<int> cpus;

  bool CoversCpu(int cpu) const;
  // True for the PMUs of a hybrid machine, whose generic hardware events need
  // the extended type (PMU type << 32) in their config.
  bool NeedsExtendedType() const { return kind != CoreKind::kPlain; }
};

struct PmuTopology {
  std::string sysfs_root;
  std::vector<CorePmu> core_pmus;  // in a fixed order: cpu, cpu_core, cpu_atom,
                                   // cpu_lowpower (those present)

  bool empty() const { return core_pmus.empty(); }
  bool hybrid() const { return core_pmus.size() > 1; }
  // The core PMU counting on `cpu`, or nullptr if none covers it.
  const CorePmu* PmuForCpu(int cpu) const;
  // The core PMU whose perf type is `type`, or nullptr.
  const CorePmu* PmuByType(uint32_t type) const;
  // One line, e.g. "cpu_core(type 4, cpus 0-15) cpu_atom(type 8, cpus 16-19)"
  // or "no core PMU".
  std::string Describe() const;
};

// Reads the core PMUs under `sysfs_root`. A root that does not exist is
// NotFound; a root without any core PMU gives an empty topology (a VM without
// a virtual PMU); a malformed `type` or `cpus` file is InvalidArgument.
absl::StatusOr<PmuTopology> DiscoverPmus(
    const std::string& sysfs_root = kDefaultSysfsRoot);

}  // namespace copyscope::perfmon

#endif  // COPYSCOPE_PERFMON_PMU_H_
