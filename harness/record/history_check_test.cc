#include "harness/record/history_check.h"

#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/record/robust.h"

namespace copyscope::record {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string Day(int i) {
  return absl::StrFormat("2026-01-01T%02d:%02d:00.000Z", i / 60, i % 60);
}

// A cell's history: run i at levels[i], each of `reps` repetitions off by
// a relative normal noise of sd `noise`; runs r0, r1, ... built by c0, c1,
// ... on testbed fp.
CellHistory Series(const std::vector<double>& levels, double noise, int reps,
                   uint64_t seed, const std::string& fp = "fp") {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> off(0, noise);
  CellHistory h;
  h.key.transport = "two_copy";
  h.key.size = 4096;
  h.key.threads = 1;
  h.key.mode = "stream";
  h.metric = "throughput_gbps";
  for (size_t i = 0; i < levels.size(); ++i) {
    HistoryPoint p;
    p.run = {absl::StrCat("r", i), Day(static_cast<int>(i)),
             absl::StrCat("c", i), 0, "0.1.0"};
    p.fingerprint = fp;
    p.status = "ok";
    for (int k = 0; k < reps; ++k) {
      p.values.push_back(levels[i] * (1 + off(rng)));
    }
    p.median = Median(p.values).value_or(0);
    p.n = reps;
    h.points.push_back(std::move(p));
  }
  return h;
}

std::vector<double> Levels(int n, double level) {
  return std::vector<double>(n, level);
}

std::vector<double> Concat(std::vector<double> a,
                           const std::vector<double>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(HistoryCheckTest, AFlatSeriesHasNoChange) {
  CellCheck c = CheckCell(Series(Levels(20, 10), 0.01, 5, 1), true);
  EXPECT_EQ(c.verdict, Verdict::kNoChange) << c.reason;
  EXPECT_THAT(c.change_points, IsEmpty());
  EXPECT_EQ(c.runs, 20);
  ASSERT_TRUE(c.latest.has_value());
  EXPECT_EQ(c.latest->n_before, 95);
  EXPECT_EQ(c.latest->n_after, 5);
  EXPECT_GT(c.latest->p, 0.05);
  EXPECT_THAT(c.reason, HasSubstr("no significant change"));
}

// False alarms: about alpha of the cells that did not change (400 series
// of each kind gave 3% for these flat ones, 7% for the jittered ones
// below); 40 here, seeded.
TEST(HistoryCheckTest, FlatSeriesRarelyRaiseAnAlarm) {
  int alarms = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    CellCheck c = CheckCell(Series(Levels(15, 10), 0.01, 5, seed), true);
    if (c.verdict == Verdict::kRegressed || c.verdict == Verdict::kImproved) {
      ++alarms;
    }
  }
  EXPECT_LE(alarms, 4);
}

TEST(HistoryCheckTest, RunsThatDifferMoreThanRepetitionsSetTheFloor) {
  // Each run's level jitters by 3% while its repetitions agree within
  // 0.2%: pooling repetitions alone would call most latest runs changed.
  int alarms = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    std::mt19937_64 rng(1000 + seed);
    std::normal_distribution<double> jitter(10, 0.3);
    std::vector<double> levels;
    for (int i = 0; i < 15; ++i) levels.push_back(jitter(rng));
    CellCheck c = CheckCell(Series(levels, 0.002, 5, seed), true);
    ASSERT_TRUE(c.between_run_band.has_value());
    EXPECT_GT(*c.between_run_band, *c.within_run_spread);
    EXPECT_EQ(c.noise_floor, c.between_run_band);
    if (c.verdict == Verdict::kRegressed || c.verdict == Verdict::kImproved) {
      ++alarms;
    }
  }
  EXPECT_LE(alarms, 4);
}

