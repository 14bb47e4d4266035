#include "harness/record/convergence.h"

#include <climits>
#include <limits>
#include <vector>

#include "gtest/gtest.h"

namespace copyscope::record {
namespace {

const double kNan = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

// Student half-widths below: t * sd / sqrt(n) with t from StudentT95's
// table (4.303, 3.182, 2.776 for 2, 3, 4 degrees of freedom), mean and sd
// (n - 1) by numpy.

TEST(CheckRepetitionsTest, ConvergesOnStudentBeforeSixSamples) {
  // mean 100, sd 0.1: half 4.303 * 0.1 / sqrt(3) = 0.248434.
  std::optional<RepCheck> c = CheckRepetitions({100, 100.1, 99.9});
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->decision, RepDecision::kConverged);
  EXPECT_EQ(c->n, 3);
  EXPECT_EQ(c->basis, CiBasis::kMean);
  EXPECT_DOUBLE_EQ(c->estimate, 100);
  EXPECT_NEAR(*c->low, 100 - 0.24843382083228185, 1e-9);
  EXPECT_NEAR(*c->high, 100 + 0.24843382083228185, 1e-9);
  EXPECT_NEAR(*c->relative_half_width, 0.0024843382083228186, 1e-12);
}

TEST(CheckRepetitionsTest, OneSampleAtATime) {
  // Relative half-widths 0.0632 (n = 2, before min_reps), 0.0248 (3),
  // 0.0136 (4): converged at the fourth sample.
  const std::vector<double> seq = {100, 101, 99, 100.5, 99.5, 100.2};
  const double rel[] = {0, 0, 0.0632139303482587, 0.0248433820832296,
                        0.0135687879056527};
  const RepDecision want[] = {RepDecision::kContinue, RepDecision::kContinue,
                              RepDecision::kContinue, RepDecision::kContinue,
                              RepDecision::kConverged};
  for (size_t n = 0; n <= 4; ++n) {
    std::vector<double> v(seq.begin(), seq.begin() + n);
    std::optional<RepCheck> c = CheckRepetitions(v);
    ASSERT_TRUE(c.has_value()) << n;
    EXPECT_EQ(c->decision, want[n]) << n;
    EXPECT_EQ(c->basis, n >= 2 ? CiBasis::kMean : CiBasis::kNone) << n;
    if (n >= 2) {
      EXPECT_NEAR(*c->relative_half_width, rel[n], 1e-12) << n;
    }
  }
  // At 1%: n = 5 is still the mean's (0.0098: converged there).
  StoppingRule rule;
  rule.ci_target = 0.01;
  EXPECT_EQ(CheckRepetitions({100, 101, 99, 100.5}, rule)->decision,
            RepDecision::kContinue);
  std::optional<RepCheck> c =
      CheckRepetitions({100, 101, 99, 100.5, 99.5}, rule);
  EXPECT_EQ(c->basis, CiBasis::kMean);
  EXPECT_NEAR(*c->relative_half_width, 0.00981464212286928, 1e-12);
  EXPECT_EQ(c->decision, RepDecision::kConverged);
}

TEST(CheckRepetitionsTest, MedianIntervalFromSixSamples) {
  // Sorted 99 99.5 100 100.2 100.5 101: median 100.1, [x(1), x(6)] =
  // [99, 101]; farther end 1.1 / 100.1 = 0.010989.
  const std::vector<double> v = {100, 101, 99, 100.5, 99.5, 100.2};
  std::optional<RepCheck> c = CheckRepetitions(v);
  EXPECT_EQ(c->basis, CiBasis::kMedian);
  EXPECT_DOUBLE_EQ(c->estimate, 100.1);
  EXPECT_DOUBLE_EQ(*c->low, 99);
  EXPECT_DOUBLE_EQ(*c->high, 101);
  EXPECT_NEAR(*c->relative_half_width, 0.010989010989010933, 1e-12);
  EXPECT_EQ(c->decision, RepDecision::kConverged);
  StoppingRule rule;
  rule.ci_target = 0.01;
  EXPECT_EQ(CheckRepetitions(v, rule)->decision, RepDecision::kContinue);
}

TEST(CheckRepetitionsTest, TheFartherEndDecides) {
  // Median 100 in [100, 103]: half the width is 1.5%, but the upper end is
  // 3% away, so not within 2%.
  std::optional<RepCheck> c = CheckRepetitions({100, 100, 100, 100, 100, 103});
  EXPECT_NEAR(*c->relative_half_width, 0.03, 1e-12);
  EXPECT_EQ(c->decision, RepDecision::kContinue);
}

TEST(CheckRepetitionsTest, GivesUpAtMaxReps) {
  // Sorted 96 97 98 99 100 100.5 101 102 103 104: median 100.25 in
  // [x(2), x(9)] = [97, 103]; farther end 3.25 / 100.25 = 0.032419.
  const std::vector<double> v = {100, 104, 96,  103, 97,
                                 102, 98,  101, 99,  100.5};
  std::optional<RepCheck> c = CheckRepetitions(v);
  EXPECT_EQ(c->decision, RepDecision::kGaveUp);
  EXPECT_DOUBLE_EQ(*c->low, 97);
  EXPECT_DOUBLE_EQ(*c->high, 103);
  EXPECT_NEAR(*c->relative_half_width, 0.032418952618453865, 1e-12);
  std::vector<double> nine(v.begin(), v.begin() + 9);
  EXPECT_EQ(CheckRepetitions(nine)->decision, RepDecision::kContinue);
  StoppingRule rule;
  rule.ci_target = 0.04;
  EXPECT_EQ(CheckRepetitions(v, rule)->decision, RepDecision::kConverged);
  rule.ci_target = 0.02;
  rule.max_reps = 20;
  EXPECT_EQ(CheckRepetitions(v, rule)->decision, RepDecision::kContinue);
  rule.max_reps = 3;  // more samples than max_reps: gave up all the same
  EXPECT_EQ(CheckRepetitions(v, rule)->decision, RepDecision::kGaveUp);
}

TEST(CheckRepetitionsTest, MinRepsComesFirst) {
  StoppingRule rule;
  rule.min_reps = 5;
  EXPECT_EQ(CheckRepetitions({100, 100, 100}, rule)->decision,
            RepDecision::kContinue);
  EXPECT_EQ(CheckRepetitions({100, 100, 100, 100, 100}, rule)->decision,
            RepDecision::kConverged);
  rule.min_reps = 1;
  rule.max_reps = 1;  // one sample has no interval: it can only give up
  std::optional<RepCheck> c = CheckRepetitions({42}, rule);
  EXPECT_EQ(c->decision, RepDecision::kGaveUp);
  EXPECT_EQ(c->basis, CiBasis::kNone);
  EXPECT_DOUBLE_EQ(c->estimate, 42);
  EXPECT_FALSE(c->relative_half_width.has_value());
}

TEST(CheckRepetitionsTest, EqualAndZeroEstimates) {
  std::optional<RepCheck> c = CheckRepetitions({0, 0, 0});
  EXPECT_DOUBLE_EQ(*c->relative_half_width, 0);
  EXPECT_EQ(c->decision, RepDecision::kConverged);
  c = CheckRepetitions({-1, 1, 0});  // mean 0, an interval of some width
  EXPECT_FALSE(c->relative_half_width.has_value());
  EXPECT_EQ(c->decision, RepDecision::kContinue);
  std::vector<double> ten = {-1, 1, 0, -1, 1, 0, -1, 1, 0, 0};
  EXPECT_EQ(CheckRepetitions(ten)->decision, RepDecision::kGaveUp);
}

TEST(CheckRepetitionsTest, NoSamples) {
  std::optional<RepCheck> c = CheckRepetitions({});
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->decision, RepDecision::kContinue);
  EXPECT_EQ(c->n, 0);
  EXPECT_EQ(c->basis, CiBasis::kNone);
  EXPECT_FALSE(c->low.has_value());
}

