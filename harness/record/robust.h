// Robust estimates over the repetitions of one cell: the median with a
// distribution-free 95% confidence interval from order statistics, a
// bootstrap interval of the median as an alternative, quantiles and the
// scaled MAD. Beside Summarize() (stats.h: mean, Student CI, CV), for
// figures whose repetitions are skewed or have an outlier, where the median
// and its interval say more than the mean.
//
//   std::vector<double> gbps = {9.1, 9.4, 9.3, 9.6, 9.2, 9.5, 12.0};
//   std::optional<MedianInterval> m = MedianCi(gbps);
//   // median 9.4 in [9.1, 12.0] = [x(1), x(7)], coverage 0.984375
//   std::optional<Interval> b =
//       BootstrapMedianCi(gbps, kDefaultBootstrapSeed);  // deterministic
//   Quantile(gbps, 0.25);                             // 9.25 (numpy linear)
//   ScaledMad(gbps);                                  // 1.4826 * 0.2
//
// Every function is pure and deterministic. Inputs are in any order and are
// never modified. A NaN or an infinity anywhere in the input is refused: the
// result is empty (std::nullopt), never a figure computed from part of the
// data; filter failed samples before calling.
#ifndef COPYSCOPE_HARNESS_RECORD_ROBUST_H_
#define COPYSCOPE_HARNESS_RECORD_ROBUST_H_

#include <cstdint>
#include <optional>
#include <vector>

namespace copyscope::record {

// True when no value is NaN or infinite (true for no values).
bool AllFinite(const std::vector<double>& values);

// The median: the middle value, or the mean of the two middle ones for an
// even count (as Summary::median). Empty for no values or a non-finite one.
std::optional<double> Median(const std::vector<double>& values);

// The p-quantile (0 <= p <= 1) by linear interpolation between order
// statistics: h = (n - 1) p, x(floor h) + (h - floor h) (x(floor h + 1) -
// x(floor h)) over the sorted values counted from 0. This is numpy's
// default (method "linear") and Hyndman and Fan's type 7. Empty for no
// values, a non-finite value, or p outside [0, 1].
std::optional<double> Quantile(const std::vector<double>& values, double p);

// 1.4826: scales the MAD to estimate the standard deviation of normal data
// (1 / Phi^-1(3/4)).
inline constexpr double kMadScale = 1.4826;

// kMadScale * median(|x - median(x)|). 0 when more than half the values are
// equal. Empty for no values or a non-finite one.
std::optional<double> ScaledMad(const std::vector<double>& values);

// The ranks (1-based, in the sorted values) of a distribution-free interval
// of the median: [x(low_rank), x(high_rank)] with high_rank = n + 1 -
// low_rank, and low_rank the largest for which the coverage
// P(x(low_rank) <= median < x(high_rank)) = 1 - 2 P(B <= low_rank - 1),
// B ~ Binomial(n, 1/2), is at least `confidence`. The coverage is exact
// for continuous data (ties make the interval conservative).
struct MedianCiRanks {
  int low_rank = 0;
  int high_rank = 0;
  double coverage = 0;  // e.g. 0.978515625 for n = 10: ranks (2, 9)
};

// The ranks for n values; empty when no ranks reach `confidence`: at 95%,
// for n < 6 (even [min, max] of 5 values covers only 1 - 2/32 = 93.75%).
// Empty too for confidence outside (0, 1).
std::optional<MedianCiRanks> MedianCiRanksFor(int n, double confidence = 0.95);

// The least n for which MedianCiRanksFor(n, confidence) exists: 6 at 95%,
// 8 at 99%, 5 at 90%; 0 for confidence outside (0, 1).
int MinSamplesForMedianCi(double confidence = 0.95);

struct MedianInterval {
  double median = 0;
  double low = 0;   // x(ranks.low_rank)
  double high = 0;  // x(ranks.high_rank)
  MedianCiRanks ranks;
};

// The median and its order-statistic interval (see MedianCiRanks). Empty
// when the interval does not exist (n < MinSamplesForMedianCi(confidence),
// never a narrower interval than the data support) or a value is not
// finite; then use Median() or Summary::median alone.
std::optional<MedianInterval> MedianCi(const std::vector<double>& values,
                                       double confidence = 0.95);

struct Interval {
  double low = 0;
  double high = 0;
};

inline constexpr uint64_t kDefaultBootstrapSeed = 1;
inline constexpr int kDefaultBootstrapResamples = 2000;

// A percentile bootstrap interval of the median: `resamples` resamples of
// n values drawn with replacement, their medians sorted, and the
// Quantile()s at (1 - confidence) / 2 and (1 + confidence) / 2. The draws
// come from SplitMix64 seeded with `seed`, indices by unbiased rejection
// (r mod n, r below the largest multiple of n), so the result depends only
// on the arguments, on every platform. Empty for fewer than 2 values (one
// value has no spread to resample), a non-finite value, resamples < 1 or
// confidence outside (0, 1). All values equal give [value, value].
//
// An alternative to MedianCi(): it exists from n = 2, but for small n
// (below ~10) it is too narrow, since a resample can only take the few
// values seen; prefer MedianCi() where it exists.
std::optional<Interval> BootstrapMedianCi(
    const std::vector<double>& values, uint64_t seed,
    int resamples = kDefaultBootstrapResamples, double confidence = 0.95);

}  // namespace copyscope::record

#endif  // COPYSCOPE_HARNESS_RECORD_ROBUST_H_
