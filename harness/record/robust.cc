#include "harness/record/robust.h"

#include <algorithm>
#include <cmath>

namespace copyscope::record {
namespace {

// Sorted values, from `values` all finite and not empty.
std::vector<double> Sorted(const std::vector<double>& values) {
  std::vector<double> v = values;
  std::sort(v.begin(), v.end());
  return v;
}

double MedianOfSorted(const std::vector<double>& v) {
  size_t mid = v.size() / 2;
  return v.size() % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

// The median of v (not empty), reordering it.
double MedianInPlace(std::vector<double>& v) {
  size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + mid, v.end());
  double upper = v[mid];
  if (v.size() % 2) return upper;
  double lower = *std::max_element(v.begin(), v.begin() + mid);
  return (lower + upper) / 2;
}

double QuantileOfSorted(const std::vector<double>& v, double p) {
  double h = static_cast<double>(v.size() - 1) * p;
  size_t lo = static_cast<size_t>(std::floor(h));
  if (lo + 1 >= v.size()) return v.back();
  return v[lo] + (h - static_cast<double>(lo)) * (v[lo + 1] - v[lo]);
}

bool ValidConfidence(double confidence) {
  return confidence > 0 && confidence < 1;
}

// SplitMix64 (Steele, Lea and Flood 2014): a 64-bit state, one addition
// and a mix per number; the same sequence on every platform, unlike the
// distributions of <random>.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, n), n >= 1: numbers below 2^64 mod n are drawn again,
  // so that every remainder is equally likely.
  uint64_t Below(uint64_t n) {
    uint64_t threshold = (0 - n) % n;
    for (;;) {
      uint64_t r = Next();
      if (r >= threshold) return r % n;
    }
  }

 private:
  uint64_t state_;
};

}  // namespace

bool AllFinite(const std::vector<double>& values) {
  return std::all_of(values.begin(), values.end(),
                     [](double x) { return std::isfinite(x); });
}

std::optional<double> Median(const std::vector<double>& values) {
  if (values.empty() || !AllFinite(values)) return std::nullopt;
  return MedianOfSorted(Sorted(values));
}

std::optional<double> Quantile(const std::vector<double>& values, double p) {
  if (values.empty() || !AllFinite(values) || !(p >= 0 && p <= 1)) {
    return std::nullopt;
  }
  return QuantileOfSorted(Sorted(values), p);
}

std::optional<double> ScaledMad(const std::vector<double>& values) {
  std::optional<double> med = Median(values);
  if (!med) return std::nullopt;
  std::vector<double> dev;
  dev.reserve(values.size());
  for (double x : values) dev.push_back(std::fabs(x - *med));
  return kMadScale * MedianInPlace(dev);
}

std::optional<MedianCiRanks> MedianCiRanksFor(int n, double confidence) {
  if (n < 1 || !ValidConfidence(confidence)) return std::nullopt;
  // P(B <= i) for B ~ Binomial(n, 1/2), summed from i = 0 with log C(n, i)
  // updated term by term (no lgamma: it writes the global signgam).
  const double log_half_n = static_cast<double>(n) * std::log(0.5);
  double log_choose = 0;  // log C(n, i)
  double cdf = 0;         // P(B <= i)
  MedianCiRanks best;
  for (int i = 0; 2 * i < n; ++i) {
    if (i > 0) log_choose += std::log(double(n - i + 1) / double(i));
    cdf += std::exp(log_choose + log_half_n);
    if (2 * cdf > 1 - confidence) break;
    best.low_rank = i + 1;
    best.high_rank = n - i;
    best.coverage = 1 - 2 * cdf;
  }
  if (best.low_rank < 1) return std::nullopt;
  return best;
}

int MinSamplesForMedianCi(double confidence) {
  if (!ValidConfidence(confidence)) return 0;
  // [min, max] covers 1 - 2^(1-n): the least n with 2^(1-n) <= 1 - conf.
  int n = 1;
  while (!MedianCiRanksFor(n, confidence)) ++n;
  return n;
}

std::optional<MedianInterval> MedianCi(const std::vector<double>& values,
                                       double confidence) {
  if (!AllFinite(values)) return std::nullopt;
  std::optional<MedianCiRanks> ranks =
      MedianCiRanksFor(static_cast<int>(values.size()), confidence);
  if (!ranks) return std::nullopt;
  std::vector<double> v = Sorted(values);
  MedianInterval m;
  m.median = MedianOfSorted(v);
  m.low = v[ranks->low_rank - 1];
  m.high = v[ranks->high_rank - 1];
  m.ranks = *ranks;
  return m;
}

std::optional<Interval> BootstrapMedianCi(const std::vector<double>& values,
                                          uint64_t seed, int resamples,
                                          double confidence) {
  if (values.size() < 2 || !AllFinite(values) || resamples < 1 ||
      !ValidConfidence(confidence)) {
    return std::nullopt;
  }
  SplitMix64 rng(seed);
  std::vector<double> draw(values.size());
  std::vector<double> medians;
  medians.reserve(resamples);
  for (int r = 0; r < resamples; ++r) {
    for (double& x : draw) x = values[rng.Below(values.size())];
    medians.push_back(MedianInPlace(draw));
  }
  std::sort(medians.begin(), medians.end());
  double tail = (1 - confidence) / 2;
  return Interval{QuantileOfSorted(medians, tail),
                  QuantileOfSorted(medians, 1 - tail)};
}

}  // namespace copyscope::record
