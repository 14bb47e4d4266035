// CounterHooks with real perf events (runs outside Bazel's sandbox, where
// perf_event_open is permitted; skips with the reason elsewhere).
#include <cstring>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "harness/engine/counter_hooks.h"
#include "perfmon/summary.h"

namespace copyscope::engine {
namespace {

config::CounterSelection DefaultCounters() {
  config::CounterSelection c;
  c.kind = config::CounterSelection::Kind::kDefault;
  return c;
}

const char* const kHardware[] = {
    "cycles",       "instructions",          "cache-references",
    "cache-misses", "L1-dcache-load-misses", "branch-misses"};

std::map<std::string, record::PerfCounter> ByEvent(
    const record::ThreadReport& r) {
  std::map<std::string, record::PerfCounter> out;
  for (const record::PerfCounter& p : r.perf()) out[p.event()] = p;
  return out;
}

// A thread that works (a busy loop and fresh pages) inside its measured
// interval, with the hooks around it as the runner calls them.
record::ThreadReport BusyThread(ThreadHooks& hooks) {
  record::ThreadReport report;
  std::thread t([&] {
    ThreadContext ctx{Side::kServer, 0, 1, "busy", &report};
    ASSERT_TRUE(hooks.OnThreadStart(ctx).ok());
    hooks.OnMeasureStart(ctx);
    volatile uint64_t x = 0;
    for (uint64_t i = 0; i < 20000000; ++i) x = x + i * i;
    std::unique_ptr<char[]> pages(new char[64 << 20]);
    for (size_t i = 0; i < (size_t{64} << 20); i += 4096) pages[i] = 1;
    hooks.OnMeasureStop(ctx);
    hooks.OnThreadEnd(ctx);
  });
  t.join();
  return report;
}

#define SKIP_IF_NOT_PERMITTED(rec)                                        \
  if ((rec).state() == "unsupported" &&                                   \
      absl::StrContains((rec).reason(), "not permitted")) {               \
    GTEST_SKIP() << "perf events not permitted here: " << (rec).reason(); \
  }

TEST(CounterHooksRealTest, ABusyThreadCountsTaskClockAndPageFaults) {
  absl::StatusOr<perfmon::CounterOptions> options =
      MakeCounterOptions(DefaultCounters());
  ASSERT_TRUE(options.ok()) << options.status();
  CounterHooks hooks(*options);
  std::map<std::string, record::PerfCounter> rec = ByEvent(BusyThread(hooks));
  ASSERT_TRUE(rec.count("task-clock"));
  SKIP_IF_NOT_PERMITTED(rec["task-clock"]);
  EXPECT_EQ(rec["task-clock"].state(), "counted");
  ASSERT_TRUE(rec["task-clock"].has_value());
  EXPECT_GT(rec["task-clock"].value(), 0);
  ASSERT_TRUE(rec["page-faults"].has_value());
  EXPECT_GT(rec["page-faults"].value(), 0);
  ASSERT_TRUE(rec.count("context-switches"));
  EXPECT_EQ(rec["context-switches"].state(), "counted");
}

TEST(CounterHooksRealTest, HardwareEventsAreUnsupportedNotZeroWithoutAPmu) {
  absl::StatusOr<perfmon::CounterOptions> options =
      MakeCounterOptions(DefaultCounters());
  ASSERT_TRUE(options.ok()) << options.status();
  CounterHooks hooks(*options);
  std::map<std::string, record::PerfCounter> rec = ByEvent(BusyThread(hooks));
  SKIP_IF_NOT_PERMITTED(rec["task-clock"]);
  for (const char* hw : kHardware) {
    SCOPED_TRACE(hw);
    ASSERT_TRUE(rec.count(hw));
    const record::PerfCounter& r = rec[hw];
    if (r.state() == "unsupported") {
      EXPECT_FALSE(r.has_value());
      EXPECT_FALSE(r.has_raw());
      EXPECT_FALSE(r.reason().empty());
    } else {
      // A machine with a PMU: counted for real.
      EXPECT_FALSE(options->pmus.empty());
      EXPECT_TRUE(r.has_value());
    }
  }
  if (options->pmus.empty()) {
    // This VM: no core PMU, so every hardware event is unsupported and
    // the one console line says so.
    for (const char* hw : kHardware) EXPECT_EQ(rec[hw].state(), "unsupported");
    EXPECT_TRUE(
        absl::StartsWith(perfmon::UnsupportedSummary(hooks.Unsupported()),
                         "hardware counters unsupported here: "));
  }
}

}  // namespace
}  // namespace copyscope::engine
