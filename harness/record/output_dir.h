// Where a run's results go, and how they are written: a new directory per
// run (never overwriting one that holds anything), files replaced
// atomically (temporary file + rename).
//
//   absl::StatusOr<std::string> dir = ResolveOutputDir(flag_out);  // checks
//   ... run ...
//   absl::Status s = CreateOutputDir(*dir);
//   if (s.ok()) s = WriteFileAtomically(*dir + "/summary.csv", csv);
//
// Relative paths are taken from $BUILD_WORKING_DIRECTORY when set (the
// user's directory under `bazel run`), else from the current directory.
// The default is results/<UTC time>-<random id>/, e.g.
// results/20250101T120000Z-3f9a2c/.
#ifndef COPYSCOPE_HARNESS_RECORD_OUTPUT_DIR_H_
#define COPYSCOPE_HARNESS_RECORD_OUTPUT_DIR_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace copyscope::record {

// "results/<YYYYmmddTHHMMSSZ>-<6 hex digits>" for the given time.
std::string DefaultRunName(absl::Time now);

// Absolute path for the --out value (default name when empty). Fails if the
// directory exists and is not empty, or the path exists and is not a
// directory. Creates nothing.
absl::StatusOr<std::string> ResolveOutputDir(const std::string& out);

// Creates dir and its parents (mode 0755); fine if it exists and is empty.
absl::Status CreateOutputDir(const std::string& dir);

// Writes path via a temporary file in the same directory and rename(), so a
// reader sees the old file or the whole new one, never a part.
absl::Status WriteFileAtomically(const std::string& path,
                                 const std::string& contents);

}  // namespace copyscope::record

#endif  // COPYSCOPE_HARNESS_RECORD_OUTPUT_DIR_H_
