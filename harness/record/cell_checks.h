// Judging the samples of one cell beyond their statistics (record.h):
// which samples are outliers, whether the cell's primary figure has
// converged under the stopping rule of --reps=auto, and whether a sample
// was in a steady state through its slices.
//
//   FlagOutliers(&cell);        // Sample.outlier, Cell.outliers
//   std::optional<RepCheck> c = JudgeConvergence(rule, &cell);
//   // Cell.convergence (decision "continue", "converged" or "gave up";
//   // the sweep names the others), Cell.converged
//   record::Trend t = SliceTrend(sample);   // "steady", "trending", ...
//
// The primary figure (stream: throughput_gbps; rr: transactions_per_sec;
// crr: connections_per_sec) of the ok samples, in sample order, is what the
// first two look at.
#ifndef COPYSCOPE_HARNESS_RECORD_CELL_CHECKS_H_
#define COPYSCOPE_HARNESS_RECORD_CELL_CHECKS_H_

#include <optional>
#include <string>
#include <vector>

#include "harness/record/convergence.h"
#include "harness/record/record.pb.h"
#include "harness/record/trend.h"

namespace copyscope::record {

// Outliers lie outside median +- kOutlierMadK scaled MAD (outliers.h),
// judged from kMinSamplesForFences ok samples: with fewer, the MAD of so
// few values says little of their spread.
inline constexpr double kOutlierMadK = 3.0;
inline constexpr int kMinSamplesForFences = 5;

// "throughput_gbps", "transactions_per_sec" for an rr key, or
// "connections_per_sec" for a crr one.
std::string PrimaryMetric(const CellKey& key);

// The primary metric of the ok samples that have it, in sample order.
std::vector<double> PrimaryValues(const Cell& cell);

// Flags (Sample.outlier) the ok samples whose primary figure lies outside
// the MAD fences and counts them (Cell.outliers); clears both below
// kMinSamplesForFences samples. Nothing is removed.
void FlagOutliers(Cell* cell);

// Judges the primary figure's ok samples against `rule` (convergence.h)
// and writes Cell.convergence (decision "continue", "converged" or "gave
// up") and Cell.converged. Empty, clearing both, when no sample has the
// figure or the rule is invalid.
std::optional<RepCheck> JudgeConvergence(const StoppingRule& rule, Cell* cell);

// The steady-state check of one sample: the Mann-Kendall test (trend.h)
// of its slice rates, messages per second. A first or last slice shorter
// than half the median slice (cut by the window's edge) is left out;
// adjacent slices are merged pairwise while there are more than
// kMaxTrendPoints. Fewer than kMinTrendPoints slices: "untested" with the
// reason.
Trend SliceTrend(const Sample& sample, const TrendOptions& options = {});

}  // namespace copyscope::record

#endif  // COPYSCOPE_HARNESS_RECORD_CELL_CHECKS_H_
