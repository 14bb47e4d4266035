#include "perfmon/derived.h"

#include "gtest/gtest.h"

namespace copyscope::perfmon {
namespace {

std::vector<Reading> AllCounted() {
  return {
      Reading::FromCounts("cycles", "cpu", 2'000'000, 100, 100),
      Reading::FromCounts("instructions", "cpu", 3'000'000, 100, 100),
      Reading::FromCounts("cache-misses", "cpu", 2'048, 100, 100),
      Reading::FromCounts("L1-dcache-load-misses", "cpu", 8'192, 100, 100),
      Reading::FromCounts("context-switches", "software", 50, 100, 100),
  };
}

TEST(DerivedTest, AllFiguresFromCountedInputs) {
  Work work;
  work.bytes = 1024 * 1024;
  work.messages = 1000;
  work.seconds = 0.5;
  DerivedFigures d = Derive(AllCounted(), work);
  EXPECT_DOUBLE_EQ(*d.ipc.value, 1.5);
  EXPECT_DOUBLE_EQ(*d.cycles_per_byte.value, 2'000'000.0 / (1024 * 1024));
  EXPECT_DOUBLE_EQ(*d.instructions_per_message.value, 3000);
  EXPECT_DOUBLE_EQ(*d.llc_misses_per_kib.value, 2);
  EXPECT_DOUBLE_EQ(*d.l1_misses_per_kib.value, 8);
  EXPECT_DOUBLE_EQ(*d.context_switches_per_second.value, 100);
  EXPECT_FALSE(d.AnyLowCoverage());
  EXPECT_EQ(d.Named().size(), 6u);
  EXPECT_STREQ(d.Named()[0].first, "ipc");
}

TEST(DerivedTest, UnsupportedInputsLeaveFiguresAbsent) {
  std::vector<Reading> totals = {
      Reading::Unsupported("cycles", "cpu", "not supported by this CPU/VM"),
      Reading::Unsupported("instructions", "cpu",
                           "not supported by this CPU/VM"),
      Reading::FromCounts("context-switches", "software", 10, 100, 100),
  };
  Work work;
  work.bytes = 4096;
  work.messages = 1;
  work.seconds = 2;
  DerivedFigures d = Derive(totals, work);
  EXPECT_FALSE(d.ipc.value.has_value());
  EXPECT_EQ(d.ipc.why_absent,
            "instructions unsupported: not supported by this CPU/VM");
  EXPECT_FALSE(d.cycles_per_byte.value.has_value());
  EXPECT_FALSE(d.instructions_per_message.value.has_value());
  EXPECT_FALSE(d.llc_misses_per_kib.value.has_value());
  EXPECT_NE(d.llc_misses_per_kib.why_absent.find("not in --counters"),
            std::string::npos);
  EXPECT_DOUBLE_EQ(*d.context_switches_per_second.value, 5);
}

TEST(DerivedTest, MissingOrZeroWorkLeavesFiguresAbsent) {
  Work work;  // nothing known
  DerivedFigures d = Derive(AllCounted(), work);
  EXPECT_DOUBLE_EQ(*d.ipc.value, 1.5);  // needs no work figure
  EXPECT_FALSE(d.cycles_per_byte.value.has_value());
  EXPECT_EQ(d.cycles_per_byte.why_absent, "bytes unknown");
  work.bytes = 0;
  work.seconds = 0;
  d = Derive(AllCounted(), work);
  EXPECT_FALSE(d.cycles_per_byte.value.has_value());
  EXPECT_EQ(d.cycles_per_byte.why_absent, "divisor is zero");
  EXPECT_FALSE(d.context_switches_per_second.value.has_value());
}

TEST(DerivedTest, LowCoverageInputsAreFlagged) {
  std::vector<Reading> totals = AllCounted();
  totals[0] = Reading::FromCounts("cycles", "cpu", 500'000, 100, 25);
  Work work;
  work.bytes = 1024;
  DerivedFigures d = Derive(totals, work);
  EXPECT_DOUBLE_EQ(*d.ipc.value, 1.5);  // 3e6 / (5e5 * 4)
  EXPECT_TRUE(d.ipc.low_coverage);
  EXPECT_TRUE(d.cycles_per_byte.low_coverage);
  EXPECT_FALSE(d.l1_misses_per_kib.low_coverage);
  EXPECT_TRUE(d.AnyLowCoverage());
}

TEST(DerivedTest, NotRunInputLeavesFigureAbsent) {
  std::vector<Reading> totals = AllCounted();
  totals[1] = Reading::FromCounts("instructions", "cpu", 0, 100, 0);
  DerivedFigures d = Derive(totals, Work{});
  EXPECT_FALSE(d.ipc.value.has_value());
  EXPECT_NE(d.ipc.why_absent.find("instructions not-run"), std::string::npos)
      << d.ipc.why_absent;
}

}  // namespace
}  // namespace copyscope::perfmon