TEST(CheckRepetitionsTest, RefusesNonFiniteSamplesAndBadRules) {
  EXPECT_FALSE(CheckRepetitions({100, kNan, 100}).has_value());
  EXPECT_FALSE(CheckRepetitions({100, kInf}).has_value());
  StoppingRule bad;
  for (double target : {0.0, -0.1, kNan, kInf}) {
    bad.ci_target = target;
    EXPECT_FALSE(CheckRepetitions({1, 2, 3}, bad).has_value()) << target;
  }
  bad = StoppingRule();
  bad.min_reps = 0;
  EXPECT_FALSE(CheckRepetitions({1, 2, 3}, bad).has_value());
  bad = StoppingRule();
  bad.max_reps = 2;  // below min_reps 3
  EXPECT_FALSE(CheckRepetitions({1, 2, 3}, bad).has_value());
}

TEST(CheckRepetitionsTest, Names) {
  EXPECT_STREQ(RepDecisionName(RepDecision::kContinue), "continue");
  EXPECT_STREQ(RepDecisionName(RepDecision::kConverged), "converged");
  EXPECT_STREQ(RepDecisionName(RepDecision::kGaveUp), "gave up");
  EXPECT_STREQ(CiBasisName(CiBasis::kNone), "none");
  EXPECT_STREQ(CiBasisName(CiBasis::kMedian), "median");
  EXPECT_STREQ(CiBasisName(CiBasis::kMean), "mean");
}

