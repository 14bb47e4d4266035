#include "harness/record/outliers.h"

#include <limits>
#include <vector>

#include "gtest/gtest.h"

namespace copyscope::record {
namespace {

using Indices = std::vector<size_t>;

const double kNan = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

// Reference fences: numpy (1.24): m = median(v), s = 1.4826 * median(|v -
// m|), m -+ k s; q1, q3 = percentile(v, [25, 75]) (method "linear"),
// q1 - k (q3 - q1), q3 + k (q3 - q1).
const std::vector<double> kSeven = {9.1, 9.4, 9.3, 9.6, 9.2, 9.5, 12.0};
const std::vector<double> kTwoSided = {100, 102, 98,    101, 99,
                                       150, 50,  100.5, 103, 97};

TEST(MadFencesTest, ReferenceValues) {
  std::optional<Fences> f = MadFences(kSeven);
  ASSERT_TRUE(f.has_value());
  EXPECT_NEAR(f->low, 8.51044, 1e-12);
  EXPECT_NEAR(f->high, 10.28956, 1e-12);
  EXPECT_EQ(f->outside, Indices({6}));

  f = MadFences(kTwoSided);  // median 100.25, scaled MAD 2.9652
  EXPECT_NEAR(f->low, 91.3544, 1e-12);
  EXPECT_NEAR(f->high, 109.1456, 1e-12);
  EXPECT_EQ(f->outside, Indices({5, 6}));  // 150 above, 50 below

  f = MadFences(kTwoSided, 2);
  EXPECT_NEAR(f->low, 94.3196, 1e-12);
  EXPECT_NEAR(f->high, 106.1804, 1e-12);
}

TEST(TukeyFencesTest, ReferenceValues) {
  std::optional<Fences> f = TukeyFences(kSeven);  // Q1 9.25, Q3 9.55
  ASSERT_TRUE(f.has_value());
  EXPECT_NEAR(f->low, 8.8, 1e-12);
  EXPECT_NEAR(f->high, 10.0, 1e-12);
  EXPECT_EQ(f->outside, Indices({6}));

  f = TukeyFences(kTwoSided);  // Q1 98.25, Q3 101.75
  EXPECT_NEAR(f->low, 93.0, 1e-12);
  EXPECT_NEAR(f->high, 107.0, 1e-12);
  EXPECT_EQ(f->outside, Indices({5, 6}));

  f = TukeyFences(kTwoSided, 3);
  EXPECT_NEAR(f->low, 87.75, 1e-12);
  EXPECT_NEAR(f->high, 112.25, 1e-12);
}

TEST(FencesTest, TheTwoMethodsDiffer) {
  // 1 .. 9 and 15: MAD fences [-5.6195, 16.6195] keep 15; Tukey's
  // [-3.5, 14.5] (Q1 3.25, Q3 7.75) put it outside.
  const std::vector<double> v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 15};
  std::optional<Fences> mad = MadFences(v);
  EXPECT_NEAR(mad->low, -5.6195, 1e-12);
  EXPECT_NEAR(mad->high, 16.6195, 1e-12);
  EXPECT_TRUE(mad->outside.empty());
  std::optional<Fences> tukey = TukeyFences(v);
  EXPECT_NEAR(tukey->low, -3.5, 1e-12);
  EXPECT_NEAR(tukey->high, 14.5, 1e-12);
  EXPECT_EQ(tukey->outside, Indices({9}));
}

TEST(FencesTest, OnTheFenceIsInside) {
  // median 2, scaled MAD 1.4826: with k = 0 the fences are [2, 2].
  std::optional<Fences> f = MadFences({1, 2, 3}, 0);
  EXPECT_EQ(f->outside, Indices({0, 2}));
  // Q1 1.5, Q3 2.5, IQR 1: with k = 0.5 the fences are [1, 3] exactly.
  f = TukeyFences({1, 2, 3}, 0.5);
  EXPECT_DOUBLE_EQ(f->low, 1);
  EXPECT_DOUBLE_EQ(f->high, 3);
  EXPECT_TRUE(f->outside.empty());
}

TEST(FencesTest, ZeroSpread) {
  // More than half equal: MAD 0 and IQR 0, fences [5, 5], the 6 is out.
  for (const std::optional<Fences>& f :
       {MadFences({5, 5, 6, 5, 5}), TukeyFences({5, 5, 6, 5, 5})}) {
    ASSERT_TRUE(f.has_value());
    EXPECT_DOUBLE_EQ(f->low, 5);
    EXPECT_DOUBLE_EQ(f->high, 5);
    EXPECT_EQ(f->outside, Indices({2}));
  }
  for (const std::optional<Fences>& f :
       {MadFences({7, 7, 7}), TukeyFences({7, 7, 7})}) {
    EXPECT_TRUE(f->outside.empty());
  }
}

TEST(FencesTest, SmallAndInvalidInputs) {
  for (const std::optional<Fences>& f : {MadFences({4}), TukeyFences({4})}) {
    ASSERT_TRUE(f.has_value());
    EXPECT_DOUBLE_EQ(f->low, 4);
    EXPECT_DOUBLE_EQ(f->high, 4);
    EXPECT_TRUE(f->outside.empty());
  }
  // Two values: numpy gives MAD fences [-0.7239, 3.7239], Tukey [0.5, 2.5].
  EXPECT_NEAR(MadFences({1, 2})->low, -0.7239, 1e-12);
  EXPECT_NEAR(TukeyFences({1, 2})->high, 2.5, 1e-12);
  EXPECT_FALSE(MadFences({}).has_value());
  EXPECT_FALSE(TukeyFences({}).has_value());
  EXPECT_FALSE(MadFences({1, kNan, 3}).has_value());
  EXPECT_FALSE(TukeyFences({1, kInf, 3}).has_value());
  for (double k : {-1.0, kNan, kInf}) {
    EXPECT_FALSE(MadFences({1, 2, 3}, k).has_value()) << k;
    EXPECT_FALSE(TukeyFences({1, 2, 3}, k).has_value()) << k;
  }
}

}  // namespace
}  // namespace copyscope::record