TEST(HistoryCheckTest, ALatestRunTenPercentSlowerRegressed) {
  CellHistory h = Series(Concat(Levels(19, 10), {9}), 0.01, 5, 2);
  CellCheck c = CheckCell(h, true);
  EXPECT_EQ(c.verdict, Verdict::kRegressed) << c.reason;
  ASSERT_TRUE(c.latest.has_value());
  EXPECT_TRUE(c.latest->worse);
  EXPECT_LT(c.latest->p, 0.001);
  EXPECT_NEAR(*c.latest->rel, -0.10, 0.02);
  EXPECT_LT(*c.latest->rel_low, -0.08);
  EXPECT_GT(*c.latest->rel_high, -0.12);
  EXPECT_LE(*c.latest->rel_low, *c.latest->rel);
  EXPECT_GE(*c.latest->rel_high, *c.latest->rel);
  EXPECT_EQ(c.latest->before.run_id, "r18");
  EXPECT_EQ(c.latest->before.git_commit, "c18");
  EXPECT_EQ(c.latest->after.run_id, "r19");
  EXPECT_FALSE(c.step.has_value());  // one run after a shift: no step yet
  EXPECT_THAT(c.reason, HasSubstr("latest run r19 (c19 (0.1.0)) against 19 "
                                  "earlier runs since r0: throughput_gbps "));
}

TEST(HistoryCheckTest, AStepTenRunsAgoIsTheRegressionAndItsBuilds) {
  CellHistory h = Series(Concat(Levels(10, 10), Levels(10, 9)), 0.01, 5, 3);
  CellCheck c = CheckCell(h, true);
  EXPECT_EQ(c.verdict, Verdict::kRegressed) << c.reason;
  EXPECT_THAT(c.change_points, ElementsAre(10));
  ASSERT_TRUE(c.step.has_value());
  EXPECT_EQ(c.step->before.run_id, "r9");
  EXPECT_EQ(c.step->after.run_id, "r10");
  EXPECT_EQ(c.step->after.git_commit, "c10");
  EXPECT_EQ(c.step->n_before, 10);
  EXPECT_EQ(c.step->n_after, 10);
  EXPECT_NEAR(*c.step->rel, -0.10, 0.01);
  EXPECT_LT(c.step->p, 0.01);
  // The latest run is like the nine before it, at the new level.
  ASSERT_TRUE(c.latest.has_value());
  EXPECT_EQ(c.latest->n_before, 45);
  EXPECT_GT(c.latest->p, 0.05);
  EXPECT_THAT(c.reason, HasSubstr("since run r10 (c10 (0.1.0), after "
                                  "c9 (0.1.0)): throughput_gbps -10"));
}

// A run far off right after one a little low: a change point over all the
// estimates puts the two together (a side of one is too short), which must
// not shrink the latest run's baseline to the run before it.
TEST(HistoryCheckTest, ALatestRunFarOffIsTestedAgainstEveryEarlierRun) {
  CellHistory h = Series(Concat(Levels(7, 10), {8.5, 1}), 0.02, 3, 11);
  CellCheck c = CheckCell(h, true);
  EXPECT_EQ(c.verdict, Verdict::kRegressed) << c.reason;
  ASSERT_TRUE(c.latest.has_value()) << c.latest_untestable;
  EXPECT_EQ(c.latest->n_before, 24);
  EXPECT_EQ(c.latest->before.run_id, "r7");
  EXPECT_EQ(c.latest->after.run_id, "r8");
  EXPECT_THAT(c.reason, HasSubstr("latest run r8 (c8 (0.1.0)) against 8 "
                                  "earlier runs since r0: "));
}

TEST(HistoryCheckTest, TheDirectionComesFromTheMetric) {
  CellHistory up = Series(Concat(Levels(19, 10), {11}), 0.01, 5, 4);
  EXPECT_EQ(CheckCell(up, true).verdict, Verdict::kImproved);
  // Latency: higher is worse.
  up.metric = "latency_p50_us";
  CellCheck c = CheckCell(up, false);
  EXPECT_EQ(c.verdict, Verdict::kRegressed) << c.reason;
  EXPECT_TRUE(c.latest->worse);
  EXPECT_NEAR(*c.latest->rel, 0.10, 0.02);
}

