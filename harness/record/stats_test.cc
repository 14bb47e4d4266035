#include "harness/record/stats.h"

#include <cmath>

#include "gtest/gtest.h"

namespace copyscope::record {
namespace {

TEST(StatsTest, KnownValues) {
  // mean 5, sample sd sqrt(32/7) = 2.13809, t(7) = 2.365.
  Summary s = Summarize({2, 4, 4, 4, 5, 5, 7, 9});
  EXPECT_EQ(s.n, 8);
  EXPECT_DOUBLE_EQ(s.mean, 5);
  EXPECT_DOUBLE_EQ(s.median, 4.5);
  EXPECT_DOUBLE_EQ(s.min, 2);
  EXPECT_DOUBLE_EQ(s.max, 9);
  ASSERT_TRUE(s.stddev.has_value());
  EXPECT_NEAR(*s.stddev, 2.138090, 1e-6);
  double half = 2.365 * std::sqrt(32.0 / 7) / std::sqrt(8.0);  // 1.78776
  EXPECT_NEAR(*s.ci95_low, 5 - half, 1e-9);
  EXPECT_NEAR(*s.ci95_high, 5 + half, 1e-9);
  EXPECT_NEAR(*s.cv, 0.427618, 1e-6);
}

TEST(StatsTest, ThreeRepetitions) {
  // mean 10, sd 0.1, t(2) = 4.303: CI 10 +- 0.24843.
  Summary s = Summarize({10.1, 9.9, 10.0});
  EXPECT_DOUBLE_EQ(s.median, 10.0);
  EXPECT_NEAR(*s.ci95_low, 9.751567, 1e-6);
  EXPECT_NEAR(*s.ci95_high, 10.248433, 1e-6);
  EXPECT_NEAR(*s.cv, 0.01, 1e-9);
  EXPECT_FALSE(IsUnstable(s, 0.05));
  EXPECT_TRUE(IsUnstable(s, 0.005));
}

TEST(StatsTest, OneValueHasNoIntervalAndNoCv) {
  Summary s = Summarize({3.5});
  EXPECT_EQ(s.n, 1);
  EXPECT_DOUBLE_EQ(s.median, 3.5);
  EXPECT_FALSE(s.ci95_low.has_value());
  EXPECT_FALSE(s.ci95_high.has_value());
  EXPECT_FALSE(s.cv.has_value());
  EXPECT_FALSE(IsUnstable(s, 0.0));
}

TEST(StatsTest, StudentT) {
  EXPECT_DOUBLE_EQ(StudentT95(1), 12.706);
  EXPECT_DOUBLE_EQ(StudentT95(2), 4.303);
  EXPECT_DOUBLE_EQ(StudentT95(29), 2.045);
  EXPECT_DOUBLE_EQ(StudentT95(30), 1.96);
  EXPECT_DOUBLE_EQ(StudentT95(1000), 1.96);
}

TEST(StatsTest, LargeSampleUsesNormalQuantile) {
  std::vector<double> v;
  for (int i = 0; i < 40; ++i) v.push_back(i % 2 ? 11 : 9);
  Summary s = Summarize(v);
  double half = 1.96 * *s.stddev / std::sqrt(40.0);
  EXPECT_NEAR(*s.ci95_high - s.mean, half, 1e-12);
}

TEST(StatsTest, ZeroMeanHasNoCv) {
  Summary s = Summarize({-1, 1});
  EXPECT_FALSE(s.cv.has_value());
  EXPECT_TRUE(s.ci95_low.has_value());
}

// Reference values: scipy.stats.norm (SciPy 1.10.1): norm.cdf(z),
// 2 * norm.sf(|z|) and norm.ppf(p).
TEST(NormalTest, Cdf) {
  EXPECT_NEAR(NormalCdf(-3), 0.0013498980316300933, 1e-16);
  EXPECT_NEAR(NormalCdf(-1.959963984540054), 0.025, 1e-15);
  EXPECT_DOUBLE_EQ(NormalCdf(0), 0.5);
  EXPECT_NEAR(NormalCdf(0.5), 0.6914624612740131, 1e-15);
  EXPECT_NEAR(NormalCdf(1), 0.8413447460685429, 1e-15);
  EXPECT_TRUE(std::isnan(NormalCdf(std::nan(""))));
}

TEST(NormalTest, TwoSidedPKeepsSmallValues) {
  EXPECT_DOUBLE_EQ(NormalTwoSidedP(0), 1.0);
  EXPECT_NEAR(NormalTwoSidedP(1), 0.31731050786291415, 1e-15);
  EXPECT_NEAR(NormalTwoSidedP(-2.5), 0.012419330651552265, 1e-16);
  EXPECT_NEAR(NormalTwoSidedP(1.959963984540054), 0.05, 1e-15);
  // 1 - NormalCdf(8) would be 6.7e-16: erfc keeps 1.2442e-15 exactly.
  EXPECT_NEAR(NormalTwoSidedP(8), 1.244192114854348e-15, 1e-27);
}

TEST(NormalTest, Quantile) {
  struct Case {
    double p, z;
  };
  const Case cases[] = {
      {1e-10, -6.361340902404056},   {0.001, -3.090232306167813},
      {0.02425, -1.972961051311885}, {0.025, -1.9599639845400545},
      {0.1, -1.2815515655446004},    {0.5, 0.0},
      {0.8, 0.8416212335729143},     {0.975, 1.959963984540054},
      {0.99, 2.3263478740408408},    {0.999999, 4.753424308817087},
  };
  for (const Case& c : cases) {
    EXPECT_NEAR(NormalQuantile(c.p), c.z, 1e-13 * (1 + std::fabs(c.z))) << c.p;
  }
  for (double p : {0.0, 1.0, -0.5, 2.0, std::nan("")}) {
    EXPECT_TRUE(std::isnan(NormalQuantile(p))) << p;
  }
}

}  // namespace
}  // namespace copyscope::record

namespace copyscope::record {
namespace {

// Table values of t_{0.975, df} and t_{0.95, df}.
TEST(StudentQuantileTest, MatchesTheTables) {
  EXPECT_NEAR(StudentQuantile(0.975, 1), 12.706, 1e-3);
  EXPECT_NEAR(StudentQuantile(0.975, 2), 4.303, 1e-3);
  EXPECT_NEAR(StudentQuantile(0.975, 4), 2.776, 3e-3);
  EXPECT_NEAR(StudentQuantile(0.975, 10), 2.228, 1e-3);
  EXPECT_NEAR(StudentQuantile(0.95, 5), 2.015, 2e-3);
  EXPECT_NEAR(StudentQuantile(0.025, 10), -2.228, 1e-3);
  EXPECT_TRUE(std::isnan(StudentQuantile(1.5, 3)));
  EXPECT_TRUE(std::isnan(StudentQuantile(0.9, 0)));
}

}  // namespace
}  // namespace copyscope::record
