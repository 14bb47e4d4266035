#include "harness/record/rank_test.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"

namespace copyscope::record {
namespace {

constexpr int kExactMaxPairs = 2500;

// P(U = u), u = 0 .. m*n, for m against n distinct values under no shift.
// The largest value is one of the m with probability m / (m + n), adding n
// to U, else one of the n: a recurrence over (i, j) of positive terms only.
std::vector<double> UDistribution(int m, int n) {
  // row[j]: the distribution for (i, j); prev: for (i - 1, j).
  std::vector<std::vector<double>> prev(n + 1, std::vector<double>{1.0});
  for (int i = 1; i <= m; ++i) {
    std::vector<std::vector<double>> row(n + 1);
    row[0] = {1.0};
    for (int j = 1; j <= n; ++j) {
      std::vector<double> p(static_cast<size_t>(i) * j + 1, 0.0);
      const double from_a = static_cast<double>(i) / (i + j);
      for (size_t u = 0; u < prev[j].size(); ++u) {
        p[u + j] += from_a * prev[j][u];
      }
      for (size_t u = 0; u < row[j - 1].size(); ++u) {
        p[u] += (1 - from_a) * row[j - 1][u];
      }
      row[j] = std::move(p);
    }
    prev = std::move(row);
  }
  return prev[n];
}

double NormalUpperTail(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

// k >= 1: the rank of the interval's lower end among the sorted m*n
// differences, the largest k with P(U <= k - 1) <= alpha / 2; 0 when even
// k = 1 does not qualify.
int LowerRank(int m, int n, double alpha) {
  if (m * n <= kExactMaxPairs) {
    std::vector<double> p = UDistribution(m, n);
    int k = 0;
    double cum = 0;
    while (k < static_cast<int>(p.size()) && cum + p[k] <= alpha / 2 + 1e-12) {
      cum += p[k];
      ++k;
    }
    return k;
  }
  double z = NormalUpperQuantile(alpha / 2);
  double k =
      std::floor(m * n / 2.0 - z * std::sqrt(m * n * (m + n + 1) / 12.0));
  return std::max(0, static_cast<int>(k));
}

}  // namespace

double NormalUpperQuantile(double q) {
  double lo = 0;  // by bisection: the tail falls as z grows
  double hi = 40;
  for (int i = 0; i < 200; ++i) {
    double mid = (lo + hi) / 2;
    (NormalUpperTail(mid) > q ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

double StudentUpperQuantile(double q, int df) {
  constexpr double kPi = 3.14159265358979323846;
  if (df <= 1) return std::tan(kPi * (0.5 - q));
  const double p = 1 - q;
  if (df == 2) return (2 * p - 1) / std::sqrt(2 * p * (1 - p));
  const double z = NormalUpperQuantile(q);
  const double z2 = z * z;
  const double g1 = (z2 + 1) * z / 4;
  const double g2 = ((5 * z2 + 16) * z2 + 3) * z / 96;
  const double g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384;
  const double g4 =
      ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z / 92160;
  const double v = df;
  return z + g1 / v + g2 / (v * v) + g3 / (v * v * v) + g4 / (v * v * v * v);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t mid = v.size() / 2;
  return v.size() % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

std::optional<double> RelativeMad(const std::vector<double>& values) {
  if (values.size() < 2) return std::nullopt;
  double med = Median(values);
  if (med == 0) return std::nullopt;
  std::vector<double> dev;
  dev.reserve(values.size());
  for (double x : values) dev.push_back(std::fabs(x - med));
  return Median(dev) / std::fabs(med);
}

Shift HodgesLehmann(const std::vector<double>& a, const std::vector<double>& b,
                    double alpha) {
  std::vector<double> d;
  d.reserve(a.size() * b.size());
  for (double y : b) {
    for (double x : a) d.push_back(y - x);
  }
  Shift s;
  if (d.empty()) return s;
  std::sort(d.begin(), d.end());
  size_t mid = d.size() / 2;
  s.shift = d.size() % 2 ? d[mid] : (d[mid - 1] + d[mid]) / 2;
  int k =
      LowerRank(static_cast<int>(a.size()), static_cast<int>(b.size()), alpha);
  if (k >= 1) {
    s.ci_low = d[k - 1];
    s.ci_high = d[d.size() - k];
  }
  return s;
}

bool RankTestable(int m, int n, double alpha) {
  if (m <= 0 || n <= 0) return false;
  // log C(m + n, m), so large groups do not overflow.
  double log_c =
      std::lgamma(m + n + 1.0) - std::lgamma(m + 1.0) - std::lgamma(n + 1.0);
  return std::log(2.0) - log_c < std::log(alpha);
}

RankTest MannWhitney(const std::vector<double>& a, const std::vector<double>& b,
                     double alpha) {
  RankTest r;
  const int m = static_cast<int>(a.size());
  const int n = static_cast<int>(b.size());
  r.n_a = m;
  r.n_b = n;
  if (!RankTestable(m, n, alpha)) {
    int k = 1;
    while (!RankTestable(k, k, alpha)) ++k;
    r.reason = absl::StrCat("not enough values to test (", m, " against ", n,
                            " cannot reach p < ", alpha, " in a rank test; ", k,
                            " a side can)");
    return r;
  }
  r.testable = true;

  // U of b: the pairs where b is above a, ties counting one half.
  double u = 0;
  for (double y : b) {
    for (double x : a) u += y > x ? 1.0 : y == x ? 0.5 : 0.0;
  }
  std::map<double, int> counts;
  for (double x : a) ++counts[x];
  for (double y : b) ++counts[y];
  const bool ties = counts.size() < a.size() + b.size();
  const double mn = static_cast<double>(m) * n;
  const double u_max = std::max(u, mn - u);
  if (!ties && m * n <= kExactMaxPairs) {
    std::vector<double> p = UDistribution(m, n);
    double tail = 0;  // P(U >= u_max)
    for (int k = static_cast<int>(std::ceil(u_max)); k <= m * n; ++k) {
      tail += p[k];
    }
    r.p = std::min(1.0, 2 * tail);
  } else {
    double tie_term = 0;
    for (const auto& [value, t] : counts) {
      tie_term += static_cast<double>(t) * t * t - t;
    }
    const double big_n = m + n;
    const double var =
        mn / 12.0 * ((big_n + 1) - tie_term / (big_n * (big_n - 1)));
    if (var <= 0) {
      r.p = 1;  // every value tied
    } else {
      double z = (u_max - mn / 2 - 0.5) / std::sqrt(var);
      r.p = std::min(1.0, 2 * NormalUpperTail(z));
    }
  }

  Shift h = HodgesLehmann(a, b, alpha);
  r.shift = h.shift;
  r.ci_low = h.ci_low;
  r.ci_high = h.ci_high;
  return r;
}

}  // namespace copyscope::record