TEST(HistoryCheckTest, AShiftSmallerThanTheNoiseFloorIsNotARegression) {
  // Repetitions spread by 5%; the latest run is 1% lower.
  CellHistory h = Series(Concat(Levels(30, 10), {9.9}), 0.05, 20, 5);
  CellCheck c = CheckCell(h, true);
  EXPECT_NE(c.verdict, Verdict::kRegressed) << c.reason;
  EXPECT_NE(c.verdict, Verdict::kImproved) << c.reason;
  ASSERT_TRUE(c.noise_floor.has_value());
  EXPECT_GT(*c.noise_floor, 0.02);
}

TEST(HistoryCheckTest, TooFewRunsOrRepetitionsAreUntestable) {
  CellCheck one = CheckCell(Series({10}, 0.01, 5, 6), true);
  EXPECT_EQ(one.verdict, Verdict::kUntestable);
  EXPECT_EQ(one.reason, "only one run of this cell on this testbed");

  CellCheck three = CheckCell(Series({10, 8}, 0.01, 3, 6), true);
  EXPECT_EQ(three.verdict, Verdict::kUntestable);
  EXPECT_THAT(three.reason, HasSubstr("3 against 3 cannot reach p < 0.025"));
  EXPECT_FALSE(three.latest.has_value());

  CellHistory failed = Series({10, 10, 10}, 0.01, 5, 6);
  failed.points.back().median.reset();
  failed.points.back().status = "failed: connection reset";
  EXPECT_EQ(CheckCell(failed, true).reason,
            "the latest run has no estimate of throughput_gbps (failed: "
            "connection reset)");
  EXPECT_EQ(CheckCell(CellHistory{}, true).verdict, Verdict::kUntestable);
}

TEST(HistoryCheckTest, OnlyRunsOnTheLatestTestbedCount) {
  CellHistory other = Series(Levels(10, 20), 0.01, 5, 7, "other");
  CellHistory mine = Series(Levels(10, 10), 0.01, 5, 8, "fp");
  CellHistory both = other;
  for (HistoryPoint& p : mine.points) both.points.push_back(p);
  CellCheck c = CheckCell(both, true);
  EXPECT_EQ(c.fingerprint, "fp");
  EXPECT_EQ(c.runs, 10);
  EXPECT_EQ(c.verdict, Verdict::kNoChange) << c.reason;
}

TEST(HistoryCheckTest, TheLatestRunsCellsOrAnEarlierRunsAreChecked) {
  CellHistory a = Series(Concat(Levels(9, 10), {9}), 0.01, 5, 9);
  CellHistory b = Series(Levels(9, 10), 0.01, 5, 10);  // not in r9
  b.key.size = 65536;
  std::vector<CellHistory> cells = {a, b};
  auto higher = [](const CellHistory&) { return true; };
  std::vector<CellCheck> latest = CheckLatestRun(cells, higher);
  ASSERT_EQ(latest.size(), 1u);
  EXPECT_EQ(latest[0].key.size, 4096u);
  EXPECT_EQ(latest[0].verdict, Verdict::kRegressed);

  std::vector<CellCheck> r8 = CheckRun(cells, "r8", higher);
  ASSERT_EQ(r8.size(), 2u);
  for (const CellCheck& c : r8) {
    EXPECT_EQ(c.runs, 9);
    EXPECT_EQ(c.verdict, Verdict::kNoChange) << c.reason;
  }
  EXPECT_THAT(CheckLatestRun({}, higher), IsEmpty());
  EXPECT_STREQ(VerdictName(Verdict::kWithinNoise), "within noise");
}

}  // namespace
}  // namespace copyscope::record
