#include "harness/record/cell_checks.h"

#include <cmath>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "harness/record/record.h"

namespace copyscope::record {
namespace {

Cell StreamCell(const std::vector<double>& gbps) {
  Cell cell;
  cell.mutable_key()->set_mode("stream");
  for (double v : gbps) {
    Sample* s = cell.add_samples();
    s->set_status("ok");
    Metric* m = s->add_metrics();
    m->set_name("throughput_gbps");
    m->set_value(v);
  }
  return cell;
}

std::vector<bool> Flags(const Cell& cell) {
  std::vector<bool> out;
  for (const Sample& s : cell.samples()) out.push_back(s.outlier());
  return out;
}

// The fences of outliers_test.cc: median 9.4, scaled MAD 0.29652 (numpy):
// [8.51044, 10.28956], so 12.0 is out.
TEST(FlagOutliersTest, FlagsWhatLiesOutsideAndKeepsIt) {
  Cell cell = StreamCell({9.1, 9.4, 9.3, 9.6, 9.2, 9.5, 12.0});
  FlagOutliers(&cell);
  EXPECT_EQ(cell.outliers(), 1u);
  EXPECT_EQ(Flags(cell), (std::vector<bool>{false, false, false, false, false,
                                            false, true}));
  EXPECT_EQ(cell.samples_size(), 7);
  // The statistics keep it: the mean includes 12.0.
  ComputeAggregates(0.05, &cell);
  EXPECT_EQ(cell.outliers(), 1u);
  const Aggregate* a = FindAggregate(cell, "throughput_gbps");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->n(), 7u);
  EXPECT_NEAR(a->mean(), 68.1 / 7, 1e-12);
}

TEST(FlagOutliersTest, FailedSamplesAreNeitherJudgedNorFlagged) {
  Cell cell = StreamCell({9.1, 9.4, 9.3, 9.6, 9.2, 9.5, 12.0});
  cell.mutable_samples(1)->set_status("failed: boom");
  cell.mutable_samples(1)->set_outlier(true);  // stale: cleared
  FlagOutliers(&cell);
  // Without 9.4: median 9.4 of {9.1, 9.3, 9.6, 9.2, 9.5, 12.0} is 9.4
  // (9.3 + 9.5) / 2, |x - m| = .3 .1 .2 .2 .1 2.6, MAD .2, scaled .29652:
  // 12.0 is still out.
  EXPECT_EQ(Flags(cell), (std::vector<bool>{false, false, false, false, false,
                                            false, true}));
  EXPECT_EQ(cell.outliers(), 1u);
}

TEST(FlagOutliersTest, NoFencesBelowFiveSamples) {
  Cell cell = StreamCell({9.1, 9.4, 9.3, 30.0});
  FlagOutliers(&cell);
  EXPECT_EQ(cell.outliers(), 0u);
  EXPECT_EQ(Flags(cell), (std::vector<bool>(4, false)));
}

TEST(FlagOutliersTest, RrCellsAreJudgedOnTransactions) {
  Cell cell;
  cell.mutable_key()->set_mode("rr");
  for (double v : {100.0, 101.0, 99.0, 100.5, 99.5, 60.0}) {
    Sample* s = cell.add_samples();
    s->set_status("ok");
    Metric* m = s->add_metrics();
    m->set_name("transactions_per_sec");
    m->set_value(v);
    m = s->add_metrics();
    m->set_name("throughput_gbps");  // ignored
    m->set_value(1);
  }
  EXPECT_EQ(PrimaryValues(cell).size(), 6u);
  FlagOutliers(&cell);
  EXPECT_EQ(cell.outliers(), 1u);
  EXPECT_TRUE(cell.samples(5).outlier());
}

TEST(PrimaryMetricTest, ByMode) {
  CellKey k;
  k.set_mode("stream");
  EXPECT_EQ(PrimaryMetric(k), "throughput_gbps");
  k.set_mode("rr");
  EXPECT_EQ(PrimaryMetric(k), "transactions_per_sec");
  k.set_mode("crr");
  EXPECT_EQ(PrimaryMetric(k), "connections_per_sec");
}

// convergence_test.cc's references: mean 100, sd 0.1, n = 3: half-width
// 4.303 * 0.1 / sqrt(3) = 0.248434.
TEST(JudgeConvergenceTest, WritesTheRulesVerdict) {
  Cell cell = StreamCell({100, 100.1, 99.9});
  std::optional<RepCheck> c = JudgeConvergence(StoppingRule(), &cell);
  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(cell.converged());
  EXPECT_EQ(cell.convergence().decision(), "converged");
  EXPECT_EQ(cell.convergence().basis(), "mean");
  EXPECT_DOUBLE_EQ(cell.convergence().estimate(), 100);
  EXPECT_NEAR(cell.convergence().low(), 100 - 0.24843382083228185, 1e-9);
  EXPECT_NEAR(cell.convergence().high(), 100 + 0.24843382083228185, 1e-9);
  EXPECT_NEAR(cell.convergence().relative_half_width(), 0.0024843382083228186,
              1e-12);
}

TEST(JudgeConvergenceTest, ContinuesThenGivesUp) {
  StoppingRule rule;
  rule.max_reps = 4;
  Cell cell = StreamCell({100, 110, 90});
  JudgeConvergence(rule, &cell);
  EXPECT_FALSE(cell.converged());
  EXPECT_EQ(cell.convergence().decision(), "continue");
  cell = StreamCell({100, 110, 90, 105});
  JudgeConvergence(rule, &cell);
  EXPECT_EQ(cell.convergence().decision(), "gave up");
  EXPECT_FALSE(cell.converged());
}

TEST(JudgeConvergenceTest, OnlyOkSamplesCountAndNoneClears) {
  Cell cell = StreamCell({100, 100.1, 99.9, 50});
  cell.mutable_samples(3)->set_status("failed: boom");
  JudgeConvergence(StoppingRule(), &cell);
  EXPECT_TRUE(cell.converged());
  for (Sample& s : *cell.mutable_samples()) s.set_status("failed: boom");
  EXPECT_FALSE(JudgeConvergence(StoppingRule(), &cell).has_value());
  EXPECT_FALSE(cell.converged());
  EXPECT_FALSE(cell.has_convergence());
}

Sample Sliced(const std::vector<uint64_t>& messages,
              const std::vector<double>& lengths) {
  Sample s;
  for (size_t i = 0; i < messages.size(); ++i) {
    Slice* slice = s.add_slices();
    slice->set_start_s(0.1 * static_cast<double>(i));
    slice->set_length_s(lengths.empty() ? 0.1 : lengths[i]);
    slice->set_messages(messages[i]);
  }
  return s;
}

// A ramp of 10 slices: S = 45, tau 1, exact p = 2 / 10! (trend_test.cc);
// rates 1000 .. 10000 per second, Sen's slope 1000, median 5500: a change
// of 9 x 1000 / 5500 over the sample.
TEST(SliceTrendTest, ARampTrends) {
  Trend t = SliceTrend(
      Sliced({100, 200, 300, 400, 500, 600, 700, 800, 900, 1000}, {}));
  EXPECT_EQ(t.verdict(), "trending");
  EXPECT_EQ(t.points(), 10);
  EXPECT_DOUBLE_EQ(t.tau(), 1);
  EXPECT_NEAR(t.p(), 2.0 / 3628800, 1e-15);
  EXPECT_NEAR(t.relative_change(), 9000.0 / 5500, 1e-12);
}

// Alternating 10 and 12: S = 15 - 10 = 5 with ties of 5 and 5; tau-b
// 5 / sqrt(45 * 25) = 0.149: steady.
TEST(SliceTrendTest, AlternatingIsSteady) {
  Trend t = SliceTrend(Sliced({10, 12, 10, 12, 10, 12, 10, 12, 10, 12}, {}));
  EXPECT_EQ(t.verdict(), "steady");
  EXPECT_NEAR(t.tau(), 5 / std::sqrt(45.0 * 25.0), 1e-12);
}

TEST(SliceTrendTest, ShortEdgeSlicesAreLeftOutAndRatesUsed) {
  // A first slice of 20 ms and a last of 30 ms (cut by the window), and
  // the same rate in every whole slice although two are longer.
  Trend t = SliceTrend(Sliced({1, 100, 200, 100, 100, 100, 100, 2},
                              {0.02, 0.1, 0.2, 0.1, 0.1, 0.1, 0.1, 0.03}));
  EXPECT_EQ(t.points(), 6);
  EXPECT_EQ(t.verdict(), "steady");
  EXPECT_DOUBLE_EQ(t.tau(), 0);
}

TEST(SliceTrendTest, TooFewSlicesAreUntestedWithTheReason) {
  Trend t = SliceTrend(
      Sliced({1, 100, 100, 100, 100, 1}, {0.01, 0.1, 0.1, 0.1, 0.1, 0.01}));
  EXPECT_EQ(t.verdict(), "untested");
  EXPECT_EQ(t.points(), 4);
  EXPECT_EQ(t.reason(), "4 whole slices, the test needs 5");
  EXPECT_EQ(SliceTrend(Sample()).reason(), "no slices");
}

TEST(SliceTrendTest, LongSeriesAreMergedPairwise) {
  std::vector<uint64_t> messages(4001, 10);
  Trend t = SliceTrend(Sliced(messages, {}));
  EXPECT_EQ(t.points(), 1001);  // 4001 -> 2001 -> 1001
  EXPECT_EQ(t.verdict(), "steady");
}

TEST(ComputeAggregatesTest, TheMediansIntervalFromSixSamples) {
  Cell cell = StreamCell({10, 11, 12, 13, 14});
  ComputeAggregates(0.05, &cell);
  const Aggregate* a = FindAggregate(cell, "throughput_gbps");
  EXPECT_FALSE(a->has_median_ci95_low());  // n = 5: no 95% interval
  cell = StreamCell({10, 11, 12, 13, 14, 15});
  ComputeAggregates(0.05, &cell);
  a = FindAggregate(cell, "throughput_gbps");
  // n = 6: ranks (1, 6), coverage 1 - 2/64 = 96.9%.
  EXPECT_DOUBLE_EQ(a->median_ci95_low(), 10);
  EXPECT_DOUBLE_EQ(a->median_ci95_high(), 15);
}

TEST(ComputeAggregatesTest, CountsTrendingSamples) {
  Cell cell = StreamCell({10, 11, 12});
  cell.mutable_samples(0)->mutable_trend()->set_verdict("trending");
  cell.mutable_samples(2)->mutable_trend()->set_verdict("steady");
  ComputeAggregates(0.05, &cell);
  EXPECT_EQ(cell.trending(), 1u);
}

}  // namespace
}  // namespace copyscope::record
