#include "harness/record/change_point.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <utility>

namespace copyscope::record {
namespace {

struct Split {
  int index = -1;  // -1: the segment is too short to split
  double q = 0;
};

// The best split of values v (one segment), in O(size^2): as the split
// moves right by one, the value crossing over changes the sums by its
// distances to either side.
Split BestSplit(const std::vector<double>& v, int min_segment) {
  const int t = static_cast<int>(v.size());
  Split best;
  if (t < 2 * min_segment) return best;
  auto d = [&](int i, int k) { return std::fabs(v[i] - v[k]); };
  // Split at min_segment: X = [0, min_segment), Y = the rest.
  double within_x = 0;
  double within_y = 0;
  double between = 0;
  for (int i = 0; i < t; ++i) {
    for (int k = i + 1; k < t; ++k) {
      bool xi = i < min_segment;
      bool xk = k < min_segment;
      (xi && xk ? within_x : !xi && !xk ? within_y : between) += d(i, k);
    }
  }
  for (int s = min_segment;; ++s) {
    const double m = s;
    const double n = t - s;
    double q = m * n / (m + n) *
               (2 * between / (m * n) - within_x / (m * (m - 1) / 2) -
                within_y / (n * (n - 1) / 2));
    if (best.index < 0 || q > best.q) best = {s, q};
    if (t - (s + 1) < min_segment) break;
    // Move v[s] from Y to X.
    double to_x = 0;
    double to_y = 0;
    for (int i = 0; i < s; ++i) to_x += d(i, s);
    for (int k = s + 1; k < t; ++k) to_y += d(s, k);
    within_x += to_x;
    within_y -= to_y;
    between += to_y - to_x;
  }
  return best;
}

// The permutation p-value of the segment's best split.
double PermutationP(std::vector<double> v, double q,
                    const ChangePointOptions& o, std::mt19937_64* rng) {
  int at_least = 0;
  for (int r = 0; r < o.permutations; ++r) {
    // Fisher-Yates with the engine's raw output: the same on every
    // platform (std::shuffle's algorithm is the library's choice).
    for (size_t i = v.size() - 1; i > 0; --i) {
      std::swap(v[i], v[(*rng)() % (i + 1)]);
    }
    if (BestSplit(v, o.min_segment).q >= q) ++at_least;
  }
  return (1.0 + at_least) / (o.permutations + 1.0);
}

}  // namespace

std::vector<ChangePoint> FindChangePoints(const std::vector<double>& series,
                                          const ChangePointOptions& options) {
  ChangePointOptions o = options;
  o.min_segment = std::max(2, o.min_segment);
  std::mt19937_64 rng(o.seed);
  std::vector<ChangePoint> found;
  // Segments as [begin, end) of the series.
  std::vector<std::pair<int, int>> segments = {
      {0, static_cast<int>(series.size())}};
  while (static_cast<int>(found.size()) < o.max_change_points) {
    int which = -1;
    Split best;
    for (size_t i = 0; i < segments.size(); ++i) {
      auto [b, e] = segments[i];
      Split s =
          BestSplit(std::vector<double>(series.begin() + b, series.begin() + e),
                    o.min_segment);
      if (s.index >= 0 && (which < 0 || s.q > best.q)) {
        which = static_cast<int>(i);
        best = s;
      }
    }
    if (which < 0) break;
    auto [b, e] = segments[which];
    double p = PermutationP(
        std::vector<double>(series.begin() + b, series.begin() + e), best.q, o,
        &rng);
    if (p >= o.alpha) break;
    found.push_back({b + best.index, best.q, p});
    segments[which] = {b, b + best.index};
    segments.push_back({b + best.index, e});
  }
  std::sort(found.begin(), found.end(),
            [](const ChangePoint& x, const ChangePoint& y) {
              return x.index < y.index;
            });
  return found;
}

}  // namespace copyscope::record
