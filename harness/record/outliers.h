// Outliers among the repetitions of one cell, by robust fences: which
// samples lie outside, by index, so that a report can name them and a
// reader can look at them. Nothing is dropped: the statistics of a cell
// keep every sample, and whether to rerun or discard one is the caller's
// decision.
//
//   std::vector<double> gbps = {9.1, 9.4, 9.3, 9.6, 9.2, 9.5, 12.0};
//   std::optional<Fences> f = MadFences(gbps);     // median +- 3 scaled MAD
//   // f->low 8.51044, f->high 10.28956, f->outside {6}
//   std::optional<Fences> t = TukeyFences(gbps);   // Q1 - 1.5 IQR, Q3 + ...
//   // t->low 8.8, t->high 10.0, t->outside {6}
//
// A value exactly on a fence is inside. Pure functions; a NaN or an
// infinity in the input, no values, or a k that is negative or not finite
// give an empty result.
#ifndef COPYSCOPE_HARNESS_RECORD_OUTLIERS_H_
#define COPYSCOPE_HARNESS_RECORD_OUTLIERS_H_

#include <cstddef>
#include <optional>
#include <vector>

namespace copyscope::record {

struct Fences {
  double low = 0;
  double high = 0;
  // Indices into the input of the values below low or above high,
  // ascending.
  std::vector<size_t> outside;
};

// median +- k * ScaledMad (robust.h: 1.4826 * the median absolute
// deviation, which estimates the standard deviation of normal data; k = 3
// is about 3 sigma). When more than half the values are equal the MAD is
// 0, the fences are [median, median] and every other value is outside:
// next to a majority of identical values, any different one is an outlier.
std::optional<Fences> MadFences(const std::vector<double>& values,
                                double k = 3.0);

// Tukey's fences: Q1 - k * IQR and Q3 + k * IQR, IQR = Q3 - Q1, with the
// quartiles of Quantile() (robust.h: linear interpolation, numpy's default
// method). k = 1.5 gives Tukey's "outside" values, 3 his "far out" ones.
std::optional<Fences> TukeyFences(const std::vector<double>& values,
                                  double k = 1.5);

}  // namespace copyscope::record

#endif  // COPYSCOPE_HARNESS_RECORD_OUTLIERS_H_
