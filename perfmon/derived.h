// Derived figures: counter totals normalised by the work done.
//
// From one set of totals (one per event, see Totals() in reading.h) and the
// work of the measured interval (bytes, messages, seconds), computes IPC,
// cycles per byte, instructions per message, LLC misses per KiB, L1 data
// cache load misses per KiB and context switches per second. A figure is
// absent, with the reason, when an input was not counted (unsupported or not
// run) or the divisor is missing or zero; it is flagged when an input's
// coverage was below 50%.
//
// Usage:
//   Work work{.bytes = 4096 * 5000, .messages = 5000, .seconds = 0.8};
//   DerivedFigures d = Derive(Totals(readings), work);
//   if (d.ipc.value) Print("IPC", *d.ipc.value, d.ipc.low_coverage);
//   else Print("IPC", "n/a", d.ipc.why_absent);
#ifndef COPYSCOPE_PERFMON_DERIVED_H_
#define COPYSCOPE_PERFMON_DERIVED_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "perfmon/reading.h"

namespace copyscope::perfmon {

// The work done over the measured interval; unknown fields stay empty.
struct Work {
  std::optional<uint64_t> bytes;
  std::optional<uint64_t> messages;
  std::optional<double> seconds;
};

struct Figure {
  std::optional<double> value;
  bool low_coverage = false;  // an input's coverage was below kLowCoverage
  std::string why_absent;     // set when value is empty
};

struct DerivedFigures {
  Figure ipc;                          // instructions / cycles
  Figure cycles_per_byte;              // cycles / bytes
  Figure instructions_per_message;     // instructions / messages
  Figure llc_misses_per_kib;           // cache-misses / (bytes / 1024)
  Figure l1_misses_per_kib;            // L1-dcache-load-misses / (bytes/1024)
  Figure context_switches_per_second;  // context-switches / seconds

  // The figures with their names, in the order above ("ipc",
  // "cycles_per_byte", ...), for tables and results files.
  std::vector<std::pair<const char*, const Figure*>> Named() const;
  // True if any present figure is flagged.
  bool AnyLowCoverage() const;
};

// `totals`: one reading per event, found by canonical name ("cycles",
// "instructions", "cache-misses", "L1-dcache-load-misses",
// "context-switches").
DerivedFigures Derive(const std::vector<Reading>& totals, const Work& work);

}  // namespace copyscope::perfmon

#endif  // COPYSCOPE_PERFMON_DERIVED_H_
