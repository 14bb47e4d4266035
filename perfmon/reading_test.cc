#include "perfmon/reading.h"

#include "gtest/gtest.h"

namespace copyscope::perfmon {
namespace {

TEST(ReadingTest, ExactWhenRunningEqualsEnabled) {
  Reading r = Reading::FromCounts("cycles", "cpu", 12345, 1000, 1000);
  EXPECT_EQ(r.state(), CounterState::kCounted);
  ASSERT_TRUE(r.value().has_value());
  EXPECT_DOUBLE_EQ(*r.value(), 12345);
  EXPECT_EQ(*r.raw(), 12345u);
  EXPECT_DOUBLE_EQ(*r.coverage(), 1.0);
  EXPECT_FALSE(r.low_coverage());
  EXPECT_TRUE(r.reason().empty());
}

TEST(ReadingTest, MultiplexedIsScaledWithCoverage) {
  // Ran 600 of 1000 ns: 300 counted -> 500 estimated.
  Reading r = Reading::FromCounts("instructions", "cpu", 300, 1000, 600);
  EXPECT_EQ(r.state(), CounterState::kScaled);
  EXPECT_DOUBLE_EQ(*r.value(), 500);
  EXPECT_EQ(*r.raw(), 300u);
  EXPECT_EQ(*r.time_enabled_ns(), 1000u);
  EXPECT_EQ(*r.time_running_ns(), 600u);
  EXPECT_DOUBLE_EQ(*r.coverage(), 0.6);
  EXPECT_FALSE(r.low_coverage());
}

TEST(ReadingTest, CoverageBelowHalfIsFlagged) {
  Reading r = Reading::FromCounts("cache-misses", "cpu", 10, 1000, 250);
  EXPECT_EQ(r.state(), CounterState::kScaled);
  EXPECT_DOUBLE_EQ(*r.value(), 40);
  EXPECT_DOUBLE_EQ(*r.coverage(), 0.25);
  EXPECT_TRUE(r.low_coverage());
  // Exactly one half is not below one half.
  EXPECT_FALSE(Reading::FromCounts("x", "cpu", 1, 1000, 500).low_coverage());
  EXPECT_TRUE(Reading::FromCounts("x", "cpu", 1, 1000, 499).low_coverage());
}

TEST(ReadingTest, NotRunHasNoValue) {
  Reading r = Reading::FromCounts("branch-misses", "cpu", 0, 1000, 0);
  EXPECT_EQ(r.state(), CounterState::kNotRun);
  EXPECT_FALSE(r.value().has_value());
  EXPECT_EQ(*r.raw(), 0u);
  EXPECT_DOUBLE_EQ(*r.coverage(), 0.0);
  EXPECT_TRUE(r.low_coverage());
  EXPECT_NE(r.reason().find("did not run"), std::string::npos);

  Reading never = Reading::FromCounts("cycles", "cpu", 0, 0, 0);
  EXPECT_EQ(never.state(), CounterState::kNotRun);
  EXPECT_FALSE(never.value().has_value());
  EXPECT_FALSE(never.coverage().has_value());
}

TEST(ReadingTest, UnsupportedIsNeverZero) {
  Reading r =
      Reading::Unsupported("cycles", "cpu", "not supported by this CPU/VM");
  EXPECT_EQ(r.state(), CounterState::kUnsupported);
  EXPECT_FALSE(r.supported());
  EXPECT_FALSE(r.value().has_value());
  EXPECT_FALSE(r.raw().has_value());
  EXPECT_FALSE(r.time_enabled_ns().has_value());
  EXPECT_FALSE(r.coverage().has_value());
  EXPECT_FALSE(r.low_coverage());
  EXPECT_EQ(r.reason(), "not supported by this CPU/VM");
  EXPECT_EQ(r.DebugString(),
            "cycles@cpu unsupported (not supported by this CPU/VM)");
}

TEST(ReadingTest, StateNames) {
  EXPECT_EQ(CounterStateName(CounterState::kCounted), "counted");
  EXPECT_EQ(CounterStateName(CounterState::kScaled), "scaled");
  EXPECT_EQ(CounterStateName(CounterState::kNotRun), "not-run");
  EXPECT_EQ(CounterStateName(CounterState::kUnsupported), "unsupported");
}

TEST(ReadingTest, DeltaAppliesTheRuleToDifferences) {
  Reading before = Reading::FromCounts("cycles", "cpu", 100, 1000, 1000);
  Reading after = Reading::FromCounts("cycles", "cpu", 400, 3000, 2000);
  Reading d = Reading::Delta(after, before);
  EXPECT_EQ(d.state(), CounterState::kScaled);
  EXPECT_DOUBLE_EQ(*d.value(), 600);  // 300 * 2000 / 1000
  EXPECT_DOUBLE_EQ(*d.coverage(), 0.5);

  Reading unsupported = Reading::Unsupported("cycles", "cpu", "why");
  EXPECT_FALSE(Reading::Delta(unsupported, unsupported).supported());
  EXPECT_FALSE(Reading::Delta(before, after).supported());  // backwards
}

TEST(ReadingTest, TotalsPassSinglePartsThrough) {
  std::vector<Reading> readings = {
      Reading::FromCounts("cycles", "cpu", 10, 100, 100),
      Reading::FromCounts("task-clock", "software", 99, 100, 100),
  };
  std::vector<Reading> totals = Totals(readings);
  ASSERT_EQ(totals.size(), 2u);
  EXPECT_EQ(totals[0].pmu(), "cpu");
  EXPECT_DOUBLE_EQ(*totals[0].value(), 10);
  EXPECT_EQ(totals[1].event(), "task-clock");
  EXPECT_TRUE(PerKind(readings).empty());
}

TEST(ReadingTest, HybridPartsThatCoverTheIntervalAddUpExactly) {
  // The thread spent 70% of its time on P-cores, 30% on E-cores; both
  // counters were enabled all along. Summing scaled parts would give
  // 700/0.7 + 300/0.3 = 2000; the pooled total is the exact 1000.
  std::vector<Reading> readings = {
      Reading::FromCounts("cycles", "cpu_core", 700, 1000, 700),
      Reading::FromCounts("cycles", "cpu_atom", 300, 1000, 300),
  };
  std::vector<Reading> totals = Totals(readings);
  ASSERT_EQ(totals.size(), 1u);
  EXPECT_EQ(totals[0].pmu(), kAllPmus);
  EXPECT_EQ(totals[0].state(), CounterState::kCounted);
  EXPECT_DOUBLE_EQ(*totals[0].value(), 1000);
  EXPECT_DOUBLE_EQ(*totals[0].coverage(), 1.0);

  std::vector<Reading> kinds = PerKind(readings);
  ASSERT_EQ(kinds.size(), 2u);
  EXPECT_EQ(kinds[0].pmu(), "cpu_core");
  EXPECT_EQ(kinds[0].state(), CounterState::kCounted);
  EXPECT_DOUBLE_EQ(*kinds[0].value(), 700);
  EXPECT_DOUBLE_EQ(*kinds[0].time_share(), 0.7);
  EXPECT_DOUBLE_EQ(*kinds[1].value(), 300);
  EXPECT_DOUBLE_EQ(*kinds[1].time_share(), 0.3);
  EXPECT_FALSE(kinds[1].low_coverage());  // a small share is not multiplexing
}

TEST(ReadingTest, HybridPartsWithMultiplexingShareOneScaleFactor) {
  // Together the parts ran 500 of 1000 ns: everything scales by 2.
  std::vector<Reading> readings = {
      Reading::FromCounts("cycles", "cpu_core", 400, 1000, 400),
      Reading::FromCounts("cycles", "cpu_atom", 100, 1000, 100),
  };
  Reading total = Totals(readings)[0];
  EXPECT_EQ(total.state(), CounterState::kScaled);
  EXPECT_DOUBLE_EQ(*total.value(), 1000);
  EXPECT_DOUBLE_EQ(*total.coverage(), 0.5);
  std::vector<Reading> kinds = PerKind(readings);
  EXPECT_EQ(kinds[0].state(), CounterState::kScaled);
  EXPECT_DOUBLE_EQ(*kinds[0].value(), 800);
  EXPECT_DOUBLE_EQ(*kinds[1].value(), 200);
  EXPECT_DOUBLE_EQ(*kinds[0].value() + *kinds[1].value(), *total.value());
}

TEST(ReadingTest, HybridEnableSkewWithinToleranceIsExact) {
  // Enabled by two ioctls a few ns apart.
  std::vector<Reading> readings = {
      Reading::FromCounts("cycles", "cpu_core", 500, 1000000, 600000),
      Reading::FromCounts("cycles", "cpu_atom", 300, 999990, 399995),
  };
  Reading total = Totals(readings)[0];
  EXPECT_EQ(total.state(), CounterState::kCounted);
  EXPECT_DOUBLE_EQ(*total.value(), 800);
}

TEST(ReadingTest, HybridPartThatNeverRanIsNotRunButTotalIsExact) {
  std::vector<Reading> readings = {
      Reading::FromCounts("cycles", "cpu_core", 900, 1000, 1000),
      Reading::FromCounts("cycles", "cpu_atom", 0, 1000, 0),
  };
  Reading total = Totals(readings)[0];
  EXPECT_EQ(total.state(), CounterState::kCounted);
  EXPECT_DOUBLE_EQ(*total.value(), 900);
  std::vector<Reading> kinds = PerKind(readings);
  EXPECT_EQ(kinds[1].state(), CounterState::kNotRun);
  EXPECT_FALSE(kinds[1].value().has_value());
  EXPECT_NE(kinds[1].reason().find("cpu_atom"), std::string::npos);
}

TEST(ReadingTest, HybridWithOnePartUnsupported) {
  std::vector<Reading> readings = {
      Reading::FromCounts("L1-dcache-load-misses", "cpu_core", 60, 1000, 600),
      Reading::Unsupported("L1-dcache-load-misses", "cpu_atom",
                           "not supported by this CPU/VM"),
  };
  Reading total = Totals(readings)[0];
  // Only the P-core part counted, for 60% of the time: an estimate.
  EXPECT_EQ(total.state(), CounterState::kScaled);
  EXPECT_DOUBLE_EQ(*total.value(), 100);
  EXPECT_EQ(total.reason(), "cpu_atom: not supported by this CPU/VM");

  std::vector<Reading> none = {
      Reading::Unsupported("cycles", "cpu_core", "a"),
      Reading::Unsupported("cycles", "cpu_atom", "b"),
  };
  Reading nothing = Totals(none)[0];
  EXPECT_EQ(nothing.state(), CounterState::kUnsupported);
  EXPECT_FALSE(nothing.value().has_value());
  EXPECT_EQ(nothing.reason(), "cpu_core: a; cpu_atom: b");
}

TEST(ReadingTest, SumAcrossAddsScaledValues) {
  std::vector<std::vector<Reading>> per_cpu = {
      {Reading::FromCounts("cycles", "cpu", 100, 1000, 1000)},
      {Reading::FromCounts("cycles", "cpu", 100, 1000, 500)},
  };
  std::vector<Reading> sum = SumAcross(per_cpu, "cpus 0-1");
  ASSERT_EQ(sum.size(), 1u);
  EXPECT_EQ(sum[0].pmu(), "cpus 0-1");
  EXPECT_EQ(sum[0].state(), CounterState::kScaled);
  EXPECT_DOUBLE_EQ(*sum[0].value(), 300);
  EXPECT_DOUBLE_EQ(*sum[0].coverage(), 0.75);
  EXPECT_EQ(*sum[0].raw(), 200u);

  per_cpu.push_back({Reading::FromCounts("cycles", "cpu", 0, 1000, 0)});
  EXPECT_EQ(SumAcross(per_cpu, "x")[0].state(), CounterState::kNotRun);
  EXPECT_FALSE(SumAcross(per_cpu, "x")[0].value().has_value());

  per_cpu.push_back({Reading::Unsupported("cycles", "cpu", "not permitted")});
  EXPECT_EQ(SumAcross(per_cpu, "x")[0].state(), CounterState::kUnsupported);
}

}  // namespace
}  // namespace copyscope::perfmon
