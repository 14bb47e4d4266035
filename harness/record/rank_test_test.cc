#include "harness/record/rank_test.h"

#include <limits>
#include <vector>

#include "gtest/gtest.h"

namespace copyscope::record {
namespace {

const double kNan = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

// Reference values: U and p from scipy.stats.mannwhitneyu(b, a,
// alternative="two-sided") (SciPy 1.10.1, method "auto" unless named); the
// shift and its interval from tools/report's stats.hodges_lehmann(a, b)
// (the report's own implementation), the same k from its _lower_rank.

TEST(MannWhitneyTest, HandWorkedHodgesLehmann) {
  // b - a for a = 1 3 5 7, b = 4 6 9 10, sorted: -3 -1 -1 1 1 2 3 3 3 4 5 5
  // 6 7 8 9. Shift: the median, (3 + 3) / 2. U of b: 2 + 3 + 4 + 4 = 13;
  // a's U is 3, and P(U <= 3) = (1 + 1 + 2 + 3) / 70 (the counts of U = 0
  // .. 3 among the C(8, 4) arrangements), so p = 2 * 7 / 70. Interval: k =
  // 1, since P(U <= 0) = 1/70 <= 0.025 < P(U <= 1) = 2/70: [-3, 9].
  std::optional<RankComparison> r = MannWhitney({1, 3, 5, 7}, {4, 6, 9, 10});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->n_a, 4);
  EXPECT_EQ(r->n_b, 4);
  EXPECT_DOUBLE_EQ(r->u, 13);
  EXPECT_TRUE(r->exact);
  EXPECT_NEAR(r->p, 0.2, 1e-15);
  EXPECT_DOUBLE_EQ(r->shift, 3);
  EXPECT_DOUBLE_EQ(*r->shift_low, -3);
  EXPECT_DOUBLE_EQ(*r->shift_high, 9);

