// The one bridge between perfmon's Reading (a counter's result in memory)
// and the record's PerfCounter (the same on disk): the state as text
// ("counted", "scaled", "not_run", "unsupported"), the raw count and value
// only when the event ran, both times, and the reason when it did not.
// FromProto(ToProto(r)) reads back what r says, for every state.
//
//   record::PerfCounter p = ToProto(reading);        // a worker's counter
//   perfmon::Reading r = FromProto(p);               // report-time maths
//   std::vector<record::PerfCounter> all = RecordsOf(group.Read().value());
#ifndef COPYSCOPE_HARNESS_RECORD_PERF_COUNTER_H_
#define COPYSCOPE_HARNESS_RECORD_PERF_COUNTER_H_

#include <vector>

#include "harness/record/record.pb.h"
#include "perfmon/reading.h"

namespace copyscope::record {

PerfCounter ToProto(const perfmon::Reading& reading);
perfmon::Reading FromProto(const PerfCounter& counter);

// The records of one group's raw readings: Totals() one per event, then on
// a hybrid machine the PerKind() parts as "<pmu>/<event>/".
std::vector<PerfCounter> RecordsOf(
    const std::vector<perfmon::Reading>& readings);

// A record of a hybrid part ("cpu_atom/cycles/") rather than a total.
bool IsPart(const PerfCounter& counter);

}  // namespace copyscope::record

#endif  // COPYSCOPE_HARNESS_RECORD_PERF_COUNTER_H_
