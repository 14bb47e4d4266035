// One console line saying which counters are missing and why.
//
// Printed once per run, not per cell: "hardware counters unsupported here:
// cycles, instructions, cache-references, cache-misses, L1-dcache-load-misses,
// branch-misses (not supported by this CPU/VM)". Events missing for different
// reasons are grouped by reason; an event missing on only some PMUs of a
// hybrid machine is named with its PMU ("L1-dcache-load-misses on cpu_atom").
//
// Usage:
//   std::string line = UnsupportedSummary(group.Unsupported());
//   if (!line.empty()) std::cerr << line << "\n";
#ifndef COPYSCOPE_PERFMON_SUMMARY_H_
#define COPYSCOPE_PERFMON_SUMMARY_H_

#include <string>
#include <vector>

#include "perfmon/reading.h"

namespace copyscope::perfmon {

// Empty when every reading is supported. Takes any readings (raw per-PMU
// readings or totals); supported ones are ignored except to tell whether an
// event is missing everywhere or on some PMUs only.
std::string UnsupportedSummary(const std::vector<Reading>& readings);

}  // namespace copyscope::perfmon

#endif  // COPYSCOPE_PERFMON_SUMMARY_H_
