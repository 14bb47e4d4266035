// Statistics over the repetitions of one cell: median, min, max, mean, the
// 95% confidence interval of the mean (Student t with n-1 degrees of
// freedom; normal 1.96 from n >= 31, i.e. 30 degrees of freedom and more),
// and the coefficient of variation (sample standard deviation / mean).
//
//   Summary s = Summarize({9.8, 10.1, 10.0});
//   s.median;                      // 10.0
//   if (s.ci95_low) printf("[%g, %g]", *s.ci95_low, *s.ci95_high);
//   bool unstable = IsUnstable(s, /*max_cv=*/0.05);
//
// With one value there is no interval and no CV: they stay empty, never 0.
//
// Also the standard normal distribution the rank and trend tests use
// (robust.h, trend.h, rank_test.h):
//
//   NormalCdf(1.96);               // 0.975
//   NormalQuantile(0.975);         // 1.959964
//   NormalTwoSidedP(2.5);          // 0.012419, i.e. P(|Z| >= 2.5)
#ifndef COPYSCOPE_HARNESS_RECORD_STATS_H_
#define COPYSCOPE_HARNESS_RECORD_STATS_H_

#include <optional>
#include <vector>

namespace copyscope::record {

struct Summary {
  int n = 0;
  double median = 0;
  double min = 0;
  double max = 0;
  double mean = 0;
  std::optional<double> stddev;  // sample (n-1) standard deviation, n >= 2
  std::optional<double> ci95_low;
  std::optional<double> ci95_high;
  std::optional<double> cv;  // stddev / |mean|; empty when mean is 0
};

// The two-sided 95% critical value of Student's t for `df` degrees of
// freedom (df >= 1); 1.96 for df >= 30.
double StudentT95(int df);

// values must not be empty.
Summary Summarize(const std::vector<double>& values);

// True when the CV is known and above max_cv (a fraction, 0.05 = 5%).
bool IsUnstable(const Summary& s, double max_cv);

// P(Z <= z) for a standard normal Z; NaN for NaN.
double NormalCdf(double z);

// P(|Z| >= |z|), from erfc, so that small p-values keep their precision
// (1 - NormalCdf would round them to 0); NaN for NaN.
double NormalTwoSidedP(double z);

// The z with NormalCdf(z) = p, for 0 < p < 1 (Acklam's rational
// approximation refined by one Halley step: about 1e-15 relative); NaN for
// any other p.
double NormalQuantile(double p);

// The t with P(T_df <= t) = p for Student's t with df degrees of freedom:
// exact for df 1 and 2, else the Cornish-Fisher expansion around the
// normal quantile (within 0.1% of the tables from df 3 at p >= 0.9); NaN
// for p outside (0, 1) or df < 1.
double StudentQuantile(double p, int df);

}  // namespace copyscope::record

#endif  // COPYSCOPE_HARNESS_RECORD_STATS_H_
