#include "harness/engine/histogram.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace copyscope::engine {
namespace {

// The exact value of rank ceil(p/100*n) in sorted values.
double Exact(std::vector<uint64_t> v, double p) {
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p / 100 * v.size()));
  return static_cast<double>(v[std::max<size_t>(rank, 1) - 1]);
}

TEST(HistogramTest, BucketsTileTheRangeWithBoundedWidth) {
  for (int i = 0; i + 1 < Histogram::kBuckets; ++i) {
    ASSERT_EQ(Histogram::Upper(i) + 1, Histogram::Lower(i + 1)) << i;
    ASSERT_EQ(Histogram::Index(Histogram::Lower(i)), i);
    ASSERT_EQ(Histogram::Index(Histogram::Upper(i)), i);
    double width = Histogram::Upper(i) - Histogram::Lower(i) + 1;
    if (i < Histogram::kExactLimit) {
      ASSERT_EQ(width, 1);
    } else {
      ASSERT_LE(width / Histogram::Lower(i), 1.0 / 128);
    }
  }
  EXPECT_EQ(Histogram::Index(UINT64_MAX), Histogram::kBuckets - 1);
  EXPECT_EQ(Histogram::Upper(Histogram::kBuckets - 1), UINT64_MAX);
}

TEST(HistogramTest, SmallValuesAreExact) {
  Histogram h;
  for (uint64_t v = 1; v <= 100; ++v) h.Record(v);
  EXPECT_EQ(h.Percentile(50), 50);
  EXPECT_EQ(h.Percentile(99), 99);
  EXPECT_EQ(h.Percentile(100), 100);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 100u);
  EXPECT_DOUBLE_EQ(h.mean(), 50.5);
}

TEST(HistogramTest, PercentilesWithinStatedErrorOfExactValues) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> dist(std::log(20000.0), 1.0);
  std::vector<uint64_t> values;
  Histogram h;
  for (int i = 0; i < 100000; ++i) {
    uint64_t v = static_cast<uint64_t>(dist(rng)) + 1;
    values.push_back(v);
    h.Record(v);
  }
  for (double p : {1.0, 10.0, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
    double exact = Exact(values, p);
    double got = h.Percentile(p);
    EXPECT_LE(std::fabs(got - exact) / exact, Histogram::kMaxRelativeError)
        << "p" << p << " exact " << exact << " got " << got;
  }
  EXPECT_EQ(h.count(), values.size());
  EXPECT_EQ(h.max(), *std::max_element(values.begin(), values.end()));
}

TEST(HistogramTest, MergeEqualsRecordingEverythingIntoOne) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<uint64_t> dist(1, 5000000);
  Histogram parts[4], all;
  for (int i = 0; i < 40000; ++i) {
    uint64_t v = dist(rng);
    parts[i % 4].Record(v);
    all.Record(v);
  }
  Histogram merged;
  for (const Histogram& p : parts) merged.Merge(p);
  EXPECT_EQ(merged.count(), all.count());
  EXPECT_EQ(merged.min(), all.min());
  EXPECT_EQ(merged.max(), all.max());
  EXPECT_DOUBLE_EQ(merged.mean(), all.mean());
  auto a = merged.Buckets(), b = all.Buckets();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].lower, b[i].lower);
    EXPECT_EQ(a[i].count, b[i].count);
  }
  for (double p : {50.0, 90.0, 99.0, 99.9}) {
    EXPECT_EQ(merged.Percentile(p), all.Percentile(p));
  }
}

TEST(HistogramTest, EmptyHistogram) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.Percentile(50), 0);
  EXPECT_TRUE(h.Buckets().empty());
}

}  // namespace
}  // namespace copyscope::engine
