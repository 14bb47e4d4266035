// Counters per role and where the threads ran, computed at report time from
// a run's record (the per-thread perf records and placements the hooks
// wrote), for `copyscope run` and `copyscope show`.
//
//   record::Run run = ...;                              // or ReadRunFile()
//   fputs(FormatPerfTable(run).c_str(), stdout);        // "" if no counters
//   fputs(FormatPlacementTable(run).c_str(), stdout);   // pinned threads
//   for (const std::string& a : PlacementAnomalies(run)) puts(a.c_str());
//
// A role's totals in one sample add its threads' counts event by event
// (perfmon's SumAcross: unsupported if any thread's is, not run if any did
// not run). The work is the sample's: the bytes and messages the measuring
// side counted, and the role's mean measured interval. The derived figures
// follow perfmon/derived.h (IPC, cycles per byte, instructions per message,
// LLC and L1 misses per KiB, context switches per second); one whose input
// was not counted is absent, never zero. Tables show per cell the median
// over its ok samples.
#ifndef COPYSCOPE_HARNESS_CLI_PERF_REPORT_H_
#define COPYSCOPE_HARNESS_CLI_PERF_REPORT_H_

#include <string>
#include <vector>

#include "harness/record/record.pb.h"
#include "harness/engine/results.h"
#include "perfmon/derived.h"
#include "perfmon/reading.h"

namespace copyscope::harness {

struct RolePerf {
  // "server", "client", or "both" (CPU scope over CPUs the roles share).
  std::string role;
  int threads = 0;                       // threads whose records were added
  std::vector<perfmon::Reading> totals;  // one per event, in record order
  perfmon::Work work;
  perfmon::DerivedFigures derived;
};

// A record's perf counter as the runner's struct (see counter_hooks.h for
// the reading it stands for).
PerfCounterRecord FromProto(const record::PerfCounter& p);

// The roles of one sample that have perf records, server first.
std::vector<RolePerf> RolePerfOf(const record::Sample& sample);

// "counters per role" table: one row per cell and role, a column for every
// event and derived figure with a value somewhere (the others are named in
// a footer), "-" where a value is missing, "*" on coverage below 50%.
// Empty when no sample has perf records.
std::string FormatPerfTable(const record::Run& run);

// Where each thread ran, one row per cell and thread: pinned CPU, CPUs at
// start and end, every CPU seen and migrations (over the cell's samples),
// followed by the anomalies. Empty when no thread recorded a placement.
std::string FormatPlacementTable(const record::Run& run);

// One line per pinned thread that ran elsewhere or migrated, e.g.
// "anomaly: two_copy 4K x1 rep 2: server 0 pinned to CPU 0 ran on CPUs
// 0,1 (start 0, end 1), 1 migration".
std::vector<std::string> PlacementAnomalies(const record::Run& run);

// True when some thread of the run was pinned.
bool AnyPinned(const record::Run& run);

// Stores the per-role figures in the record, as metrics of every sample
// that has perf records (so each also gets its statistics over the
// samples): "<role>_perf_<event>" for every event that counted ("-"
// becomes "_"; task-clock in seconds as "<role>_perf_task_clock_s") and
// "<role>_<figure>" for every derived figure with a value (ipc,
// cycles_per_byte, instructions_per_message, llc_misses_per_kib,
// l1_misses_per_kib, context_switches_per_second); role is server, client
// or both. Metrics already there are kept; cells that gained one have their
// aggregates recomputed with max_cv.
void AddPerfMetrics(double max_cv, record::Run* run);

// What `run` and `show` print after the results table: the counters table
// and, when a thread was pinned, where the threads ran (with anomalies).
// Each part is preceded by a blank line; empty when there is neither.
std::string FormatRunReport(const record::Run& run);

}  // namespace copyscope::harness

#endif  // COPYSCOPE_HARNESS_CLI_PERF_REPORT_H_
