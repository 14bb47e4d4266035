#include "harness/engine/histogram.h"

#include <algorithm>
#include <cmath>

namespace copyscope::engine {

int Histogram::Index(uint64_t value) {
  if (value < static_cast<uint64_t>(kExactLimit))
    return static_cast<int>(value);
  int e = 63 - __builtin_clzll(value);  // >= kSubBits + 1
  int shift = e - kSubBits;
  uint64_t mantissa = value >> shift;  // in [128, 256)
  return kExactLimit + (e - (kSubBits + 1)) * (1 << kSubBits) +
         static_cast<int>(mantissa - (uint64_t{1} << kSubBits));
}

uint64_t Histogram::Lower(int index) {
  if (index < kExactLimit) return static_cast<uint64_t>(index);
  int i = index - kExactLimit;
  int e = i / (1 << kSubBits) + kSubBits + 1;
  uint64_t mantissa = (uint64_t{1} << kSubBits) + i % (1 << kSubBits);
  return mantissa << (e - kSubBits);
}

uint64_t Histogram::Upper(int index) {
  if (index < kExactLimit) return static_cast<uint64_t>(index);
  int i = index - kExactLimit;
  int e = i / (1 << kSubBits) + kSubBits + 1;
  return Lower(index) + ((uint64_t{1} << (e - kSubBits)) - 1);
}

void Histogram::Merge(const Histogram& other) {
  for (int i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void Histogram::AddBucket(uint64_t lower, uint64_t count) {
  if (count == 0) return;
  counts_[Index(lower)] += count;
  count_ += count;
  sum_ += lower * count;
  min_ = std::min(min_, lower);
  max_ = std::max(max_, lower);
}

double Histogram::Percentile(double p) const {
  if (count_ == 0) return 0;
  p = std::min(100.0, std::max(p, 0.0));
  uint64_t rank =
      static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
  rank = std::max<uint64_t>(rank, 1);
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      double lo = static_cast<double>(Lower(i));
      double hi = static_cast<double>(Upper(i));
      double mid = lo == hi ? lo : (lo + hi + 1) / 2;
      return std::min(std::max(mid, static_cast<double>(min_)),
                      static_cast<double>(max_));
    }
  }
  return static_cast<double>(max_);
}

std::vector<Histogram::Bucket> Histogram::Buckets() const {
  std::vector<Bucket> out;
  for (int i = 0; i < kBuckets; ++i) {
    if (counts_[i] != 0) out.push_back({Lower(i), Upper(i), counts_[i]});
  }
  return out;
}

}  // namespace copyscope::engine
