#include "harness/record/rank_test.h"

#include <vector>

#include "gtest/gtest.h"

namespace copyscope::record {
namespace {

// Expected values: SciPy 1.10's mannwhitneyu(b, a, two-sided) with the
// method named, and tools/report's stats.hodges_lehmann(a, b).

TEST(RankTest, SeparatedGroupsExact) {
  RankTest r = MannWhitney({1, 2, 3, 4}, {5, 6, 7, 8});
  ASSERT_TRUE(r.testable);
  EXPECT_NEAR(r.p, 0.02857142857142857, 1e-12);  // 2 / C(8, 4)
  EXPECT_DOUBLE_EQ(r.shift, 4);
  EXPECT_EQ(r.ci_low, 1);
  EXPECT_EQ(r.ci_high, 7);
}

TEST(RankTest, LowerGroupExactWithInterval) {
  RankTest r =
      MannWhitney({10.1, 9.8, 10.0, 10.3, 9.9}, {9.0, 9.2, 8.9, 9.1, 9.3});
  EXPECT_NEAR(r.p, 0.007936507936507936, 1e-12);
  EXPECT_NEAR(r.shift, -0.9, 1e-12);
  EXPECT_NEAR(*r.ci_low, -1.2, 1e-12);
  EXPECT_NEAR(*r.ci_high, -0.6, 1e-12);
}

TEST(RankTest, OverlappingGroupsExact) {
  RankTest r = MannWhitney({3.1, 1.2, 5.5, 2.2, 4.8, 0.7, 6.1},
                           {7.3, 4.1, 8.8, 6.6, 5.9, 9.4});
  EXPECT_NEAR(r.p, 0.013986013986013986, 1e-12);
  EXPECT_NEAR(r.shift, 3.6, 1e-12);
  EXPECT_NEAR(*r.ci_low, 1.0, 1e-12);
  EXPECT_NEAR(*r.ci_high, 6.6, 1e-12);
}

TEST(RankTest, TiesUseTheCorrectedNormalApproximation) {
  RankTest r = MannWhitney({1, 2, 2, 3, 4}, {2, 3, 3, 5, 6});
  EXPECT_NEAR(r.p, 0.19882894401644247, 1e-9);
  EXPECT_DOUBLE_EQ(r.shift, 1);
  RankTest all_tied = MannWhitney({5, 5, 5, 5}, {5, 5, 5, 5});
  EXPECT_EQ(all_tied.p, 1);
  EXPECT_EQ(all_tied.shift, 0);
}

TEST(RankTest, ManyPairsUseTheNormalApproximation) {
  std::vector<double> a;
  std::vector<double> b;
  for (int i = 0; i < 60; ++i) {
    a.push_back(i);
    b.push_back(i + 10.5);
  }
  RankTest r = MannWhitney(a, b);
  EXPECT_NEAR(r.p, 0.0025668879435241754, 1e-9);
  EXPECT_DOUBLE_EQ(r.shift, 10.5);
  EXPECT_DOUBLE_EQ(*r.ci_low, 3.5);
  EXPECT_DOUBLE_EQ(*r.ci_high, 17.5);
}

TEST(RankTest, TooFewValuesAreNotTested) {
  EXPECT_FALSE(RankTestable(3, 3));  // 2/20 = 0.1
  EXPECT_TRUE(RankTestable(4, 4));   // 2/70
  EXPECT_TRUE(RankTestable(3, 5));   // 2/56
  EXPECT_FALSE(RankTestable(1, 30));
  EXPECT_FALSE(RankTestable(0, 10));
  EXPECT_TRUE(RankTestable(1000, 1000));
  RankTest r = MannWhitney({1, 2, 3}, {4, 5, 6});
  EXPECT_FALSE(r.testable);
  EXPECT_EQ(r.reason,
            "not enough values to test (3 against 3 cannot reach p < 0.05 in "
            "a rank test; 4 a side can)");
  EXPECT_FALSE(r.ci_low.has_value());
}

TEST(RankTest, NormalAndStudentQuantiles) {
  EXPECT_NEAR(NormalUpperQuantile(0.025), 1.959963985, 1e-8);
  EXPECT_NEAR(NormalUpperQuantile(0.005), 2.575829304, 1e-8);
  // Student's t, from scipy.stats.t.ppf.
  EXPECT_NEAR(StudentUpperQuantile(0.025, 1), 12.706204736, 1e-6);
  EXPECT_NEAR(StudentUpperQuantile(0.025, 2), 4.302652730, 1e-6);
  EXPECT_NEAR(StudentUpperQuantile(0.025, 3), 3.182446305, 0.006);
  EXPECT_NEAR(StudentUpperQuantile(0.0125, 5), 3.163380, 0.006);
  EXPECT_NEAR(StudentUpperQuantile(0.025, 13), 2.160368656, 0.001);
  EXPECT_NEAR(StudentUpperQuantile(0.025, 100), 1.983971519, 1e-4);
}

TEST(RankTest, MedianAndRelativeMad) {
  EXPECT_EQ(Median({3, 1, 2}), 2);
  EXPECT_EQ(Median({4, 1, 2, 3}), 2.5);
  EXPECT_DOUBLE_EQ(*RelativeMad({9, 10, 11, 10, 30}), 0.1);  // the 30 aside
  EXPECT_FALSE(RelativeMad({1}).has_value());
  EXPECT_FALSE(RelativeMad({-1, 0, 1}).has_value());
}

}  // namespace
}  // namespace copyscope::record
