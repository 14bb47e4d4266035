#include "harness/record/trend.h"

#include <limits>
#include <vector>

#include "gtest/gtest.h"

namespace copyscope::record {
namespace {

const double kNan = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

// Reference values: S, Var(S) and the normal p-value from the formulas of
// trend.h in numpy (1.24), 2 * scipy.stats.norm.sf(|z|); tau and the exact
// p-value from scipy.stats.kendalltau(arange(n), x) (SciPy 1.10, method
// "exact" where there are no ties); Sen's slope from
// scipy.stats.theilslopes(x, arange(n)).

TEST(MannKendallTest, PerfectRiseOfFivePoints) {
  // By hand: all 10 pairs rise, S = 10, tau = 1; only the identity of the
  // 120 orders has S >= 10, so p = 2 / 120. Sen's slope 1, median 3.
  std::optional<TrendTest> t = MannKendall({1, 2, 3, 4, 5});
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->n, 5);
  EXPECT_EQ(t->s, 10);
  EXPECT_NEAR(t->var_s, 50.0 / 3, 1e-12);  // 5 * 4 * 15 / 18
  EXPECT_DOUBLE_EQ(t->tau, 1);
  EXPECT_TRUE(t->exact);
  EXPECT_NEAR(t->p, 1.0 / 60, 1e-15);
  EXPECT_EQ(t->verdict, TrendVerdict::kTrending);
  EXPECT_DOUBLE_EQ(t->sen_slope, 1);
  EXPECT_DOUBLE_EQ(t->median, 3);
  EXPECT_NEAR(*t->relative_slope, 1.0 / 3, 1e-15);
  EXPECT_NEAR(*t->relative_change, 4.0 / 3, 1e-15);
}

TEST(MannKendallTest, ExactBelowElevenPoints) {
  const std::vector<double> up = {10.2, 10.5, 10.1, 10.9,
                                  10.4, 11.0, 10.8, 11.3};
  std::optional<TrendTest> t = MannKendall(up);
  EXPECT_EQ(t->s, 16);
  EXPECT_NEAR(t->tau, 0.5714285714285714, 1e-12);
  EXPECT_TRUE(t->exact);
  EXPECT_NEAR(t->p, 0.06101190476190476, 1e-12);  // normal would be 0.0635
  EXPECT_EQ(t->verdict, TrendVerdict::kSteady);   // p >= 0.05
  EXPECT_NEAR(t->sen_slope, 0.15, 1e-12);
  EXPECT_NEAR(*t->relative_change, 0.09859154929577488, 1e-12);

  std::vector<double> down(up.rbegin(), up.rend());
  t = MannKendall(down);
  EXPECT_EQ(t->s, -16);
  EXPECT_NEAR(t->tau, -0.5714285714285714, 1e-12);
  EXPECT_NEAR(t->p, 0.06101190476190476, 1e-12);
  EXPECT_NEAR(t->sen_slope, -0.15, 1e-12);
  EXPECT_NEAR(*t->relative_slope, -0.014084507042253554, 1e-12);

  t = MannKendall({5.1, 4.8, 5.3, 4.9, 5.0, 5.2, 4.7, 5.4, 4.95, 5.05});
  EXPECT_EQ(t->s, 3);
  EXPECT_TRUE(t->exact);
  EXPECT_NEAR(t->tau, 0.06666666666666667, 1e-12);
  EXPECT_NEAR(t->p, 0.8618005952380953, 1e-12);
  EXPECT_EQ(t->verdict, TrendVerdict::kSteady);
}

TEST(MannKendallTest, NormalApproximationAboveTenPoints) {
  // 100 + 0.5 i + ((37 i) mod 11) - 5, i = 0 .. 19: no ties.
  const std::vector<double> x = {
      95.0,  99.5,  104.0, 97.5,  102.0, 106.5, 100.0, 104.5, 109.0, 102.5,
      107.0, 100.5, 105.0, 109.5, 103.0, 107.5, 112.0, 105.5, 110.0, 114.5};
  std::optional<TrendTest> t = MannKendall(x);
  EXPECT_EQ(t->s, 114);
  EXPECT_DOUBLE_EQ(t->var_s, 950);
  EXPECT_NEAR(t->tau, 0.6, 1e-12);
  EXPECT_FALSE(t->exact);
  EXPECT_NEAR(t->p, 0.0002461774544211226, 1e-15);  // z = 3.666204
  EXPECT_EQ(t->verdict, TrendVerdict::kTrending);
  EXPECT_NEAR(t->sen_slope, 0.8333333333333334, 1e-12);
  EXPECT_DOUBLE_EQ(t->median, 104.75);
  EXPECT_NEAR(*t->relative_change, 0.1511535401750199, 1e-12);
}

TEST(MannKendallTest, TiesCorrectTheVarianceAndTau) {
  // Groups 3 x2, 4 x3, 5 x2, 6 x3: Var(S) = (3828 - 2*18 - 2*66) / 18.
  std::optional<TrendTest> t =
      MannKendall({3, 4, 3, 5, 4, 4, 6, 5, 7, 6, 6, 8});
  EXPECT_EQ(t->s, 46);
  EXPECT_NEAR(t->var_s, 203.33333333333334, 1e-9);
  EXPECT_NEAR(t->tau, 0.7434844114105214, 1e-12);
  EXPECT_FALSE(t->exact);
  EXPECT_NEAR(t->p, 0.001600635479105057, 1e-14);
  EXPECT_EQ(t->verdict, TrendVerdict::kTrending);
  EXPECT_NEAR(t->sen_slope, 0.4, 1e-12);
  // Six points with ties: the normal approximation, not the exact table.
  t = MannKendall({2, 2, 3, 3, 4, 4});
  EXPECT_EQ(t->s, 12);
  EXPECT_FALSE(t->exact);
  EXPECT_NEAR(t->var_s, 25.333333333333332, 1e-12);
  EXPECT_NEAR(t->tau, 0.8944271909999159, 1e-12);
  EXPECT_NEAR(t->p, 0.028853788793347705, 1e-14);
}

// 0.002 i (or 0.0004 i) plus ((37 i) mod 101) / 100, i = 0 .. 199: the
// same doubles here as in the Python reference.
std::vector<double> LongSeries(double step) {
  std::vector<double> x;
  for (int i = 0; i < 200; ++i)
    x.push_back(step * i + ((i * 37) % 101) / 100.0);
  return x;
}

TEST(MannKendallTest, TheTauFloorKeepsSmallTrendsSteady) {
  // Significant (p = 2.7e-6) but tau 0.22 < 0.3: steady.
  std::optional<TrendTest> t = MannKendall(LongSeries(0.002));
  EXPECT_EQ(t->s, 4438);
  EXPECT_DOUBLE_EQ(t->var_s, 895500);
  EXPECT_NEAR(t->tau, 0.22301507537688442, 1e-12);
  EXPECT_NEAR(t->p, 2.7488538666348844e-06, 1e-17);
  EXPECT_EQ(t->verdict, TrendVerdict::kSteady);
  EXPECT_NEAR(t->sen_slope, 0.0021408450704225356, 1e-12);
  TrendOptions lax;
  lax.min_abs_tau = 0.2;
  EXPECT_EQ(MannKendall(LongSeries(0.002), lax)->verdict,
            TrendVerdict::kTrending);

  t = MannKendall(LongSeries(0.0004));  // p 0.061: not significant
  EXPECT_EQ(t->s, 1774);
  EXPECT_NEAR(t->p, 0.06098613575838559, 1e-13);
  lax.min_abs_tau = 0;
  EXPECT_EQ(MannKendall(LongSeries(0.0004), lax)->verdict,
            TrendVerdict::kSteady);
  lax.alpha = 0.1;
  EXPECT_EQ(MannKendall(LongSeries(0.0004), lax)->verdict,
            TrendVerdict::kTrending);
}

TEST(MannKendallTest, ConstantAndZeroLevelSeries) {
  std::optional<TrendTest> t = MannKendall(std::vector<double>(12, 7.0));
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->s, 0);
  EXPECT_DOUBLE_EQ(t->var_s, 0);
  EXPECT_DOUBLE_EQ(t->tau, 0);
  EXPECT_DOUBLE_EQ(t->p, 1);
  EXPECT_EQ(t->verdict, TrendVerdict::kSteady);
  EXPECT_DOUBLE_EQ(t->sen_slope, 0);
  EXPECT_DOUBLE_EQ(*t->relative_change, 0);
  // Median 0: a slope but no relative size.
  t = MannKendall({-2, -1, 0, 1, 2});
  EXPECT_DOUBLE_EQ(t->sen_slope, 1);
  EXPECT_FALSE(t->relative_slope.has_value());
  EXPECT_FALSE(t->relative_change.has_value());
}

