#include "harness/sweep.h"

#include "gtest/gtest.h"

namespace copyscope::harness {
namespace {

TEST(SweepTest, FormatEta) {
  EXPECT_EQ(FormatEta(absl::Seconds(0)), "00:00");
  EXPECT_EQ(FormatEta(absl::Seconds(65)), "01:05");
  EXPECT_EQ(FormatEta(absl::Seconds(3599)), "59:59");
  EXPECT_EQ(FormatEta(absl::Seconds(3661)), "1:01:01");
  EXPECT_EQ(FormatEta(absl::Seconds(-3)), "00:00");
}

TEST(SweepTest, EmptyPlanRecordsNothing) {
  Plan plan;
  SweepConfig config;
  LoopbackNetwork net;
  record::Run run;
  int calls = 0;
  SweepOutcome out = RunSweep(plan, config, net, nullptr, &run,
                              [&](const record::Run&) { ++calls; });
  EXPECT_EQ(out.samples, 0);
  EXPECT_FALSE(out.interrupted);
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(run.cells_size(), 0);
}

}  // namespace
}  // namespace copyscope::harness
