#include "perfmon/summary.h"

#include "gtest/gtest.h"

namespace copyscope::perfmon {
namespace {

constexpr char kNotSupported[] = "not supported by this CPU/VM";

TEST(SummaryTest, NothingMissingIsEmpty) {
  EXPECT_EQ(UnsupportedSummary({}), "");
  EXPECT_EQ(UnsupportedSummary(
                {Reading::FromCounts("task-clock", "software", 1, 1, 1)}),
            "");
}

TEST(SummaryTest, HardwareMissingOnAVm) {
  std::vector<Reading> readings;
  for (const char* e :
       {"cycles", "instructions", "cache-references", "cache-misses",
        "L1-dcache-load-misses", "branch-misses"}) {
    readings.push_back(Reading::Unsupported(e, "cpu", kNotSupported));
  }
  readings.push_back(Reading::FromCounts("task-clock", "software", 5, 5, 5));
  EXPECT_EQ(UnsupportedSummary(readings),
            "hardware counters unsupported here: cycles, instructions, "
            "cache-references, cache-misses, L1-dcache-load-misses, "
            "branch-misses (not supported by this CPU/VM)");
}

TEST(SummaryTest, GroupsByReasonAndNamesSoftware) {
  std::vector<Reading> readings = {
      Reading::Unsupported("cycles", "cpu",
                           "not permitted: perf_event_paranoid=3"),
      Reading::Unsupported("task-clock", "software",
                           "not permitted: perf_event_paranoid=3"),
      Reading::Unsupported("foo", "pmu-type-9", kNotSupported),
  };
  EXPECT_EQ(UnsupportedSummary(readings),
            "counters unsupported here: cycles, task-clock (not permitted: "
            "perf_event_paranoid=3); foo (not supported by this CPU/VM)");
}

TEST(SummaryTest, HybridPartlyMissingNamesThePmu) {
  std::vector<Reading> readings = {
      Reading::FromCounts("cycles", "cpu_core", 5, 5, 5),
      Reading::FromCounts("cycles", "cpu_atom", 5, 5, 5),
      Reading::FromCounts("L1-dcache-load-misses", "cpu_core", 5, 5, 5),
      Reading::Unsupported("L1-dcache-load-misses", "cpu_atom", kNotSupported),
      Reading::Unsupported("branch-misses", "cpu_core", kNotSupported),
      Reading::Unsupported("branch-misses", "cpu_atom", kNotSupported),
  };
  EXPECT_EQ(UnsupportedSummary(readings),
            "hardware counters unsupported here: L1-dcache-load-misses on "
            "cpu_atom, branch-misses (not supported by this CPU/VM)");
}

}  // namespace
}  // namespace copyscope::perfmon
