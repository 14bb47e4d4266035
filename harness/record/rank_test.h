// Is one cell's figure different from another's? The Mann-Wilcoxon-Whitney
// rank test over their repetitions, with the Hodges-Lehmann estimate of the
// shift between them and its distribution-free confidence interval. Rank
// methods assume nothing of the shape of the distribution (repetitions of
// a benchmark are often skewed, with an outlier). The same conventions as
// tools/report's stats.mann_whitney, so that the harness and the report
// agree: b against a, shift = how far b lies above a.
//
//   std::vector<double> two_copy = {9.8, 10.1, 10.0, 9.9, 10.2};
//   std::vector<double> one_copy = {10.6, 10.9, 10.5, 10.8, 11.0};
//   std::optional<RankComparison> r = MannWhitney(two_copy, one_copy);
//   r->u;      // 25: every one_copy value above every two_copy one
//   r->p;      // 0.0079 = 2 / C(10, 5), exact
//   r->shift;  // 0.8, CI [0.4, 1.1]: one_copy 0.8 Gbit/s higher
//   RankTestable(3, 3);  // false: 3 against 3 can never give p < 0.05
//
// The p-value (two-sided) is exact when there are no ties and one side has
// at most 8 values (SciPy 1.10's mannwhitneyu, method "auto"), from the
// distribution of U over the C(m+n, m) arrangements; else the normal
// approximation with the variance corrected for ties and a continuity
// correction, as SciPy's (z = (max(U_a, U_b) - mn/2 - 0.5) / sd).
//
// Pure functions. Either side empty, a NaN or infinity in either, more
// than kMaxRankPairs pairs or a confidence outside (0, 1) give an empty
// result.
#ifndef COPYSCOPE_HARNESS_RECORD_RANK_TEST_H_
#define COPYSCOPE_HARNESS_RECORD_RANK_TEST_H_

#include <optional>
#include <vector>

namespace copyscope::record {

// The m*n pairwise differences are kept and sorted: 4M pairs are 32 MB.
inline constexpr long kMaxRankPairs = 4000000;

struct RankComparison {
  int n_a = 0;
  int n_b = 0;
  // Mann-Whitney U of b: the pairs (a_i, b_j) with b_j > a_i, plus half
  // those with b_j == a_i; a's U is n_a * n_b - u. SciPy's
  // mannwhitneyu(b, a).statistic.
  double u = 0;
  double p = 1;        // two-sided; 1 when every value is equal
  bool exact = false;  // p from the exact distribution of U
  // Hodges-Lehmann shift: the median of the n_a * n_b differences b_j -
  // a_i, in the values' unit (positive: b higher).
  double shift = 0;
  // Its distribution-free interval at the confidence asked: the k-th
  // smallest and k-th largest difference, k the largest with P(U <= k - 1)
  // <= (1 - confidence) / 2 under no shift (exact distribution up to 2500
  // pairs, normal above: k = floor(mn/2 - z sqrt(mn(m+n+1)/12))). Empty
  // when even k = 1 does not reach the confidence (3 against 3 at 95%).
  std::optional<double> shift_low;
  std::optional<double> shift_high;
};

// The rank test of b against a; see the file comment.
std::optional<RankComparison> MannWhitney(const std::vector<double>& a,
                                          const std::vector<double>& b,
                                          double confidence = 0.95);

// Whether m values against n can reach p < alpha in the two-sided rank test
// at all: the most extreme arrangement has p = 2 / C(m+n, m). 4 against 4
// can at 0.05 (2/70), 3 against 4 cannot (2/35). False for m or n < 1.
bool RankTestable(int m, int n, double alpha = 0.05);

}  // namespace copyscope::record

#endif  // COPYSCOPE_HARNESS_RECORD_RANK_TEST_H_
