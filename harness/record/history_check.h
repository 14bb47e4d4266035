// Whether the latest run regressed: for each of its cells, the figures of
// that cell in earlier runs on the same testbed (History::Query) are
// compared with the latest, in two ways.
//
//   std::vector<CellHistory> cells = *history.Query(filter);
//   auto higher = [](const CellHistory& c) {
//     const MetricDef* d = FindMetric(c.metric);     // metrics.h
//     return d == nullptr || d->better != Better::kLower;
//   };
//   for (const CellCheck& c : CheckLatestRun(cells, higher))
//     if (c.verdict == Verdict::kRegressed) puts(c.reason.c_str());
//
// 1. The latest run against its baseline: a Mann-Whitney test (rank_test.h)
//    of the latest run's repetitions against the pooled repetitions of the
//    earlier runs since their last change point (found among the earlier
//    runs alone; all of them when there is none), with the Hodges-Lehmann
//    shift and its interval.
// 2. Change points of the run estimates (change_point.h: E-divisive with a
//    permutation test, the run as the unit), of which the most recent says
//    when the level the latest run belongs to began: the step, sized by
//    the Hodges-Lehmann shift of the estimates after it against those of
//    the segment before it, with the builds on either side.
// Each test is made at alpha / 2 (Bonferroni over the two, so a cell that
// did not change is flagged about alpha of the time), and so are the
// intervals (1 - alpha/2). A change counts when it is significant, in the
// metric's bad (or good) direction, and at least as large as its noise
// floor. For the step: the spread between repetitions within runs, the
// median over runs of their relative MAD, as the report's noise floor (the
// permutation test already weighs how runs differ). For the latest run:
// the larger of that and the band runs vary in, the half-width of a
// robust prediction band for one more run, t(1 - alpha/4, n - 1) x
// sqrt(1 + 1/n) x 1.4826 x the relative MAD of the n baseline run
// estimates. The rank test pools repetitions of several runs as if they
// were independent, so when runs differ by more than their repetitions do
// it is significant for most runs; the band keeps a run that lies where
// runs usually lie from counting. The latest run's own shift decides
// first, else the step; the reason says which, in one line.
//
// Pure functions: no I/O, the same answer for the same input (the
// permutations are seeded).
#ifndef COPYSCOPE_HARNESS_RECORD_HISTORY_CHECK_H_
#define COPYSCOPE_HARNESS_RECORD_HISTORY_CHECK_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "harness/record/history.h"

namespace copyscope::record {

enum class Verdict {
  kRegressed,    // significantly worse, beyond the noise floor
  kImproved,     // significantly better, beyond the noise floor
  kWithinNoise,  // significant, but smaller than the noise floor
  kNoChange,     // not significant
  kUntestable,   // too few runs or repetitions to tell
};

// "regressed", "improved", "within noise", "no change", "untestable".
const char* VerdictName(Verdict v);

struct CheckOptions {
  double alpha = 0.05;     // for the verdict; each test gets half
  int permutations = 199;  // of the change-point test
  uint64_t seed = 1;
  int min_segment = 2;  // runs on each side of a change point
};

// One comparison: the values after against those before.
struct Change {
  RunRef before;     // the last run before the change
  RunRef after;      // the first run after it (the latest run, for test 1)
  int n_before = 0;  // values compared: repetitions (1) or runs (2)
  int n_after = 0;
  double p = 1;
  double shift = 0;  // Hodges-Lehmann, after - before, the metric's unit
  std::optional<double> ci_low;
  std::optional<double> ci_high;
  // The same relative to the median before (-0.1: 10% lower); empty when
  // that median is 0.
  std::optional<double> rel;
  std::optional<double> rel_low;
  std::optional<double> rel_high;
  bool worse = false;  // in the metric's bad direction
};

struct CellCheck {
  HistoryKey key;
  std::string metric;
  bool higher_is_better = true;
  std::string fingerprint;  // the latest run's; earlier runs on others skipped
  int runs = 0;             // runs with an estimate on that testbed
  Verdict verdict = Verdict::kUntestable;
  std::string reason;  // one line
  // Fractions; empty when not known (runs of one repetition, too few
  // runs). noise_floor is the latest run's: the larger of the other two.
  std::optional<double> within_run_spread;
  std::optional<double> between_run_band;
  std::optional<double> noise_floor;
  std::optional<Change> latest;    // test 1; empty when not testable
  std::string latest_untestable;   // why test 1 could not be made
  std::optional<Change> step;      // test 2: the most recent change point
  std::vector<int> change_points;  // indexes into the runs used, ascending
};

// The check of one cell's history; its last point is the latest run.
CellCheck CheckCell(const CellHistory& cell, bool higher_is_better,
                    const CheckOptions& options = {});

// The checks of the cells of a run, each against the runs before it (the
// points after it are left out). Cells without that run are left out.
std::vector<CellCheck> CheckRun(
    const std::vector<CellHistory>& cells, const std::string& run_id,
    const std::function<bool(const CellHistory&)>& higher_is_better,
    const CheckOptions& options = {});

// CheckRun of the latest run: the one started last among all points (of
// runs started at the same time, the greatest run_id).
std::vector<CellCheck> CheckLatestRun(
    const std::vector<CellHistory>& cells,
    const std::function<bool(const CellHistory&)>& higher_is_better,
    const CheckOptions& options = {});

}  // namespace copyscope::record

#endif  // COPYSCOPE_HARNESS_RECORD_HISTORY_CHECK_H_