  // Swapped: the same test, the shift and U mirrored.
  r = MannWhitney({4, 6, 9, 10}, {1, 3, 5, 7});
  EXPECT_DOUBLE_EQ(r->u, 3);
  EXPECT_NEAR(r->p, 0.2, 1e-15);
  EXPECT_DOUBLE_EQ(r->shift, -3);
  EXPECT_DOUBLE_EQ(*r->shift_low, -9);
  EXPECT_DOUBLE_EQ(*r->shift_high, 3);
}

TEST(MannWhitneyTest, ExactSmallSamples) {
  // The header's example: complete separation, p = 2 / C(10, 5) = 2/252.
  std::optional<RankComparison> r =
      MannWhitney({9.8, 10.1, 10.0, 9.9, 10.2}, {10.6, 10.9, 10.5, 10.8, 11.0});
  EXPECT_DOUBLE_EQ(r->u, 25);
  EXPECT_TRUE(r->exact);
  EXPECT_NEAR(r->p, 0.007936507936507936, 1e-15);
  EXPECT_NEAR(r->shift, 0.8, 1e-12);
  EXPECT_NEAR(*r->shift_low, 0.4, 1e-12);  // k = 3
  EXPECT_NEAR(*r->shift_high, 1.1, 1e-12);

  r = MannWhitney({10.1, 9.7, 10.4, 9.9, 10.0},
                  {10.6, 10.2, 10.9, 10.5, 10.3, 11.2});
  EXPECT_DOUBLE_EQ(r->u, 28);
  EXPECT_TRUE(r->exact);
  EXPECT_NEAR(r->p, 0.017316017316017316, 1e-15);  // normal: 0.0225
  EXPECT_NEAR(r->shift, 0.55, 1e-12);
  EXPECT_NEAR(*r->shift_low, 0.1, 1e-12);  // k = 4
  EXPECT_NEAR(*r->shift_high, 1.2, 1e-12);

  // 3 against 20, no ties: exact, since one side has at most 8.
  const std::vector<double> b20 = {
      5.0,   5.959, 6.918, 7.877, 5.685, 6.644, 7.603, 5.411, 6.37,  7.329,
      5.137, 6.096, 7.055, 8.014, 5.822, 6.781, 7.74,  5.548, 6.507, 7.466};
  r = MannWhitney({5.5, 6.1, 4.9}, b20);
  EXPECT_DOUBLE_EQ(r->u, 49);
  EXPECT_TRUE(r->exact);
  EXPECT_NEAR(r->p, 0.09373235460191981, 1e-14);  // normal: 0.0913
  EXPECT_NEAR(r->shift, 1.033, 1e-12);
  EXPECT_NEAR(*r->shift_low, -0.141, 1e-12);  // k = 9
  EXPECT_NEAR(*r->shift_high, 2.24, 1e-12);
}

TEST(MannWhitneyTest, NormalApproximation) {
  // Ties: the normal approximation, tie-corrected (exact would be 0.03788).
  std::optional<RankComparison> r =
      MannWhitney({1, 2, 2, 3, 4, 4, 5}, {3, 4, 4, 5, 6, 6, 7});
  EXPECT_DOUBLE_EQ(r->u, 41);
  EXPECT_FALSE(r->exact);
  EXPECT_NEAR(r->p, 0.03783827646017662, 1e-14);
  EXPECT_DOUBLE_EQ(r->shift, 2);
  EXPECT_DOUBLE_EQ(*r->shift_low, 0);  // k = 9
  EXPECT_DOUBLE_EQ(*r->shift_high, 4);

  // 10 against 10 without ties: both sides above 8, normal (exact 0.1903).
  const std::vector<double> a = {100.0, 107.0, 102.5, 109.5, 105.0,
                                 100.5, 107.5, 103.0, 110.0, 105.5};
  const std::vector<double> b = {101.3,  111.14, 109.09, 107.04, 104.99,
                                 102.94, 112.78, 110.73, 108.68, 106.63};
  r = MannWhitney(a, b);
  EXPECT_DOUBLE_EQ(r->u, 68);
  EXPECT_FALSE(r->exact);
  EXPECT_NEAR(r->p, 0.18587673236587576, 1e-14);
  EXPECT_NEAR(r->shift, 2.465, 1e-12);
  EXPECT_NEAR(*r->shift_low, -0.91, 1e-12);  // k = 24
  EXPECT_NEAR(*r->shift_high, 6.14, 1e-12);
  r = MannWhitney(a, b, 0.90);  // hodges_lehmann(a, b, alpha=0.10)
  EXPECT_NEAR(*r->shift_low, -0.46, 1e-12);
  EXPECT_NEAR(*r->shift_high, 5.73, 1e-12);
}

TEST(MannWhitneyTest, IntervalFromTheNormalAboveTwentyFiveHundredPairs) {
  // 60 against 60 (3600 pairs): k = 1426 from the normal approximation.
  std::vector<double> a, b;
  for (int i = 0; i < 60; ++i) {
    a.push_back(0.5 * i + ((i * 37) % 101) / 10.0);
    b.push_back(0.5 * i + ((i * 53) % 103) / 10.0 + 3.0);
  }
  std::optional<RankComparison> r = MannWhitney(a, b);
  EXPECT_DOUBLE_EQ(r->u, 2090.5);
  EXPECT_FALSE(r->exact);
  EXPECT_NEAR(r->p, 0.12797410246495897, 1e-13);
  EXPECT_NEAR(r->shift, 2.9, 1e-9);
  EXPECT_NEAR(*r->shift_low, -0.8, 1e-9);
  EXPECT_NEAR(*r->shift_high, 6.5, 1e-9);
}

TEST(MannWhitneyTest, IntervalBoundaries) {
  // 1 against 39: P(U = 0) = 1/40 is exactly the 2.5% tail, so k = 1
  // ([1, 39]), and p = 2/40; 1 against 38 has no interval.
  std::vector<double> b;
  for (int i = 1; i <= 39; ++i) b.push_back(i);
  std::optional<RankComparison> r = MannWhitney({0}, b);
  EXPECT_NEAR(r->p, 0.05, 1e-15);
  EXPECT_DOUBLE_EQ(r->shift, 20);
  EXPECT_DOUBLE_EQ(*r->shift_low, 1);
  EXPECT_DOUBLE_EQ(*r->shift_high, 39);
  b.pop_back();
  r = MannWhitney({0}, b);
  EXPECT_DOUBLE_EQ(r->shift, 19.5);
  EXPECT_FALSE(r->shift_low.has_value());
  EXPECT_FALSE(r->shift_high.has_value());
  // At 99% 5 against 5 has k = 1 (the report's _lower_rank(5, 5, 0.01)).
  r = MannWhitney({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10}, 0.99);
  EXPECT_DOUBLE_EQ(*r->shift_low, 1);
  EXPECT_DOUBLE_EQ(*r->shift_high, 9);
}

TEST(MannWhitneyTest, DegenerateInputs) {
  // All equal: U = mn/2, p = 1, shift 0, too few for an interval.
  std::optional<RankComparison> r = MannWhitney({2, 2, 2}, {2, 2, 2, 2});
  ASSERT_TRUE(r.has_value());
  EXPECT_DOUBLE_EQ(r->u, 6);
  EXPECT_DOUBLE_EQ(r->p, 1);
  EXPECT_DOUBLE_EQ(r->shift, 0);
  EXPECT_FALSE(r->shift_low.has_value());
  r = MannWhitney({1}, {2});
  EXPECT_DOUBLE_EQ(r->u, 1);
  EXPECT_DOUBLE_EQ(r->p, 1);
  EXPECT_DOUBLE_EQ(r->shift, 1);
  EXPECT_FALSE(MannWhitney({}, {1}).has_value());
  EXPECT_FALSE(MannWhitney({1}, {}).has_value());
  EXPECT_FALSE(MannWhitney({1, kNan}, {1, 2}).has_value());
  EXPECT_FALSE(MannWhitney({1, 2}, {kInf, 2}).has_value());
  for (double c : {0.0, 1.0, kNan}) {
    EXPECT_FALSE(MannWhitney({1, 2}, {3, 4}, c).has_value()) << c;
  }
  std::vector<double> big(2001, 1.0);  // 2001 * 2000 pairs > kMaxRankPairs
  EXPECT_FALSE(MannWhitney(big, std::vector<double>(2000, 1.0)).has_value());
}

TEST(RankTestableTest, LeastRepetitions) {
  // The report's rank_testable: 2 / C(m+n, m) < 0.05.
  EXPECT_FALSE(RankTestable(3, 3));  // 2/20
  EXPECT_FALSE(RankTestable(3, 4));  // 2/35
  EXPECT_TRUE(RankTestable(4, 4));   // 2/70
  EXPECT_TRUE(RankTestable(2, 20));  // 2/231
  EXPECT_TRUE(RankTestable(1, 40));  // 2/41
  EXPECT_FALSE(RankTestable(2, 5));  // 2/21
  EXPECT_FALSE(RankTestable(2, 6));  // 2/28
  EXPECT_FALSE(RankTestable(0, 10));
  EXPECT_FALSE(RankTestable(4, 4, 0.01));
}

}  // namespace
}  // namespace copyscope::record
