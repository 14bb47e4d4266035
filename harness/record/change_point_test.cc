#include "harness/record/change_point.h"

#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace copyscope::record {
namespace {

// Q of splitting v at s, straight from the definition.
double Q(const std::vector<double>& v, int s) {
  const int t = static_cast<int>(v.size());
  double between = 0;
  double wx = 0;
  double wy = 0;
  for (int i = 0; i < t; ++i) {
    for (int k = i + 1; k < t; ++k) {
      double d = std::fabs(v[i] - v[k]);
      if (k < s) {
        wx += d;
      } else if (i >= s) {
        wy += d;
      } else {
        between += d;
      }
    }
  }
  double m = s;
  double n = t - s;
  return m * n / (m + n) *
         (2 * between / (m * n) - wx / (m * (m - 1) / 2) -
          wy / (n * (n - 1) / 2));
}

// n values around `level`, normal noise of sd `noise`, from rng.
void Append(std::vector<double>* v, int n, double level, double noise,
            std::mt19937_64* rng) {
  std::normal_distribution<double> d(level, noise);
  for (int i = 0; i < n; ++i) v->push_back(d(*rng));
}

TEST(ChangePointTest, FindsAStepAtItsIndexWithTheLargestStatistic) {
  std::mt19937_64 rng(11);
  std::vector<double> v;
  Append(&v, 10, 10.0, 0.1, &rng);
  Append(&v, 8, 9.0, 0.1, &rng);
  std::vector<ChangePoint> cps = FindChangePoints(v, {});
  ASSERT_EQ(cps.size(), 1u);
  EXPECT_EQ(cps[0].index, 10);
  EXPECT_NEAR(cps[0].p, 1 / 200.0, 1e-12);  // no shuffle does as well
  EXPECT_NEAR(cps[0].statistic, Q(v, 10), 1e-9);
  for (int s = 2; s <= static_cast<int>(v.size()) - 2; ++s) {
    EXPECT_LE(Q(v, s), cps[0].statistic + 1e-9) << s;
  }
}

TEST(ChangePointTest, WithoutAStepFalseAlarmsAreAsRareAsAlpha) {
  // The permutation test takes the best split of every shuffle, so the
  // search over splits is accounted for: about alpha of series without a
  // step get a change point.
  std::mt19937_64 rng(2026);
  int alarms = 0;
  constexpr int kSeries = 200;
  for (int i = 0; i < kSeries; ++i) {
    std::vector<double> v;
    Append(&v, 20, 10.0, 0.2, &rng);
    if (!FindChangePoints(v, {}).empty()) ++alarms;
  }
  EXPECT_LE(alarms, kSeries / 10) << alarms;
  EXPECT_TRUE(FindChangePoints(std::vector<double>(12, 3.0), {}).empty());
}

TEST(ChangePointTest, TwoStepsAreBothFound) {
  std::mt19937_64 rng(5);
  std::vector<double> v;
  Append(&v, 8, 10.0, 0.1, &rng);
  Append(&v, 8, 12.0, 0.1, &rng);
  Append(&v, 8, 11.0, 0.1, &rng);
  std::vector<ChangePoint> cps = FindChangePoints(v, {});
  ASSERT_EQ(cps.size(), 2u);
  EXPECT_EQ(cps[0].index, 8);
  EXPECT_EQ(cps[1].index, 16);
}

TEST(ChangePointTest, ShortSeriesAndSegmentsAreNotSplit) {
  EXPECT_TRUE(FindChangePoints({}, {}).empty());
  EXPECT_TRUE(FindChangePoints({1, 2, 3}, {}).empty());
  // A shift followed by one run only is not a change point yet.
  std::vector<double> v(12, 10.0);
  v.back() = 5.0;
  EXPECT_TRUE(FindChangePoints(v, {}).empty());
  // With min_segment 3, a shift needs three runs after it.
  std::vector<double> w = {10, 10.1, 9.9, 10, 10.1, 9.9, 10, 10.1, 7, 7.1};
  EXPECT_EQ(FindChangePoints(w, {}).size(), 1u);
  ChangePointOptions o;
  o.min_segment = 3;
  EXPECT_TRUE(FindChangePoints(w, o).empty());
}

TEST(ChangePointTest, TheSeedFixesTheAnswer) {
  std::mt19937_64 rng(9);
  std::vector<double> v;
  Append(&v, 6, 10.0, 0.5, &rng);
  Append(&v, 6, 10.6, 0.5, &rng);
  ChangePointOptions o;
  o.alpha = 1.0;  // keep whatever is found, to compare p-values
  o.max_change_points = 1;
  std::vector<ChangePoint> a = FindChangePoints(v, o);
  std::vector<ChangePoint> b = FindChangePoints(v, o);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0].index, b[0].index);
  EXPECT_EQ(a[0].p, b[0].p);
}

}  // namespace
}  // namespace copyscope::record
