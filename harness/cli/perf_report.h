// Counters per role and where the threads ran, as tables of a run's record
// (the per-thread perf records and placements the hooks wrote), for
// `copyscope run` and `copyscope show`.
//
//   record::Run run = ...;                              // or ReadRunFile()
//   fputs(FormatPerfTable(run).c_str(), stdout);        // "" if no counters
//   fputs(FormatPlacementTable(run).c_str(), stdout);   // pinned threads
//   for (const std::string& a : PlacementAnomalies(run)) puts(a.c_str());
//
// A role's totals and the figures derived from them come from
// record::RolePerfOf (harness/record/metrics.h), the one place they are
// computed; an event or figure not counted is absent, never zero. Tables
// show per cell the median over its ok samples.
#ifndef COPYSCOPE_HARNESS_CLI_PERF_REPORT_H_
#define COPYSCOPE_HARNESS_CLI_PERF_REPORT_H_

#include <string>
#include <vector>

#include "harness/record/record.pb.h"

namespace copyscope::cli {

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

// One line per cell whose TCP connections were held back (retransmissions,
// receive window, send buffer: record/tcp_limits.h), e.g. "  two_copy 4K
// x1: 3.1% of segments retransmitted, rwnd-limited 40% of the time", under
// a title; empty when no cell's were.
std::string FormatLimits(const record::Run& run);

// One line per crr cell whose connections were not all set up at once
// (record::ExplainConnectionSetup: listen queue overflows and drops,
// connects retried, TIME_WAIT table full), e.g. "  two_copy 64 B x2:
// listen queue overflowed 12 times in 2 of 5 samples (ListenOverflows)",
// under a title; empty when no cell's were.
std::string FormatConnectionSetup(const record::Run& run);

// What `run` and `show` print after the results table: the TCP limits, the
// connection setup of crr cells, the counters table and, when a thread was
// pinned, where the threads ran (with anomalies). Each part is preceded by a
// blank line; empty when there is none.
std::string FormatRunReport(const record::Run& run);

}  // namespace copyscope::cli

#endif  // COPYSCOPE_HARNESS_CLI_PERF_REPORT_H_
