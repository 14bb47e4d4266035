// Is a sample steady? A sample is also a series of slices in time (e.g.
// bytes per 100 ms); a figure that climbs or sinks through the sample (a
// warm-up that did not end, a queue that filled, a CPU that throttled) is
// not one steady state, and its mean stands for none. The Mann-Kendall test
// says whether the series trends, Sen's slope by how much.
//
//   std::vector<double> bytes = {...};  // one value per slice, in order
//   std::optional<TrendTest> t = MannKendall(bytes);
//   if (t && t->verdict == TrendVerdict::kTrending) {
//     // "trending: tau 0.60, p 0.0002, +15% over the sample"
//     printf("%s: tau %.2f, p %.2g, %+.0f%% over the sample\n",
//            TrendVerdictName(t->verdict), t->tau, t->p,
//            100 * t->relative_change.value_or(0));
//   }
//
// The test: S = sum over pairs i < j of sign(x_j - x_i) (ties count 0).
// Its p-value (two-sided) is exact for n <= 10 without ties (the
// distribution of Kendall's S, from the number of permutations with k
// inversions), else from the normal approximation with the variance
// corrected for ties, Var(S) = [n(n-1)(2n+5) - sum_t t(t-1)(2t+5)] / 18
// over groups of t equal values, and a continuity correction, z = (S -
// sign(S)) / sqrt(Var(S)). The verdict is "trending" when p < alpha AND
// |tau| >= min_abs_tau: on a long series a trend too small to matter is
// significant, and the floor on tau keeps that "steady".
//
// Pure functions. A series shorter than kMinTrendPoints (where even a
// perfect trend cannot reach p < 0.05: 4 points give p >= 1/12), longer
// than kMaxTrendPoints, or with a NaN or infinity gives an empty result.
#ifndef COPYSCOPE_HARNESS_RECORD_TREND_H_
#define COPYSCOPE_HARNESS_RECORD_TREND_H_

#include <cstdint>
#include <optional>
#include <vector>

namespace copyscope::record {

inline constexpr int kMinTrendPoints = 5;
// Sen's slope sorts n(n-1)/2 slopes: 2000 points are 2M slopes, 16 MB.
// Merge adjacent slices of a longer series first (their sums keep a trend).
inline constexpr int kMaxTrendPoints = 2000;

struct TrendOptions {
  double alpha = 0.05;       // significance level of the two-sided test
  double min_abs_tau = 0.3;  // the smallest |tau| called a trend
};

enum class TrendVerdict { kSteady, kTrending };

const char* TrendVerdictName(TrendVerdict v);  // "steady", "trending"

struct TrendTest {
  int n = 0;
  int64_t s = 0;     // Mann-Kendall S: concordant minus discordant pairs
  double var_s = 0;  // Var(S) without a trend, corrected for ties
  // Kendall's tau-b of value against time: S / sqrt(N (N - T)), N = n(n-1)
  // / 2, T = sum_t t(t-1)/2 (S / N without ties); in [-1, 1]; 0 for a
  // constant series.
  double tau = 0;
  double p = 1;        // two-sided p-value; 1 for a constant series
  bool exact = false;  // p from the exact distribution of S
  TrendVerdict verdict = TrendVerdict::kSteady;
  // Sen's slope: the median of (x_j - x_i) / (j - i) over pairs i < j, in
  // the series' unit per slice; robust to a few odd slices.
  double sen_slope = 0;
  double median = 0;  // of the series
  // sen_slope / |median|: the change per slice as a fraction of the level;
  // empty when the median is 0.
  std::optional<double> relative_slope;
  // sen_slope * (n - 1) / |median|: the change from the first slice to the
  // last as a fraction of the level (0.15 = +15% over the sample); empty
  // when the median is 0.
  std::optional<double> relative_change;
};

// The Mann-Kendall test of `series` (values in time order, evenly
// spaced) with Sen's slope; see the file comment. Empty for fewer than
// kMinTrendPoints or more than kMaxTrendPoints values, a non-finite value,
// or options outside 0 < alpha < 1, 0 <= min_abs_tau <= 1.
std::optional<TrendTest> MannKendall(const std::vector<double>& series,
                                     const TrendOptions& options = {});

// Sen's slope alone (the Theil-Sen estimator against 0, 1, 2, ...): the
// median of (x_j - x_i) / (j - i) over pairs i < j. Empty for fewer than 2
// or more than kMaxTrendPoints values, or a non-finite value.
std::optional<double> SenSlope(const std::vector<double>& series);

}  // namespace copyscope::record

#endif  // COPYSCOPE_HARNESS_RECORD_TREND_H_
