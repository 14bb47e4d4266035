#include "harness/record/stats.h"

#include <algorithm>
#include <cmath>

namespace copyscope::record {

double StudentT95(int df) {
  // t_{0.975, df}, df = 1 .. 29.
  static constexpr double kT[] = {
      12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
      2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
      2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045};
  if (df < 1) return 0;
  if (df < 30) return kT[df - 1];
  return 1.96;
}

Summary Summarize(const std::vector<double>& values) {
  Summary s;
  s.n = static_cast<int>(values.size());
  if (values.empty()) return s;
  std::vector<double> v = values;
  std::sort(v.begin(), v.end());
  s.min = v.front();
  s.max = v.back();
  size_t mid = v.size() / 2;
  s.median = v.size() % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / static_cast<double>(v.size());
  if (s.n >= 2) {
    double ss = 0;
    for (double x : v) ss += (x - s.mean) * (x - s.mean);
    double sd = std::sqrt(ss / static_cast<double>(s.n - 1));
    s.stddev = sd;
    double half =
        StudentT95(s.n - 1) * sd / std::sqrt(static_cast<double>(s.n));
    s.ci95_low = s.mean - half;
    s.ci95_high = s.mean + half;
    if (s.mean != 0) s.cv = sd / std::fabs(s.mean);
  }
  return s;
}

bool IsUnstable(const Summary& s, double max_cv) {
  return s.cv.has_value() && *s.cv > max_cv;
}

}  // namespace copyscope::record
