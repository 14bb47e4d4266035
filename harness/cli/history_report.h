// What `copyscope history` prints: each cell's figures across runs, and the
// verdicts of `history --check`, as text or JSON. Pure functions over what
// the history returned (record/history.h) and the checks of it
// (record/history_check.h).
//
//   std::vector<record::CellHistory> cells = *history.Query(filter);
//   fputs(FormatHistory(cells, /*with_testbed=*/false).c_str(), stdout);
//   std::vector<record::CellCheck> checks =
//       record::CheckLatestRun(cells, HigherIsBetter);
//   for (const record::CellCheck& c : checks)
//     if (Counts(c, options)) puts(RegressionLine(c).c_str());
#ifndef COPYSCOPE_HARNESS_CLI_HISTORY_REPORT_H_
#define COPYSCOPE_HARNESS_CLI_HISTORY_REPORT_H_

#include <optional>
#include <string>
#include <vector>

#include "harness/record/history.h"
#include "harness/record/history_check.h"

namespace copyscope::cli {

// Whether more of the cell's metric is better (metrics.h's catalogue;
// unknown metrics are taken as throughputs).
bool HigherIsBetter(const record::CellHistory& cell);

// "two_copy 65536 B x1 stream, 8 fields" (and ", client-to-server" for
// such a stream): the whole key.
std::string CellKeyLabel(const record::HistoryKey& key);

// Per cell a title line (key, metric, unit, which way is better), then one
// row per run: run id, build, start time, median, 95% CI, n, status, and
// the testbed's first 12 hex digits when with_testbed.
std::string FormatHistory(const std::vector<record::CellHistory>& cells,
                          bool with_testbed);

// The same as one JSON object: {"history": PATH, "testbed": T, "cells":
// [{"key": {...}, "label", "metric", "unit", "better", "points": [{"run_id",
// "started_utc", "build", "git_commit", "git_dirty", "version", "testbed",
// "status", "median", "ci95_low", "ci95_high", "n", "unstable",
// "values"}]}]}; absent figures are null.
std::string HistoryJson(const std::string& path, const std::string& testbed,
                        const std::vector<record::CellHistory>& cells);

// The change that decided a check's verdict: the latest run's when it is
// significant and beyond the noise floor, else the step's (what
// record::CheckCell decides by, at options.alpha).
const record::Change* DecidingChange(
    const record::CellCheck& check,
    const record::CheckOptions& options = record::CheckOptions());

// Whether a check counts as a regression: regressed and, when fail_above
// (a fraction) is above 0, with even the favourable end of the change's
// interval worse than fail_above.
bool Counts(const record::CellCheck& check, double fail_above);

// One line: "regressed: LABEL: METRIC -62.3% [-65.0%, -58.1%], p=0.0025
// (the latest run against 6 earlier runs; noise floor 4.1%); build
// before: BUILD (run A), after: BUILD (run B)".
std::string RegressionLine(const record::CellCheck& check);

// Every check as one JSON object: {"history", "run", "testbed",
// "fail_above", "regressed": N, "cells": [{"key", "label", "metric",
// "verdict", "counts", "reason", "runs", "within_run_spread",
// "between_run_band", "noise_floor", "latest": {...} or null, "step":
// {...} or null, "change_points"}]}; a change is {"before": {"run_id",
// "build"}, "after": {...}, "n_before", "n_after", "p", "shift", "ci_low",
// "ci_high", "rel", "rel_low", "rel_high", "worse"}.
std::string CheckJson(const std::string& path, const std::string& run_id,
                      const std::string& testbed,
                      const std::vector<record::CellCheck>& checks,
                      double fail_above);

}  // namespace copyscope::cli

#endif  // COPYSCOPE_HARNESS_CLI_HISTORY_REPORT_H_
