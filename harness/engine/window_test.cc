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

// Slices: a tick counter driven by hand stands for the slice clock.

std::vector<std::pair<uint32_t, uint64_t>> TicksAndCounts(const Window& w) {
  std::vector<std::pair<uint32_t, uint64_t>> out;
  for (const SliceMark& m : w.marks()) out.emplace_back(m.tick, m.done);
  return out;
}

TEST(WindowSlicesTest, MarksTheEdgesAndEveryTickWhileOpen) {
  Fixture f;
  std::atomic<uint32_t> tick{0};
  Window w(f.phase, 0, 0, &f.hooks, f.ctx, &tick);
  EXPECT_TRUE(w.Next(0));
  tick.store(1);  // a tick during the warm-up is not marked
  EXPECT_TRUE(w.Next(3));
  EXPECT_TRUE(w.marks().empty());
  f.phase.store(kMeasure);
  EXPECT_TRUE(w.Next(5));  // opens at 5, in slice 1
  EXPECT_TRUE(w.Next(9));  // no tick: no mark
  tick.store(2);
  EXPECT_TRUE(w.Next(12));  // slice 2 from 12
  tick.store(4);            // two ticks between two steps: one mark
  EXPECT_TRUE(w.Next(20));
  f.phase.store(kCooldown);
  EXPECT_TRUE(w.Next(26));  // closes at 26
  tick.store(5);            // after the window: not marked
  EXPECT_TRUE(w.Next(30));
  EXPECT_EQ(TicksAndCounts(w), (std::vector<std::pair<uint32_t, uint64_t>>{
                                   {1, 5}, {2, 12}, {4, 20}, {4, 26}}));
  for (size_t i = 1; i < w.marks().size(); ++i) {
    EXPECT_LE(w.marks()[i - 1].ns, w.marks()[i].ns) << i;
  }
  // The edges are the window's own clock reads.
  EXPECT_EQ(w.marks().back().ns - w.marks().front().ns,
            absl::ToInt64Nanoseconds(w.window()));
}

TEST(WindowSlicesTest, ATickAndTheCloseInOneStep) {
  Fixture f;
  std::atomic<uint32_t> tick{0};
  Window w(f.phase, 0, 0, nullptr, f.ctx, &tick);
  f.phase.store(kMeasure);
  EXPECT_TRUE(w.Next(0));
  tick.store(1);
  f.phase.store(kStop);
  EXPECT_FALSE(w.Next(7));  // the tick first, then the close
  EXPECT_EQ(TicksAndCounts(w), (std::vector<std::pair<uint32_t, uint64_t>>{
                                   {0, 0}, {1, 7}, {1, 7}}));
}

TEST(WindowSlicesTest, CountModeMarksFromTheWarmupsEnd) {
  Fixture f;
  std::atomic<uint32_t> tick{0};
  Window w(f.phase, /*warmup_messages=*/2, /*messages=*/6, nullptr, f.ctx,
           &tick);
  uint64_t done = 0;
  for (; w.Next(done); ++done) {
    if (done == 1 || done == 4) tick.fetch_add(1);
  }
  EXPECT_EQ(done, 8u);
  // Opens at 2 in slice 1 (the tick at 1 was seen before it opened), ticks
  // to 2 at 5, closes at 8.
  EXPECT_EQ(TicksAndCounts(w), (std::vector<std::pair<uint32_t, uint64_t>>{
                                   {1, 2}, {2, 5}, {2, 8}}));
}

TEST(WindowSlicesTest, NoCounterNoMarks) {
  Fixture f;
  Window w(f.phase, 0, 3, nullptr, f.ctx);
  for (uint64_t done = 0; w.Next(done); ++done) {
  }
  EXPECT_TRUE(w.complete());
  EXPECT_TRUE(w.marks().empty());
}

}  // namespace
}  // namespace copyscope::engine
