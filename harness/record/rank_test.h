// Comparing two groups of values without assuming their distribution (the
// repetitions of a benchmark are often skewed, with an outlier): the
// Mann-Whitney U test and the Hodges-Lehmann shift with its
// distribution-free confidence interval, as tools/report's stats.py
// computes them for the report and `compare`.
//
//   RankTest r = MannWhitney(before, after);   // after against before
//   if (r.testable && r.p < 0.05)
//     printf("%+g [%g, %g]\n", r.shift, *r.ci_low, *r.ci_high);
//   std::optional<double> spread = RelativeMad({9.8, 10.0, 10.4});
//
// The p-value is two-sided: exact (the U distribution of m + n distinct
// values) when there are no ties and at most 2500 pairs, else the normal
// approximation with tie and continuity corrections. The shift is the
// median of the m*n differences after - before; its interval at 1 - alpha
// runs from the k-th smallest to the k-th largest difference, k from the
// same U distribution.
#ifndef COPYSCOPE_HARNESS_RECORD_RANK_TEST_H_
#define COPYSCOPE_HARNESS_RECORD_RANK_TEST_H_

#include <optional>
#include <string>
#include <vector>

namespace copyscope::record {

struct RankTest {
  int n_a = 0;
  int n_b = 0;
  // False when m against n values cannot reach p < alpha however they lie
  // (e.g. 3 against 3); p, shift and the interval are then not given.
  bool testable = false;
  std::string reason;  // why not testable
  double p = 1;        // two-sided
  double shift = 0;    // Hodges-Lehmann: b above a, in the values' unit
  std::optional<double> ci_low;  // absent when the pairs cannot give one
  std::optional<double> ci_high;
};

// The Hodges-Lehmann shift of b against a (neither empty) and its 1 - alpha
// interval, absent when m*n pairs cannot give one.
struct Shift {
  double shift = 0;
  std::optional<double> ci_low;
  std::optional<double> ci_high;
};
Shift HodgesLehmann(const std::vector<double>& a, const std::vector<double>& b,
                    double alpha = 0.05);

// Whether m against n values can reach p < alpha in a rank test: the most
// extreme arrangement has probability 2 / C(m + n, m).
bool RankTestable(int m, int n, double alpha = 0.05);

// The rank test of b against a.
RankTest MannWhitney(const std::vector<double>& a, const std::vector<double>& b,
                     double alpha = 0.05);

// z with P(Z > z) = q for a standard normal Z (0 < q < 0.5): 1.96 for
// 0.025.
double NormalUpperQuantile(double q);

// t with P(T > t) = q for Student's T of df degrees of freedom (df >= 1,
// 0 < q < 0.5): exact for 1 and 2, else the Cornish-Fisher expansion from
// the normal quantile (within 0.2% from df = 3 for q >= 0.005).
double StudentUpperQuantile(double q, int df);

// The median (values not empty).
double Median(std::vector<double> values);

// The median absolute deviation from the median over |median|: how far
// repetitions lie from their median, robust to one outlier. Empty with
// fewer than 2 values or a median of 0.
std::optional<double> RelativeMad(const std::vector<double>& values);

}  // namespace copyscope::record

#endif  // COPYSCOPE_HARNESS_RECORD_RANK_TEST_H_
