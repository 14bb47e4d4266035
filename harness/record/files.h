// A run's files, and whether a record is complete.
//
//   run.pb       the record: the Run without its end, then its end (a
//                RecordTrailer: the state the run ended in, the cell count
//                and the SHA-256 of every byte before it)
//   run.jsonl    the same in the proto3 JSON mapping (field names as in
//                record.proto): line 1 the header (the Run without its
//                cells), one line per Cell in plan order, and last the line
//                {"trailer": {"state": ..., "cells": N, "sha256": ...}} over
//                the bytes before it
//   summary.csv  one row per cell (csv_writer.h)
//
// While a run goes on the files are rewritten after every sample without a
// trailer, so a run killed by SIGKILL or a crash leaves a record that is
// visibly incomplete; the last write of a run ends it with "complete",
// "interrupted" (SIGINT, SIGTERM, SIGHUP) or "stopped: <why>". Each file is
// replaced atomically (OutputDir::Write).
//
//   absl::Status s = WriteRunFiles(dir, run, /*state=*/"");      // going on
//   s = WriteRunFiles(dir, run, "complete");                      // the end
//   absl::StatusOr<RunFile> back = ReadRunFile("results/x");      // `show`
//   if (back.ok() && back->state != "complete") ...;  // incomplete, ...
//   // a damaged record (checksum mismatch, cut short, not a record) is a
//   // DataLoss error naming the file and what is wrong
#ifndef COPYSCOPE_HARNESS_RECORD_FILES_H_
#define COPYSCOPE_HARNESS_RECORD_FILES_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "harness/record/output_dir.h"
#include "harness/record/record.pb.h"

namespace copyscope::record {

// What a record without a trailer is.
inline constexpr char kIncomplete[] = "incomplete";

// The bytes of the files (exposed for tests and tools). state "": no
// trailer.
std::string RunPbBytes(const Run& run, const std::string& state);
std::string RunJsonLines(const Run& run, const std::string& state);

// Writes run.pb, run.jsonl and summary.csv into dir; state "" while the run
// goes on, else the trailer's state. Returns the first write error; the
// bytes written in all.
absl::StatusOr<uint64_t> WriteRunFiles(OutputDir& dir, const Run& run,
                                       const std::string& state);

struct RunFile {
  Run run;  // without its end
  // The trailer's state; kIncomplete without one; "complete" for a record
  // of an older writer that ended with the old end marker.
  std::string state;
};

// Reads dir/run.pb (or the file itself when `path` names a regular file).
// Errors: NotFound (nothing to read: the fix named), InvalidArgument (not a
// regular file), DataLoss (damaged: not a record, cut short, or a checksum
// or cell count that does not match).
absl::StatusOr<RunFile> ReadRunFile(const std::string& path);

// The first line `show`, `report` and `compare` print about a record that
// is not complete, e.g. "record: incomplete (no trailer: the run was killed
// or is still going); 3 of 8 cells"; "" for a complete one.
std::string CompletenessNote(const RunFile& file);

// The statistics of every cell, without raw samples, as one pretty JSON
// object (proto3 JSON mapping of Run).
std::string SummaryJson(const Run& run);

}  // namespace copyscope::record

#endif  // COPYSCOPE_HARNESS_RECORD_FILES_H_