TEST(RoundsWithinBudgetTest, WholeRounds) {
  // Mean 1.5 s a sample, 4 cells: 6 s a round; 60 s hold 10, 59.9 s 9.
  std::optional<RoundsFit> f = RoundsWithinBudget(60, {1.0, 2.0, 1.5}, 4);
  ASSERT_TRUE(f.has_value());
  EXPECT_DOUBLE_EQ(f->round_s, 6);
  EXPECT_EQ(f->rounds, 10);
  EXPECT_EQ(RoundsWithinBudget(59.9, {1.0, 2.0, 1.5}, 4)->rounds, 9);
  EXPECT_EQ(RoundsWithinBudget(5.9, {1.0, 2.0, 1.5}, 4)->rounds, 0);
  // 0.3 / 0.1 is 2.9999999999999996 in doubles: still 3 rounds.
  EXPECT_EQ(RoundsWithinBudget(0.3, {0.1}, 1)->rounds, 3);
}

TEST(RoundsWithinBudgetTest, EdgesAndInvalidInputs) {
  EXPECT_EQ(RoundsWithinBudget(0, {1}, 1)->rounds, 0);
  EXPECT_EQ(RoundsWithinBudget(-5, {1}, 1)->rounds, 0);
  EXPECT_DOUBLE_EQ(RoundsWithinBudget(-5, {1}, 1)->round_s, 1);
  EXPECT_EQ(RoundsWithinBudget(1e300, {1e-9}, 1)->rounds, INT_MAX);
  EXPECT_FALSE(RoundsWithinBudget(60, {}, 1).has_value());
  EXPECT_FALSE(RoundsWithinBudget(60, {1}, 0).has_value());
  EXPECT_FALSE(RoundsWithinBudget(60, {1, 0}, 1).has_value());
  EXPECT_FALSE(RoundsWithinBudget(60, {1, -1}, 1).has_value());
  EXPECT_FALSE(RoundsWithinBudget(60, {1, kNan}, 1).has_value());
  EXPECT_FALSE(RoundsWithinBudget(kNan, {1}, 1).has_value());
  EXPECT_FALSE(RoundsWithinBudget(kInf, {1}, 1).has_value());
}

}  // namespace
}  // namespace copyscope::record
