// summary.csv: one row per cell. The first nine columns are those of the
// reference studies' CSV (impl,size,threads,throughput_gbps,latency_us,
// cycles,l1_misses,llc_misses,cs); values not measured by this version
// (latency, hardware counters, context switches) are left empty, never
// zero. Then fields, messages_per_sec, mean_us_per_msg, zc_copied_fraction,
// status, and plugin_counters ("sender.NAME=V;receiver.NAME=V", summed over
// the cell's connections).
//
//   std::string csv = SummaryCsv(cells);   // header line + one row per cell
//   WriteFileAtomically(dir + "/summary.csv", csv);   // see output_dir.h
#ifndef COPYSCOPE_HARNESS_CSV_WRITER_H_
#define COPYSCOPE_HARNESS_CSV_WRITER_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "harness/results.h"

namespace copyscope::harness {

// The header line, without the newline.
std::string SummaryCsvHeader();

// Header and rows, each line ending in "\n".
std::string SummaryCsv(const std::vector<CellResult>& cells);

// One field, quoted per RFC 4180 when it holds a comma, quote or newline.
std::string CsvField(absl::string_view text);

}  // namespace copyscope::harness

#endif  // COPYSCOPE_HARNESS_CSV_WRITER_H_
