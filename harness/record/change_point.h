// Where a series of run estimates shifts: E-divisive (Matteson and James,
// "A nonparametric approach for multiple change point analysis of
// multivariate data", JASA 2014), the method MongoDB's performance CI uses
// on series like these (Daly et al., ICPE 2020).
//
//   ChangePointOptions o;                        // alpha 0.05, 199
//   permutations std::vector<ChangePoint> cps =
//   FindChangePoints({10, 10.1, 9.9, 10, 12,
//                                                    12.1, 11.9, 12}, o);
//   cps[0].index;                                // 4: the first run after it
//
// For a split of a segment into X (m values) and Y (n values) the
// statistic is the energy distance scaled by the sizes,
//   Q = m n / (m + n) * (2/(m n) sum|x - y| - sum_{i<k}|x_i - x_k| / C(m, 2)
//                        - sum_{i<k}|y_i - y_k| / C(n, 2)),
// large when the two sides differ in location or spread and near 0 when
// they are alike, whatever the distribution. The best split of the segment
// with the largest Q is tested by permutation: the segment's values are
// shuffled `permutations` times (a seeded std::mt19937_64, so a series
// always gives the same answer) and p = (1 + #{Q* >= Q}) / (permutations +
// 1). A split with p < alpha is kept and both sides are searched again,
// until none is significant (hierarchical, as the paper's E-divisive; the
// permutation here shuffles the tested segment only). Each side keeps at
// least min_segment values, so a shift is found once that many runs follow
// it: the rank test of the latest run (history_check.h) covers the newest.
#ifndef COPYSCOPE_HARNESS_RECORD_CHANGE_POINT_H_
#define COPYSCOPE_HARNESS_RECORD_CHANGE_POINT_H_

#include <cstdint>
#include <vector>

namespace copyscope::record {

struct ChangePointOptions {
  double alpha = 0.05;
  int permutations = 199;
  uint64_t seed = 1;
  int min_segment = 2;  // at least 2: a side of one has no spread
  int max_change_points = 8;
};

struct ChangePoint {
  int index = 0;  // the first value after the shift
  double statistic = 0;
  double p = 1;  // permutation p-value
};

// The significant change points of a series, by index ascending.
std::vector<ChangePoint> FindChangePoints(const std::vector<double>& series,
                                          const ChangePointOptions& options);

}  // namespace copyscope::record

#endif  // COPYSCOPE_HARNESS_RECORD_CHANGE_POINT_H_
