// The metrics catalogue: every figure copyscope derives from a sample, with
// its unit, its formula in words, and where it is shown (the screen table,
// summary.csv, the report's figures). The one place the figures are
// computed is DeriveMetrics(); the table, the CSV, the record and the report
// read them from the record, none recomputes them.
//
//   DeriveMetrics(cell.key(), &sample);   // fills sample.metrics
//   const MetricDef* d = FindMetric("server_cpu_util");
//   d->unit;                             // "CPUs"
//   for (const MetricDef& m : Catalogue()) ...   // e.g. the CSV columns
//
// Names: a family with a role in it is written "{role}_cpu_util" and stands
// for server_cpu_util, client_cpu_util (and both_... for CPU-scope counters
// shared by the roles); "{role}_perf_{event}" is every perf event that
// counted ("-" and "/" become "_"; task-clock and cpu-clock in seconds,
// with "_s" appended). A value that was not measured has no entry: never a
// zero.
#ifndef COPYSCOPE_HARNESS_RECORD_METRICS_H_
#define COPYSCOPE_HARNESS_RECORD_METRICS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "harness/record/record.pb.h"
#include "perfmon/derived.h"
#include "perfmon/reading.h"

namespace copyscope::record {

// Which way is better, for comparisons.
enum class Better { kHigher, kLower, kNeither };

struct MetricDef {
  const char* name;         // e.g. "throughput_gbps", "{role}_cpu_util"
  const char* unit;         // e.g. "Gbit/s"
  const char* description;  // one line
  const char* formula;      // how DeriveMetrics computes it, in words
  Better better;
  const char* modes;  // "stream", "rr", "crr", "rr,crr" or "" for every mode
  // summary.csv: the column (nullptr: none) and its decimals.
  const char* csv;
  int csv_decimals;
  // The report's figures that draw it (figure ids, comma-separated; "").
  const char* figures;
};

// Every metric, in the order the CSV gives their columns.
const std::vector<MetricDef>& Catalogue();

// The definition a metric name falls under (families included), or nullptr.
const MetricDef* FindMetric(absl::string_view name);

// Fills sample->metrics from the sample's raw measurements (connections,
// thread reports, counters, latency), replacing what was there. A sample
// whose status is not "ok" gets none.
void DeriveMetrics(const CellKey& key, Sample* sample);

// The value of a metric of a sample, if it has one.
const Metric* FindSampleMetric(const Sample& sample, absl::string_view name);

// The perf counters of one role of a sample, summed over its threads
// (perfmon's SumAcross: unsupported if any thread's is, not run if any did
// not run), the work they cover (the bytes and messages the measuring side
// counted, the role's mean measured interval) and the figures derived from
// them (perfmon/derived.h).
struct RolePerf {
  // "server", "client", or "both" (CPU scope over CPUs the roles share).
  std::string role;
  int threads = 0;                       // threads whose records were added
  std::vector<perfmon::Reading> totals;  // one per event, in record order
  perfmon::Work work;
  perfmon::DerivedFigures derived;
};

// The roles of one sample that have perf records, server first.
std::vector<RolePerf> RolePerfOf(const Sample& sample);

// The metric name of a role's perf event: "server_perf_context_switches",
// "client_perf_task_clock_s".
std::string PerfMetricName(absl::string_view role, absl::string_view event);

// Whether the event is CPU time (task-clock, cpu-clock), kept in seconds.
bool IsTaskClock(absl::string_view event);

// The label of CPU-scope records counted over CPUs both roles share.
inline constexpr char kBothRoles[] = "both roles";

// The ABI's generic counter names the copied fraction is built from:
// zero-copy sends the kernel completed, and those it copied anyway.
inline constexpr char kZeroCopyCompletions[] = "zerocopy_completions";
inline constexpr char kZeroCopyCopied[] = "zerocopy_copied";

}  // namespace copyscope::record

#endif  // COPYSCOPE_HARNESS_RECORD_METRICS_H_
