// Counter event names and their perf_event_attr encodings.
//
// copyscope knows a generic set by name (the same names `perf stat` uses):
// hardware cycles, instructions, cache-references, cache-misses (last-level
// cache misses), L1-dcache-load-misses, branch-misses; software task-clock,
// context-switches, cpu-migrations, page-faults. Any other perf-style name
// ("dTLB-load-misses", "major-faults", "cpu_core/...": whatever libpfm4 knows
// for this CPU) is resolved through libpfm4. Unknown names are an error that
// names the event.
//
// Usage:
//   absl::StatusOr<std::vector<EventSpec>> events =
//       ParseCounters("cycles,task-clock,dTLB-load-misses");  // --counters=
//   perf_event_attr attr = EncodeAttr((*events)[0], &pmus.core_pmus[0]);
#ifndef COPYSCOPE_PERFMON_EVENTS_H_
#define COPYSCOPE_PERFMON_EVENTS_H_

#include <linux/perf_event.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "perfmon/pmu.h"

namespace copyscope::perfmon {

enum class EventKind {
  // A generic hardware or hardware-cache event (PERF_TYPE_HARDWARE or
  // PERF_TYPE_HW_CACHE): opened once per core PMU, so a thread is counted on
  // every kind of core of a hybrid machine.
  kHardware,
  // A software event (PERF_TYPE_SOFTWARE): kernel-maintained, always there.
  kSoftware,
  // An event of one specific PMU (raw encodings from libpfm4): opened once,
  // grouped with the core PMU of the same type if there is one.
  kPmuSpecific,
};

absl::string_view EventKindName(EventKind kind);  // "hardware", ...

struct EventSpec {
  std::string name;  // canonical name, reported as is ("cycles")
  EventKind kind = EventKind::kSoftware;
  uint32_t type = 0;    // perf_event_attr.type
  uint64_t config = 0;  // low 32 bits only for kHardware
  uint64_t config1 = 0;
  uint64_t config2 = 0;
  bool exclude_user = false;
  bool exclude_kernel = false;  // kernel work is counted unless asked not to
  bool exclude_hv = false;
  // Where the encoding came from: "generic", or libpfm4's fully qualified
  // name (e.g. "perf::PERF_COUNT_HW_CACHE_DTLB:READ:MISS:...").
  std::string source;
};

// The default set, in report order: the six hardware events, then the four
// software events.
std::vector<EventSpec> DefaultEvents();

// The generic event called `name` (or one of perf's aliases: "cpu-cycles",
// "cs", "migrations", "faults"), else libpfm4's encoding for it.
// Unknown names are InvalidArgument naming the event.
absl::StatusOr<EventSpec> ResolveEvent(absl::string_view name);

// Parses the value of --counters: "none" (no counters), "default"
// (DefaultEvents()), or a comma list of names where "default" may appear as
// one item. Empty items, duplicates and unknown names are InvalidArgument.
absl::StatusOr<std::vector<EventSpec>> ParseCounters(absl::string_view value);

// The attr that opens `event` on `pmu` (nullptr: no specific core PMU). For a
// kHardware event on a hybrid PMU the PMU type goes into config bits 63..32
// (PERF_PMU_TYPE_SHIFT); otherwise the encoding is used as is. Only the event
// identity and privilege filters are set; read_format, disabled etc. are the
// caller's.
perf_event_attr EncodeAttr(const EventSpec& event, const CorePmu* pmu);

}  // namespace copyscope::perfmon

#endif  // COPYSCOPE_PERFMON_EVENTS_H_
