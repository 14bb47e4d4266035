// summary.csv: one row per cell of a run record, values are the medians
// over the cell's repetitions. The first nine columns are those of the
// reference studies' CSV (impl,size,threads,throughput_gbps,latency_us,
// cycles,l1_misses,llc_misses,cs); latency_us is the rr p50 round trip and
// is empty in stream mode; cycles, l1_misses and llc_misses are server +
// client over the measured interval (from perf events cycles,
// L1-dcache-load-misses and cache-misses) and empty when not counted; cs is
// the context switches of both roles' threads in the measured interval.
// Empty means not measured, never zero. converged is 1 when the primary
// figure's 95% CI met the stopping rule (record.proto Cell.converged),
// outliers the samples outside its MAD fences, trending the samples whose
// slices still trended. The rest: see SummaryCsvHeader()
// and the README; plugin_counters is "server.NAME=V;client.NAME=V" summed
// over connections and repetitions; the last, recv, is the receiving side's
// plugin when --recv chose one other than impl (else empty).
//
//   std::string csv = SummaryCsv(run);   // header line + one row per cell
//   WriteFileAtomically(dir + "/summary.csv", csv);   // see output_dir.h
#ifndef COPYSCOPE_HARNESS_RECORD_CSV_WRITER_H_
#define COPYSCOPE_HARNESS_RECORD_CSV_WRITER_H_

#include <string>

#include "absl/strings/string_view.h"
#include "harness/record/record.pb.h"

namespace copyscope::record {

// The header line, without the newline.
std::string SummaryCsvHeader();

// Header and rows, each line ending in "\n".
std::string SummaryCsv(const record::Run& run);

// One field, quoted per RFC 4180 when it holds a comma, quote or newline.
std::string CsvField(absl::string_view text);

}  // namespace copyscope::record

#endif  // COPYSCOPE_HARNESS_RECORD_CSV_WRITER_H_
