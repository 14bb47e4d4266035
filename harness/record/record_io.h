// A run's files: run.pb (the binary record), run.jsonl (the same record in
// the proto3 JSON mapping, field names as in record.proto: line 1 is the
// run header, i.e. the Run without its cells; every further line is one
// Cell, in plan order), and summary.csv (see csv_writer.h). Each file is
// replaced atomically, so the directory can be rewritten after every
// sample and a reader never sees half a file.
//
//   absl::Status s = WriteRunFiles(dir, run);
//   absl::StatusOr<record::Run> back = ReadRunFile(dir);   // for `show`
//   if (!back.ok()) { /* one line: what is wrong with which file */ }
//   std::string j = SummaryJson(run);   // --json: the run without samples
#ifndef COPYSCOPE_HARNESS_RECORD_RECORD_IO_H_
#define COPYSCOPE_HARNESS_RECORD_RECORD_IO_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "harness/record/record.pb.h"

namespace copyscope::record {

// The JSON Lines text: header line, then one line per cell.
std::string RunJsonLines(const record::Run& run);

// run.pb, run.jsonl and summary.csv in dir (which must exist).
absl::Status WriteRunFiles(const std::string& dir, const record::Run& run);

// Reads dir/run.pb (or the file itself when `path` names a file). Errors:
// missing file, not a record, or a record cut short (no trailer).
absl::StatusOr<record::Run> ReadRunFile(const std::string& path);

// The statistics of every cell, without raw samples, as one pretty JSON
// object (proto3 JSON mapping of Run).
std::string SummaryJson(const record::Run& run);

}  // namespace copyscope::record

#endif  // COPYSCOPE_HARNESS_RECORD_RECORD_IO_H_
