// Per-CPU load over an interval, from /proc/stat: how each CPU's time went
// to user code, the kernel, hard and soft interrupts (where much of the
// network receive path runs), steal and idle while a cell was measured, on
// the CPUs its threads were pinned to and on the rest.
//
//   absl::StatusOr<CpuSnapshot> before = ReadCpuSnapshot();  // window opens
//   ... the measured interval ...
//   absl::StatusOr<CpuSnapshot> after = ReadCpuSnapshot();   // window closes
//   CpuLoad load = Delta(*before, *after, window);  // window: caller's clock
//   CpuGroupLoad pinned = LoadOf(load, {0, 1});     // the threads' CPUs
//   CpuGroupLoad rest = LoadOfOthers(load, {0, 1});
//   pinned.times.softirq_s;          // seconds of softirq on CPUs 0 and 1
//   pinned.times.Utilisation();      // busy share of their time
//   pinned.unknown;                  // CPUs left out, see load.cpus[i].why
//
// Read only at the edges of an interval: one snapshot costs about 10 us
// of CPU with 2 CPUs (cpu_load_benchmark), most of it the kernel
// formatting /proc/stat, which grows with the CPU count.
//
// The counters are the kernel's, in USER_HZ ticks (sysconf(_SC_CLK_TCK)),
// converted to seconds. The kernel already adds guest time to user and
// guest_nice to nice, so the guest columns are not read and nothing is
// counted twice. A CPU whose delta cannot be known is left out of every
// sum and named, never counted as zero: one that is online in only one
// snapshot (hotplug) or whose counters went backwards (hotplug between the
// snapshots; iowait of a tickless idle CPU is also known to step back).
//
// Mapping to the record (for whoever adds it to record.proto): a Sample
// would carry a `CpuLoad` message with `wall_s` (CpuLoad::wall), one
// `CpuTimes` per known CPU (`cpu` and the eight `*_s` of CpuTimes), a
// `repeated UnknownCpu { cpu, why }` from the CPUs whose times are absent,
// and `CpuTimes pinned` and `CpuTimes rest` with `repeated int32
// pinned_unknown`, `rest_unknown` from LoadOf and LoadOfOthers. Seconds
// are raw; utilisation is a figure to derive in record/metrics, not to
// store.
#ifndef COPYSCOPE_HARNESS_ENV_CPU_LOAD_H_
#define COPYSCOPE_HARNESS_ENV_CPU_LOAD_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace copyscope::env {

// Ticks (USER_HZ) of one CPU since boot, the first eight columns of its
// `cpuN` line. user includes guest and nice includes guest_nice.
struct CpuJiffies {
  uint64_t user = 0;
  uint64_t nice = 0;
  uint64_t system = 0;
  uint64_t idle = 0;
  uint64_t iowait = 0;
  uint64_t irq = 0;
  uint64_t softirq = 0;
  uint64_t steal = 0;
};

// The per-CPU lines of one read of /proc/stat.
struct CpuSnapshot {
  std::map<int, CpuJiffies> cpus;  // by CPU number: those online at the read
  int64_t user_hz = 0;             // ticks per second of the counters
};

// Reads `path` (a file in /proc/stat's format). Errors: the file cannot be
// read, a `cpu` line is malformed (a name other than cpu or cpuN, fewer
// than eight counters, a counter that is not a number), a CPU appears
// twice, or there is no cpuN line.
absl::StatusOr<CpuSnapshot> ReadCpuSnapshot(
    const std::string& path = "/proc/stat");

// The same, from text already read; `source` names it in errors.
absl::StatusOr<CpuSnapshot> ParseProcStat(absl::string_view text,
                                          int64_t user_hz,
                                          absl::string_view source);

// Seconds in each state over an interval, of one CPU or summed over CPUs.
struct CpuTimes {
  double user_s = 0;
  double nice_s = 0;
  double system_s = 0;
  double idle_s = 0;
  double iowait_s = 0;
  double irq_s = 0;
  double softirq_s = 0;
  double steal_s = 0;

  double Total() const;  // every state
  double Busy() const;   // every state but idle and iowait
  // Busy() / Total(); nullopt when Total() is 0 (no tick elapsed).
  std::optional<double> Utilisation() const;
  CpuTimes& operator+=(const CpuTimes& o);
};

// One CPU over the interval.
struct CpuDelta {
  int cpu = 0;
  std::optional<CpuTimes> times;  // absent: unknown, and `why` says why
  std::string why;  // "online only at the end", "online only at the start",
                    // "counters went backwards: idle"
};

// A sum over a set of CPUs; the CPUs of the set whose delta is unknown are
// named in `unknown` and are not part of `times`.
struct CpuGroupLoad {
  CpuTimes times;
  std::vector<int> counted;  // ascending
  std::vector<int> unknown;  // ascending
};

struct CpuLoad {
  absl::Duration wall;         // the interval by the caller's clock
  std::vector<CpuDelta> cpus;  // every CPU of either snapshot, ascending
  CpuGroupLoad total;          // over all of them
};

// The load between two snapshots of the same machine. `wall` is the
// interval the caller measured (e.g. its window), reported as is. When the
// snapshots disagree on USER_HZ (not from one process), every CPU is
// unknown.
CpuLoad Delta(const CpuSnapshot& before, const CpuSnapshot& after,
              absl::Duration wall);

// The load over `cpus` (e.g. those the run's threads were pinned to;
// duplicates are fine). A CPU of the list that neither snapshot had is
// unknown.
CpuGroupLoad LoadOf(const CpuLoad& load, const std::vector<int>& cpus);

// The load over every CPU of `load` that is not in `cpus`.
CpuGroupLoad LoadOfOthers(const CpuLoad& load, const std::vector<int>& cpus);

}  // namespace copyscope::env

#endif  // COPYSCOPE_HARNESS_ENV_CPU_LOAD_H_
