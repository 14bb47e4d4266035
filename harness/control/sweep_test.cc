#include "harness/control/sweep.h"

#include <atomic>
#include <map>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "harness/engine/in_tree_plugins_testing.h"
#include "plugins/loader.h"

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

// Two cells, three repetitions, over a real plugin in count mode: samples
// come rep-major (every cell once, then again) and each cell ends with
// three samples and statistics.
TEST(SweepTest, RepetitionsAreInterleavedAcrossCells) {
  plugins::PluginSet set;
  const plugins::Plugin* usable = FirstUsablePlugin(&set);
  ASSERT_NE(usable, nullptr);
  Plan plan;
  for (uint64_t size : {256, 1024}) {
    CellSpec c;
    c.transport = usable->transport;
    c.transport_name = usable->name;
    c.size = size;
    plan.cells.push_back(c);
  }
  SweepConfig config;
  config.runner.messages = 200;
  config.runner.warmup_messages = 20;
  config.reps = 3;
  LoopbackNetwork net;
  record::Run run;
  std::vector<std::pair<uint64_t, int>> order;  // size, rep
  std::map<uint64_t, int> seen;                 // samples per size so far
  SweepOutcome out =
      RunSweep(plan, config, net, nullptr, &run, [&](const record::Run& r) {
        for (const record::Cell& c : r.cells()) {
          int& n = seen[c.key().size()];
          if (c.samples_size() > n) {
            n = c.samples_size();
            order.emplace_back(c.key().size(), c.samples(n - 1).rep());
          }
        }
      });
  EXPECT_EQ(out.samples, 6);
  EXPECT_EQ(out.failed_samples, 0);
  EXPECT_FALSE(out.interrupted);
  EXPECT_EQ(
      order,
      (std::vector<std::pair<uint64_t, int>>{
          {256, 1}, {1024, 1}, {256, 2}, {1024, 2}, {256, 3}, {1024, 3}}));
  ASSERT_EQ(run.cells_size(), 2);
  for (const record::Cell& c : run.cells()) {
    EXPECT_EQ(c.samples_size(), 3);
    EXPECT_EQ(c.status(), "ok");
    bool has_ci = false;
    for (const record::Aggregate& a : c.aggregates()) {
      if (a.metric() == "throughput_gbps") has_ci = a.has_ci95_low();
    }
    EXPECT_TRUE(has_ci);
  }
}

TEST(SweepTest, AnInterruptBeforeTheStartRecordsNothing) {
  Plan plan;
  plan.cells.resize(2);
  std::atomic<bool> stop{true};
  SweepConfig config;
  config.interrupt = &stop;
  LoopbackNetwork net;
  record::Run run;
  SweepOutcome out = RunSweep(plan, config, net, nullptr, &run, nullptr);
  EXPECT_TRUE(out.interrupted);
  EXPECT_EQ(out.samples, 0);
  EXPECT_EQ(out.cells_kept, 0);
}

}  // namespace
}  // namespace copyscope::harness
