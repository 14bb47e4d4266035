// A log-linear latency histogram (HdrHistogram-like): fixed memory, no
// allocation per value, bounded relative error, exact merge.
//
//   Histogram h;
//   h.Record(12345);                    // a round trip, in nanoseconds
//   Histogram all;
//   all.Merge(h);                       // exact: same as recording into all
//   double p99 = all.Percentile(99.0);  // ns, within 1/256 of the true value
//   for (const Histogram::Bucket& b : all.Buckets()) ...   // non-empty ones
//
// Layout: values below 256 have a bucket each (exact); above, every power
// of two [2^e, 2^(e+1)) is split into 128 equal buckets, so a bucket is at
// most 1/128 of its lower bound wide. A percentile is reported as the
// midpoint of the bucket holding the value of that rank (clamped to the
// exact min and max), so its relative error is at most 1/256 (0.39%).
// Count, sum, min and max are kept exactly.
#ifndef COPYSCOPE_HARNESS_ENGINE_HISTOGRAM_H_
#define COPYSCOPE_HARNESS_ENGINE_HISTOGRAM_H_

#include <array>
#include <cstdint>
#include <vector>

namespace copyscope::engine {

class Histogram {
 public:
  static constexpr int kSubBits = 7;  // 128 buckets per power of two
  static constexpr int kExactLimit = 2 << kSubBits;  // 256
  static constexpr int kBuckets =
      kExactLimit + (64 - (kSubBits + 1)) * (1 << kSubBits);
  // The stated bound on a percentile's relative error.
  static constexpr double kMaxRelativeError = 1.0 / 256;

  struct Bucket {
    uint64_t lower = 0;  // smallest value of the bucket
    uint64_t upper = 0;  // largest value of the bucket (inclusive)
    uint64_t count = 0;
  };

  void Record(uint64_t value) {
    ++counts_[Index(value)];
    ++count_;
    sum_ += value;
    if (value < min_) min_ = value;
    if (value > max_) max_ = value;
  }
  void Merge(const Histogram& other);
  // Adds `count` values of a bucket read back from a record (its lower
  // bound stands for them in sum, min and max).
  void AddBucket(uint64_t lower, uint64_t count);

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  double mean() const {
    return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0;
  }

  // The value at percentile p (0 < p <= 100): the rank ceil(p/100*count)
  // value, within kMaxRelativeError. 0 when empty.
  double Percentile(double p) const;

  // The non-empty buckets, in increasing order.
  std::vector<Bucket> Buckets() const;

  static int Index(uint64_t value);
  static uint64_t Lower(int index);
  static uint64_t Upper(int index);

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

}  // namespace copyscope::engine

#endif  // COPYSCOPE_HARNESS_ENGINE_HISTOGRAM_H_
