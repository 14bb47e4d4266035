// The results history as the commands use it: where it is, the id a run
// has in it, and adding a record to it.
//
//   absl::StatusOr<std::string> path = HistoryPath(options.history.path);
//   absl::StatusOr<record::History> h = OpenHistory(*path);  // dirs made
//   absl::Status s = AddRecord(&*h, run);   // AlreadyExists when held
//
// The default path follows the XDG base directories:
// $XDG_DATA_HOME/copyscope/history.sqlite, or
// $HOME/.local/share/copyscope/history.sqlite when XDG_DATA_HOME is unset,
// empty or relative (the specification says to ignore a relative one). A
// relative --history is taken from $BUILD_WORKING_DIRECTORY when set (the
// user's directory under `bazel run`), as --out is. Directories that do
// not exist are created, mode 0700.
#ifndef COPYSCOPE_HARNESS_CLI_HISTORY_STORE_H_
#define COPYSCOPE_HARNESS_CLI_HISTORY_STORE_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "harness/record/history.h"
#include "harness/record/record.pb.h"

namespace copyscope::cli {

// Reads an environment variable (nullptr when unset); std::getenv by
// default, a map in tests.
using GetEnv = std::function<const char*(const char*)>;

// The history's path: `flag` (--history) when given, else the default.
// Fails, naming --history as the fix, when no home directory is known.
absl::StatusOr<std::string> HistoryPath(const std::string& flag,
                                        const GetEnv& getenv = nullptr);

// Opens (creating when absent, with its directories) the history at path.
absl::StatusOr<record::History> OpenHistory(const std::string& path);

// The id a run has in the history: its run_id when that is a default
// results directory name (<UTC time>-<random hex>, unique by itself), else
// "<run_id>@<started_utc>", so that two runs written to directories of the
// same name (--out=results/ci in every CI job) are two runs of the history,
// while one record added twice is the same run.
std::string HistoryRunId(const record::Run& run);

// Adds the record's summary (record::SummaryOf) under its testbed
// fingerprint (env::TestbedFingerprintOf) and HistoryRunId.
absl::Status AddRecord(record::History* history, const record::Run& run);

}  // namespace copyscope::cli

#endif  // COPYSCOPE_HARNESS_CLI_HISTORY_STORE_H_
