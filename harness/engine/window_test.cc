#include "harness/engine/window.h"

#include <atomic>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace copyscope::engine {
namespace {

// Records the measure hooks, and what the report held when each ran.
class Recorder : public ThreadHooks {
 public:
  void OnMeasureStart(const ThreadContext& t) override {
    calls.push_back("start");
    window_at_start = t.report->has_window_s();
  }
  void OnMeasureStop(const ThreadContext& t) override {
    calls.push_back("stop");
    window_at_stop = t.report->has_window_s();
  }
  std::vector<std::string> calls;
  bool window_at_start = true;
  bool window_at_stop = true;
};

struct Fixture {
  std::atomic<int> phase{kWarmup};
  Recorder hooks;
  record::ThreadReport report;
  ThreadContext ctx{Side::kServer, 0, 1, "t", &report};
};

TEST(WindowTest, DurationModeFollowsThePhase) {
  Fixture f;
  Window w(f.phase, 0, 0, &f.hooks, f.ctx);
  EXPECT_TRUE(w.Next(0));
  EXPECT_TRUE(w.Next(5));
  EXPECT_FALSE(w.measuring());
  EXPECT_TRUE(f.hooks.calls.empty());
  f.phase.store(kMeasure);
  EXPECT_TRUE(w.Next(10));  // opens at 10
  EXPECT_TRUE(w.measuring());
  EXPECT_TRUE(w.Next(11));
  EXPECT_TRUE(w.Next(30));
  f.phase.store(kStop);
  EXPECT_FALSE(w.Next(42));  // closes at 42
  EXPECT_TRUE(w.complete());
  EXPECT_EQ(w.counted(), 32u);
  EXPECT_GE(w.window(), absl::ZeroDuration());
  EXPECT_EQ(f.hooks.calls, (std::vector<std::string>{"start", "stop"}));
  // The report is written after the hooks ran, never before.
  EXPECT_FALSE(f.hooks.window_at_start);
  EXPECT_FALSE(f.hooks.window_at_stop);
  EXPECT_TRUE(f.report.has_window_s());
  EXPECT_TRUE(f.report.has_user_cpu_s());
  EXPECT_TRUE(f.report.has_sys_cpu_s());
  EXPECT_TRUE(f.report.has_voluntary_cs());
  EXPECT_TRUE(f.report.has_involuntary_cs());
  // Further steps and closes change nothing.
  EXPECT_FALSE(w.Next(50));
  w.Close(60);
  EXPECT_EQ(w.counted(), 32u);
  EXPECT_EQ(f.hooks.calls.size(), 2u);
}

TEST(WindowTest, CooldownClosesTheWindowButTheLoopGoesOn) {
  Fixture f;
  Window w(f.phase, 0, 0, &f.hooks, f.ctx);
  f.phase.store(kMeasure);
  EXPECT_TRUE(w.Next(4));  // opens at 4
  f.phase.store(kCooldown);
  EXPECT_TRUE(w.Next(9));  // closes at 9, and the loop keeps going
  EXPECT_TRUE(w.complete());
  EXPECT_EQ(w.counted(), 5u);
  EXPECT_TRUE(w.Next(20));
  f.phase.store(kStop);
  EXPECT_FALSE(w.Next(30));
  EXPECT_EQ(w.counted(), 5u);  // what came after the window is not counted
  EXPECT_EQ(f.hooks.calls, (std::vector<std::string>{"start", "stop"}));
}

TEST(WindowTest, DurationModeStopSeenBeforeMeasureOpensAnEmptyWindow) {
  Fixture f;
  Window w(f.phase, 0, 0, &f.hooks, f.ctx);
  EXPECT_TRUE(w.Next(0));
  f.phase.store(kStop);  // e.g. a failure elsewhere during warm-up
  EXPECT_FALSE(w.Next(7));
  EXPECT_TRUE(w.complete());
  EXPECT_EQ(w.counted(), 0u);
}

TEST(WindowTest, CountModeOpensAfterWarmupAndEndsAtTheCount) {
  Fixture f;
  Window w(f.phase, /*warmup_messages=*/3, /*messages=*/5, &f.hooks, f.ctx);
  uint64_t done = 0;
  std::vector<bool> measuring;
  for (; w.Next(done); ++done) measuring.push_back(w.measuring());
  EXPECT_EQ(done, 8u);
  EXPECT_EQ(measuring, (std::vector<bool>{false, false, false, true, true, true,
                                          true, true}));
  EXPECT_TRUE(w.complete());
  EXPECT_EQ(w.counted(), 5u);
  EXPECT_EQ(f.hooks.calls, (std::vector<std::string>{"start", "stop"}));
}

TEST(WindowTest, CountModeWithoutWarmupOpensAtOnce) {
  Fixture f;
  Window w(f.phase, 0, 2, nullptr, f.ctx);
  EXPECT_TRUE(w.Next(0));
  EXPECT_TRUE(w.measuring());
  EXPECT_TRUE(w.Next(1));
  EXPECT_FALSE(w.Next(2));
  EXPECT_EQ(w.counted(), 2u);
}

TEST(WindowTest, CountModeStopsOnTheStopPhaseWithoutCompleting) {
  Fixture f;
  Window w(f.phase, 1, 100, &f.hooks, f.ctx);
  EXPECT_TRUE(w.Next(0));
  EXPECT_TRUE(w.Next(1));
  f.phase.store(kStop);  // a failure elsewhere
  EXPECT_FALSE(w.Next(2));
  EXPECT_TRUE(w.measuring());
  EXPECT_FALSE(w.complete());
  w.Close(2);  // the loop closes what it opened
  EXPECT_TRUE(w.complete());
  EXPECT_EQ(w.counted(), 1u);
}

TEST(WindowTest, CloseBeforeOpenDoesNothing) {
  Fixture f;
  Window w(f.phase, 10, 10, &f.hooks, f.ctx);
  w.Close(3);
  EXPECT_FALSE(w.complete());
  EXPECT_TRUE(f.hooks.calls.empty());
  EXPECT_FALSE(f.report.has_window_s());
}

}  // namespace
}  // namespace copyscope::engine
