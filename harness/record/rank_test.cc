#include "harness/record/rank_test.h"

#include <algorithm>
#include <cmath>

#include "harness/record/robust.h"
#include "harness/record/stats.h"

namespace copyscope::record {
namespace {

// SciPy 1.10 ("auto"): exact without ties when a side has at most 8.
constexpr int kExactMaxSide = 8;
// The shift's interval from the exact distribution up to this many pairs
// (as tools/report's _lower_rank), the normal approximation above.
constexpr long kExactCiMaxPairs = 2500;

// P(U = 0), ..., P(U = mn) under no shift, m against n distinct values:
// the coefficients of the Gaussian binomial [m+n, m]_q =
// prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i), over C(m+n, m).
std::vector<double> UDistribution(int m, int n) {
  if (m > n) std::swap(m, n);  // the same polynomial, fewer steps
  const size_t mn = static_cast<size_t>(m) * n;
  std::vector<double> c(mn + m + 1, 0);
  c[0] = 1;
  for (int i = 1; i <= m; ++i) {
    const size_t up = static_cast<size_t>(n) + i;
    for (size_t u = c.size() - 1; u >= up; --u) c[u] -= c[u - up];
    for (size_t u = i; u < c.size(); ++u) c[u] += c[u - i];
  }
  c.resize(mn + 1);
  double total = 0;
  for (double& x : c) {
    x = std::max(x, 0.0);  // rounding can leave -0 or a tiny negative
    total += x;
  }
  for (double& x : c) x /= total;
  return c;
}

// The 1-based rank k of the shift interval's lower end (0: none).
long LowerRank(int m, int n, double confidence) {
  const double tail = (1 - confidence) / 2;
  const long mn = static_cast<long>(m) * n;
  if (mn <= kExactCiMaxPairs) {
    std::vector<double> dist = UDistribution(m, n);
    long k = 0;
    double cum = 0;
    // A relative slack of 1e-12 keeps an exact boundary (P = tail) inside.
    while (k < static_cast<long>(dist.size()) &&
           cum + dist[k] <= tail * (1 + 1e-12)) {
      cum += dist[k];
      ++k;
    }
    return k;
  }
  double z = NormalQuantile(1 - tail);
  double k =
      std::floor(static_cast<double>(mn) / 2 -
                 z * std::sqrt(static_cast<double>(mn) * (m + n + 1) / 12));
  return std::max(0L, static_cast<long>(k));
}

// sum (t^3 - t) over groups of t equal values in a and b together; 0 when
// all distinct.
double TieTerm(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> v = a;
  v.insert(v.end(), b.begin(), b.end());
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (size_t i = 0; i < v.size();) {
    size_t j = i;
    while (j < v.size() && v[j] == v[i]) ++j;
    double t = static_cast<double>(j - i);
    sum += t * t * t - t;
    i = j;
  }
  return sum;
}

}  // namespace

bool RankTestable(int m, int n, double alpha) {
  if (m < 1 || n < 1) return false;
  // C(m+n, m) by the product formula, in doubles (exact while small).
  double arrangements = 1;
  for (int i = 1; i <= std::min(m, n); ++i) {
    arrangements = arrangements * (std::max(m, n) + i) / i;
  }
  return 2 / arrangements < alpha;
}

std::optional<RankComparison> MannWhitney(const std::vector<double>& a,
                                          const std::vector<double>& b,
                                          double confidence) {
  if (a.empty() || b.empty() || !AllFinite(a) || !AllFinite(b) ||
      !(confidence > 0 && confidence < 1) ||
      static_cast<double>(a.size()) * static_cast<double>(b.size()) >
          static_cast<double>(kMaxRankPairs)) {
    return std::nullopt;
  }
  RankComparison r;
  r.n_a = static_cast<int>(a.size());
  r.n_b = static_cast<int>(b.size());
  const int m = r.n_a;
  const int n = r.n_b;
  const double mn = static_cast<double>(m) * n;

  std::vector<double> diffs;
  diffs.reserve(a.size() * b.size());
  for (double y : b) {
    for (double x : a) {
      diffs.push_back(y - x);
      r.u += y > x ? 1 : y == x ? 0.5 : 0;
    }
  }
  const double u_max = std::max(r.u, mn - r.u);
  const double ties = TieTerm(a, b);
  if (ties == 0 && std::min(m, n) <= kExactMaxSide) {
    r.exact = true;
    std::vector<double> dist = UDistribution(m, n);
    double upper = 0;  // P(U >= u_max)
    for (size_t u = static_cast<size_t>(u_max); u < dist.size(); ++u) {
      upper += dist[u];
    }
    r.p = std::min(1.0, 2 * upper);
  } else {
    const double total = m + n;
    const double var = mn / 12 * ((total + 1) - ties / (total * (total - 1)));
    if (var > 0) {
      double z = (u_max - mn / 2 - 0.5) / std::sqrt(var);
      r.p = std::min(1.0, 2 * NormalCdf(-z));
    }
  }

  std::sort(diffs.begin(), diffs.end());
  size_t mid = diffs.size() / 2;
  r.shift = diffs.size() % 2 ? diffs[mid] : (diffs[mid - 1] + diffs[mid]) / 2;
  long k = LowerRank(m, n, confidence);
  if (k >= 1) {
    r.shift_low = diffs[k - 1];
    r.shift_high = diffs[diffs.size() - k];
  }
  return r;
}

}  // namespace copyscope::record
