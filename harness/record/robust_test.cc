#include "harness/record/robust.h"

#include <cmath>
#include <limits>
#include <vector>

#include "gtest/gtest.h"

namespace copyscope::record {
namespace {

const double kNan = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

// The header's example: sorted 9.1 9.2 9.3 9.4 9.5 9.6 12.0.
const std::vector<double> kSeven = {9.1, 9.4, 9.3, 9.6, 9.2, 9.5, 12.0};

TEST(RobustTest, AllFinite) {
  EXPECT_TRUE(AllFinite({}));
  EXPECT_TRUE(AllFinite({1, -2, 0}));
  EXPECT_FALSE(AllFinite({1, kNan}));
  EXPECT_FALSE(AllFinite({-kInf, 1}));
}

TEST(RobustTest, Median) {
  EXPECT_DOUBLE_EQ(*Median(kSeven), 9.4);
  EXPECT_DOUBLE_EQ(*Median({4, 1, 3, 2}), 2.5);
  EXPECT_DOUBLE_EQ(*Median({7}), 7);
  EXPECT_FALSE(Median({}).has_value());
  EXPECT_FALSE(Median({1, kNan, 3}).has_value());
  EXPECT_FALSE(Median({1, kInf}).has_value());
}

// Reference: numpy.percentile(kSeven, [25, 50, 75, 0, 100, 10]) (NumPy
// 1.24, method "linear") = 9.25 9.4 9.55 9.1 12.0 9.16.
TEST(RobustTest, QuantileIsNumpyLinear) {
  EXPECT_NEAR(*Quantile(kSeven, 0.25), 9.25, 1e-12);
  EXPECT_NEAR(*Quantile(kSeven, 0.5), 9.4, 1e-12);
  EXPECT_NEAR(*Quantile(kSeven, 0.75), 9.55, 1e-12);
  EXPECT_DOUBLE_EQ(*Quantile(kSeven, 0), 9.1);
  EXPECT_DOUBLE_EQ(*Quantile(kSeven, 1), 12.0);
  EXPECT_NEAR(*Quantile(kSeven, 0.1), 9.16, 1e-12);
  EXPECT_DOUBLE_EQ(*Quantile({5}, 0.3), 5);
  EXPECT_FALSE(Quantile({}, 0.5).has_value());
  EXPECT_FALSE(Quantile({1, 2}, -0.1).has_value());
  EXPECT_FALSE(Quantile({1, 2}, 1.1).has_value());
  EXPECT_FALSE(Quantile({1, 2}, kNan).has_value());
  EXPECT_FALSE(Quantile({1, kNan}, 0.5).has_value());
}

TEST(RobustTest, ScaledMad) {
  // |x - 9.4| = 0.3 0 0.1 0.2 0.2 0.1 2.6: median 0.2; numpy gives
  // 1.4826 * median(|x - median(x)|) = 0.29652.
  EXPECT_NEAR(*ScaledMad(kSeven), 0.29652, 1e-12);
  EXPECT_DOUBLE_EQ(*ScaledMad({3}), 0);
  EXPECT_DOUBLE_EQ(*ScaledMad({2, 2, 2, 9}), 0);  // more than half equal
  EXPECT_DOUBLE_EQ(*ScaledMad({1, 3}), kMadScale);
  EXPECT_FALSE(ScaledMad({}).has_value());
  EXPECT_FALSE(ScaledMad({1, kNan}).has_value());
}

// Reference ranks: the largest l with 2 * scipy.stats.binom.cdf(l - 1, n,
// 0.5) <= 1 - confidence, u = n + 1 - l, coverage 1 - 2 * cdf(l - 1). They
// agree with the published tables (n = 10: 2, 9; n = 20: 6, 15; n = 100:
// 40, 61).
TEST(MedianCiRanksTest, KnownRanks) {
  struct Case {
    int n, low, high;
    double coverage;
  };
  const Case cases[] = {
      {6, 1, 6, 0.96875},
      {7, 1, 7, 0.984375},
      {8, 1, 8, 0.9921875},
      {9, 2, 8, 0.9609375},
      {10, 2, 9, 0.978515625},
      {11, 2, 10, 0.98828125},
      {12, 3, 10, 0.96142578125},
      {15, 4, 12, 0.96484375},
      {20, 6, 15, 0.9586105346679688},
      {30, 10, 21, 0.9572260547429323},
      {50, 18, 33, 0.9671608624357315},
      {100, 40, 61, 0.9647997997822951},
      {1000, 469, 532, 0.9537088026395019},
      {10000, 4902, 5099, 0.9511670501036188},
  };
  for (const Case& c : cases) {
    std::optional<MedianCiRanks> r = MedianCiRanksFor(c.n);
    ASSERT_TRUE(r.has_value()) << c.n;
    EXPECT_EQ(r->low_rank, c.low) << c.n;
    EXPECT_EQ(r->high_rank, c.high) << c.n;
    EXPECT_NEAR(r->coverage, c.coverage, 1e-9) << c.n;
  }
}

TEST(MedianCiRanksTest, TooFewForTheConfidence) {
  for (int n = -1; n <= 5; ++n) {
    EXPECT_FALSE(MedianCiRanksFor(n).has_value()) << n;
  }
  EXPECT_EQ(MinSamplesForMedianCi(), 6);
  // Same reference at 99% (n = 20: 4, 17) and 90% (n = 5: 1, 5).
  EXPECT_EQ(MinSamplesForMedianCi(0.99), 8);
  EXPECT_EQ(MinSamplesForMedianCi(0.90), 5);
  EXPECT_FALSE(MedianCiRanksFor(7, 0.99).has_value());
  EXPECT_EQ(MedianCiRanksFor(20, 0.99)->low_rank, 4);
  EXPECT_EQ(MedianCiRanksFor(20, 0.99)->high_rank, 17);
  EXPECT_NEAR(MedianCiRanksFor(20, 0.99)->coverage, 0.9974231719970703, 1e-12);
  EXPECT_NEAR(MedianCiRanksFor(5, 0.90)->coverage, 0.9375, 1e-15);
  for (double bad : {0.0, 1.0, -0.5, kNan}) {
    EXPECT_FALSE(MedianCiRanksFor(10, bad).has_value()) << bad;
    EXPECT_EQ(MinSamplesForMedianCi(bad), 0) << bad;
  }
}

TEST(MedianCiTest, OrderStatistics) {
  std::optional<MedianInterval> m = MedianCi(kSeven);
  ASSERT_TRUE(m.has_value());
  EXPECT_DOUBLE_EQ(m->median, 9.4);
  EXPECT_DOUBLE_EQ(m->low, 9.1);  // x(1)
  EXPECT_DOUBLE_EQ(m->high, 12);  // x(7)
  EXPECT_EQ(m->ranks.low_rank, 1);

  // n = 10: x(2) and x(9) of 1 .. 10, given in another order.
  m = MedianCi({10, 3, 7, 1, 9, 2, 8, 4, 6, 5});
  ASSERT_TRUE(m.has_value());
  EXPECT_DOUBLE_EQ(m->median, 5.5);
  EXPECT_DOUBLE_EQ(m->low, 2);
  EXPECT_DOUBLE_EQ(m->high, 9);
  EXPECT_NEAR(m->ranks.coverage, 0.978515625, 1e-12);
}

TEST(MedianCiTest, DegenerateInputs) {
  EXPECT_FALSE(MedianCi({}).has_value());
  EXPECT_FALSE(MedianCi({1}).has_value());
  EXPECT_FALSE(MedianCi({1, 2, 3, 4, 5}).has_value());  // n < 6: none
  EXPECT_FALSE(MedianCi({1, 2, 3, kNan, 5, 6}).has_value());
  EXPECT_FALSE(MedianCi({1, 2, 3, 4, 5, kInf}).has_value());
  std::optional<MedianInterval> m = MedianCi({4, 4, 4, 4, 4, 4});
  ASSERT_TRUE(m.has_value());
  EXPECT_DOUBLE_EQ(m->low, 4);
  EXPECT_DOUBLE_EQ(m->high, 4);
}

// Reference values of the bootstrap: a Python mirror of the algorithm
// (SplitMix64, whose first outputs for seed 0 it checks against the
// published 0xe220a8397b1dcdaf 0x6e789e6aa1b965f4 0x06c45d188009454f; the
// same rejection draw; numpy.median of each resample; numpy.percentile,
// method "linear", of the medians).
const std::vector<double> kTwentyFive = {
    10.0,   10.506, 9.892,  9.567, 10.287, 10.449, 9.71,  9.761, 10.51,
    10.288, 9.619,  10.036, 10.62, 10.076, 9.654,  10.33, 10.6,  9.877,
    9.816,  10.577, 10.465, 9.755, 10.073, 10.723, 10.26};  // median 10.076

TEST(BootstrapMedianCiTest, ReferenceValues) {
  std::optional<Interval> b = BootstrapMedianCi(kSeven, 1);
  ASSERT_TRUE(b.has_value());
  EXPECT_DOUBLE_EQ(b->low, 9.2);
  EXPECT_DOUBLE_EQ(b->high, 9.6);

  b = BootstrapMedianCi(kTwentyFive, 1);
  EXPECT_DOUBLE_EQ(b->low, 9.877);
  EXPECT_DOUBLE_EQ(b->high, 10.449);
  b = BootstrapMedianCi(kTwentyFive, 2);
  EXPECT_DOUBLE_EQ(b->low, 9.877);
  EXPECT_NEAR(b->high, 10.332974999999983, 1e-12);
  b = BootstrapMedianCi(kTwentyFive, 12345, 333, 0.8);
  EXPECT_DOUBLE_EQ(b->low, 10.0);
  EXPECT_DOUBLE_EQ(b->high, 10.288);

  const std::vector<double> ten = {10.2, 9.8,  10.5, 10.1, 9.9,
                                   10.0, 10.4, 9.7,  10.3, 12.5};
  b = BootstrapMedianCi(ten, 1, 100, 0.9);
  EXPECT_NEAR(b->low, 9.95, 1e-12);
  EXPECT_NEAR(b->high, 10.3025, 1e-12);
}

TEST(BootstrapMedianCiTest, Deterministic) {
  std::optional<Interval> a = BootstrapMedianCi(kTwentyFive, 99);
  std::optional<Interval> b = BootstrapMedianCi(kTwentyFive, 99);
  EXPECT_EQ(a->low, b->low);
  EXPECT_EQ(a->high, b->high);
  EXPECT_LE(a->low, 10.076);
  EXPECT_GE(a->high, 10.076);
}

TEST(BootstrapMedianCiTest, DegenerateInputs) {
  EXPECT_FALSE(BootstrapMedianCi({}, 1).has_value());
  EXPECT_FALSE(BootstrapMedianCi({5}, 1).has_value());
  EXPECT_FALSE(BootstrapMedianCi({5, kNan}, 1).has_value());
  EXPECT_FALSE(BootstrapMedianCi({5, 6}, 1, 0).has_value());
  EXPECT_FALSE(BootstrapMedianCi({5, 6}, 1, 100, 1.0).has_value());
  std::optional<Interval> b = BootstrapMedianCi({3, 3, 3}, 1);
  ASSERT_TRUE(b.has_value());
  EXPECT_DOUBLE_EQ(b->low, 3);
  EXPECT_DOUBLE_EQ(b->high, 3);
  // Two values: resample medians are 1, 2 or 3 (Python mirror, seed 7).
  b = BootstrapMedianCi({1, 3}, 7);
  EXPECT_DOUBLE_EQ(b->low, 1);
  EXPECT_DOUBLE_EQ(b->high, 3);
}

}  // namespace
}  // namespace copyscope::record
