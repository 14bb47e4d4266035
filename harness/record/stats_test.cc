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

}  // namespace
}  // namespace copyscope::record
