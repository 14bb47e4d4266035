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

namespace {
constexpr double kSqrt2 = 1.41421356237309504880;
constexpr double kSqrt2Pi = 2.50662827463100050242;
}  // namespace

double NormalCdf(double z) { return 0.5 * std::erfc(-z / kSqrt2); }

double NormalTwoSidedP(double z) { return std::erfc(std::fabs(z) / kSqrt2); }

double NormalQuantile(double p) {
  if (!(p > 0 && p < 1)) return std::nan("");
  // By symmetry, work in the lower half, where NormalCdf keeps its relative
  // precision (1 - p is exact for p >= 0.5).
  if (p > 0.5) return -NormalQuantile(1 - p);
  // P. J. Acklam's rational approximation of the inverse normal CDF
  // (relative error below 1.15e-9): a central region and a lower tail.
  static constexpr double kA[] = {
      -3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
      1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double kB[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                  -1.556989798598866e+02, 6.680131188771972e+01,
                                  -1.328068155288572e+01};
  static constexpr double kC[] = {
      -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
      -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double kD[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                  2.445134137142996e+00, 3.754408661907416e+00};
  double x;
  if (p < 0.02425) {
    double q = std::sqrt(-2 * std::log(p));
    x = (((((kC[0] * q + kC[1]) * q + kC[2]) * q + kC[3]) * q + kC[4]) * q +
         kC[5]) /
        ((((kD[0] * q + kD[1]) * q + kD[2]) * q + kD[3]) * q + 1);
  } else {
    double q = p - 0.5;
    double r = q * q;
    x = (((((kA[0] * r + kA[1]) * r + kA[2]) * r + kA[3]) * r + kA[4]) * r +
         kA[5]) *
        q /
        (((((kB[0] * r + kB[1]) * r + kB[2]) * r + kB[3]) * r + kB[4]) * r + 1);
  }
  // One Halley step on NormalCdf(x) - p brings it to double precision.
  double e = NormalCdf(x) - p;
  double u = e * kSqrt2Pi * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

double StudentQuantile(double p, int df) {
  if (!(p > 0 && p < 1) || df < 1) return std::nan("");
  constexpr double kPi = 3.14159265358979323846;
  if (df == 1) return std::tan(kPi * (p - 0.5));
  if (df == 2) return (2 * p - 1) / std::sqrt(2 * p * (1 - p));
  const double z = NormalQuantile(p);
  const double z2 = z * z;
  const double g1 = (z2 + 1) * z / 4;
  const double g2 = ((5 * z2 + 16) * z2 + 3) * z / 96;
  const double g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384;
  const double g4 =
      ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z / 92160;
  const double v = df;
  return z + g1 / v + g2 / (v * v) + g3 / (v * v * v) + g4 / (v * v * v * v);
}

}  // namespace copyscope::record