TEST(MannKendallTest, RefusedInputs) {
  EXPECT_FALSE(MannKendall({}).has_value());
  EXPECT_FALSE(MannKendall({1, 2, 3, 4}).has_value());  // < kMinTrendPoints
  EXPECT_FALSE(MannKendall({1, 2, kNan, 4, 5}).has_value());
  EXPECT_FALSE(MannKendall({1, 2, 3, 4, kInf}).has_value());
  std::vector<double> too_long(kMaxTrendPoints + 1, 1.0);
  EXPECT_FALSE(MannKendall(too_long).has_value());
  too_long.pop_back();
  EXPECT_TRUE(MannKendall(too_long).has_value());
  TrendOptions bad;
  for (double alpha : {0.0, 1.0, kNan}) {
    bad.alpha = alpha;
    EXPECT_FALSE(MannKendall({1, 2, 3, 4, 5}, bad).has_value()) << alpha;
  }
  bad = TrendOptions();
  for (double tau : {-0.1, 1.1, kNan}) {
    bad.min_abs_tau = tau;
    EXPECT_FALSE(MannKendall({1, 2, 3, 4, 5}, bad).has_value()) << tau;
  }
}

TEST(SenSlopeTest, RobustToAnOddSlice) {
  // By hand: six of the ten slopes are 1, the four through 100 are 24.75,
  // 32.67, 48.5 and 96; the median is 1.
  EXPECT_DOUBLE_EQ(*SenSlope({1, 2, 3, 4, 100}), 1);
  EXPECT_DOUBLE_EQ(*SenSlope({1, 3}), 2);
  EXPECT_DOUBLE_EQ(*SenSlope({4, 4, 4}), 0);
  EXPECT_FALSE(SenSlope({}).has_value());
  EXPECT_FALSE(SenSlope({3}).has_value());
  EXPECT_FALSE(SenSlope({3, kNan}).has_value());
}

TEST(MannKendallTest, Names) {
  EXPECT_STREQ(TrendVerdictName(TrendVerdict::kSteady), "steady");
  EXPECT_STREQ(TrendVerdictName(TrendVerdict::kTrending), "trending");
}

}  // namespace
}  // namespace copyscope::record
