#include "harness/record/trend.h"

#include <algorithm>
#include <cmath>

#include "harness/record/robust.h"
#include "harness/record/stats.h"

namespace copyscope::record {
namespace {

// The exact distribution is used up to this many points without ties.
constexpr int kExactMaxPoints = 10;

bool UsableLength(const std::vector<double>& series, size_t least) {
  return series.size() >= least &&
         series.size() <= static_cast<size_t>(kMaxTrendPoints) &&
         AllFinite(series);
}

// P(D <= d), D the number of inversions of a uniformly random permutation
// of n items: the counts of permutations by inversions (Mahonian numbers)
// grow one item at a time, I_m(k) = sum_{j < m} I_{m-1}(k - j). Exact in
// doubles for n <= 18 (n! < 2^53).
double InversionsCdf(int n, int64_t d) {
  std::vector<double> counts = {1};
  for (int m = 2; m <= n; ++m) {
    std::vector<double> next(counts.size() + m - 1, 0);
    for (size_t k = 0; k < next.size(); ++k) {
      for (size_t j = 0; j < static_cast<size_t>(m) && j <= k; ++j) {
        if (k - j < counts.size()) next[k] += counts[k - j];
      }
    }
    counts = std::move(next);
  }
  double total = 0;
  double below = 0;
  for (size_t k = 0; k < counts.size(); ++k) {
    total += counts[k];
    if (static_cast<int64_t>(k) <= d) below += counts[k];
  }
  return below / total;
}

// sum_t f(t) over the groups of t equal values (t >= 2).
template <typename F>
double SumOverTies(const std::vector<double>& series, F f) {
  std::vector<double> v = series;
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (size_t i = 0; i < v.size();) {
    size_t j = i;
    while (j < v.size() && v[j] == v[i]) ++j;
    double t = static_cast<double>(j - i);
    if (t > 1) sum += f(t);
    i = j;
  }
  return sum;
}

}  // namespace

const char* TrendVerdictName(TrendVerdict v) {
  return v == TrendVerdict::kTrending ? "trending" : "steady";
}

std::optional<double> SenSlope(const std::vector<double>& series) {
  if (!UsableLength(series, 2)) return std::nullopt;
  std::vector<double> slopes;
  slopes.reserve(series.size() * (series.size() - 1) / 2);
  for (size_t i = 0; i < series.size(); ++i) {
    for (size_t j = i + 1; j < series.size(); ++j) {
      slopes.push_back((series[j] - series[i]) / static_cast<double>(j - i));
    }
  }
  return Median(slopes);
}

std::optional<TrendTest> MannKendall(const std::vector<double>& series,
                                     const TrendOptions& options) {
  if (!UsableLength(series, kMinTrendPoints) ||
      !(options.alpha > 0 && options.alpha < 1) ||
      !(options.min_abs_tau >= 0 && options.min_abs_tau <= 1)) {
    return std::nullopt;
  }
  TrendTest t;
  t.n = static_cast<int>(series.size());
  for (size_t i = 0; i < series.size(); ++i) {
    for (size_t j = i + 1; j < series.size(); ++j) {
      t.s += (series[j] > series[i]) - (series[j] < series[i]);
    }
  }
  const double n = t.n;
  const double pairs = n * (n - 1) / 2;
  const double tied_pairs =
      SumOverTies(series, [](double k) { return k * (k - 1) / 2; });
  t.var_s = (n * (n - 1) * (2 * n + 5) -
             SumOverTies(series,
                         [](double k) { return k * (k - 1) * (2 * k + 5); })) /
            18;
  const double s = static_cast<double>(t.s);
  if (tied_pairs < pairs) t.tau = s / std::sqrt(pairs * (pairs - tied_pairs));
  if (tied_pairs == 0 && t.n <= kExactMaxPoints) {
    // No ties: S = N - 2 D, D the discordant pairs (inversions).
    t.exact = true;
    int64_t d = (static_cast<int64_t>(pairs) - std::llabs(t.s)) / 2;
    t.p = std::min(1.0, 2 * InversionsCdf(t.n, d));
  } else if (t.var_s > 0 && t.s != 0) {
    double z = (s - (t.s > 0 ? 1 : -1)) / std::sqrt(t.var_s);
    t.p = NormalTwoSidedP(z);
  }
  if (t.p < options.alpha && std::fabs(t.tau) >= options.min_abs_tau) {
    t.verdict = TrendVerdict::kTrending;
  }
  t.sen_slope = *SenSlope(series);
  t.median = *Median(series);
  if (t.median != 0) {
    t.relative_slope = t.sen_slope / std::fabs(t.median);
    t.relative_change = t.sen_slope * (n - 1) / std::fabs(t.median);
  }
  return t;
}

}  // namespace copyscope::record
