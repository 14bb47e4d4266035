#include "harness/record/perf_counter.h"

#include <vector>

#include "gtest/gtest.h"

namespace copyscope::record {
namespace {

TEST(PerfCounterTest, RoundTripsEveryState) {
  std::vector<perfmon::Reading> readings = {
      perfmon::Reading::FromCounts("cycles", "cpu", 500, 1000, 1000),
      perfmon::Reading::FromCounts("instructions", "cpu", 500, 1000, 250),
      perfmon::Reading::FromCounts("task-clock", "software", 0, 1000, 0),
      perfmon::Reading::Unsupported("branch-misses", "cpu", "no PMU"),
  };
  for (const perfmon::Reading& r : readings) {
    SCOPED_TRACE(r.DebugString());
    PerfCounter rec = ToProto(r);
    perfmon::Reading back = FromProto(rec);
    EXPECT_EQ(back.event(), r.event());
    EXPECT_EQ(back.pmu(), r.pmu());
    EXPECT_EQ(back.state(), r.state());
    EXPECT_EQ(back.value(), r.value());
    EXPECT_EQ(rec.has_value(), r.value().has_value());
    EXPECT_EQ(rec.has_raw(), r.value().has_value());  // never a fake zero
  }
  EXPECT_EQ(ToProto(readings[0]).state(), "counted");
  EXPECT_EQ(ToProto(readings[1]).state(), "scaled");
  EXPECT_EQ(ToProto(readings[2]).state(), "not_run");
  EXPECT_EQ(ToProto(readings[3]).reason(), "no PMU");
  PerfCounter junk;
  junk.set_event("x");
  junk.set_state("exact");
  EXPECT_FALSE(FromProto(junk).supported());
}

TEST(PerfCounterTest, HybridPartsAreNamedAfterTheirPmu) {
  std::vector<perfmon::Reading> raw = {
      perfmon::Reading::FromCounts("cycles", "cpu_core", 700, 1000, 700),
      perfmon::Reading::FromCounts("cycles", "cpu_atom", 300, 1000, 300),
  };
  std::vector<PerfCounter> records = RecordsOf(raw);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].event(), "cycles");
  EXPECT_DOUBLE_EQ(records[0].value(), 1000);
  EXPECT_FALSE(IsPart(records[0]));
  EXPECT_EQ(records[1].event(), "cpu_core/cycles/");
  EXPECT_TRUE(IsPart(records[1]));
  EXPECT_EQ(records[2].event(), "cpu_atom/cycles/");
}

}  // namespace
}  // namespace copyscope::record
