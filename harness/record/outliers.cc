#include "harness/record/outliers.h"

#include <cmath>

#include "harness/record/robust.h"

namespace copyscope::record {
namespace {

bool ValidK(double k) { return std::isfinite(k) && k >= 0; }

Fences Outside(const std::vector<double>& values, double low, double high) {
  Fences f;
  f.low = low;
  f.high = high;
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i] < low || values[i] > high) f.outside.push_back(i);
  }
  return f;
}

}  // namespace

std::optional<Fences> MadFences(const std::vector<double>& values, double k) {
  if (!ValidK(k)) return std::nullopt;
  std::optional<double> med = Median(values);
  std::optional<double> mad = ScaledMad(values);
  if (!med || !mad) return std::nullopt;
  return Outside(values, *med - k * *mad, *med + k * *mad);
}

std::optional<Fences> TukeyFences(const std::vector<double>& values, double k) {
  if (!ValidK(k)) return std::nullopt;
  std::optional<double> q1 = Quantile(values, 0.25);
  std::optional<double> q3 = Quantile(values, 0.75);
  if (!q1 || !q3) return std::nullopt;
  double iqr = *q3 - *q1;
  return Outside(values, *q1 - k * iqr, *q3 + k * iqr);
}

}  // namespace copyscope::record
