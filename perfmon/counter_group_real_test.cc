// CounterGroup against the real kernel: software events count real work, and
// hardware events come out counted or unsupported, never a silent zero.
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "perfmon/counter_group.h"
#include "perfmon/summary.h"
#include "perfmon/testdata/workload.h"

namespace copyscope::perfmon {
namespace {

using testdata::Spin;
using testdata::TouchFreshPages;

std::vector<EventSpec> Events(std::initializer_list<const char*> names) {
  std::vector<EventSpec> out;
  for (const char* n : names) out.push_back(*ResolveEvent(n));
  return out;
}

// Opens `events` for the calling thread with the real PMU topology, or skips
// the test when the kernel offers no perf events at all (e.g. a seccomp
// profile that blocks perf_event_open).
CounterOptions RealOptions(std::vector<EventSpec> events) {
  CounterOptions options;
  options.events = std::move(events);
  if (absl::StatusOr<PmuTopology> pmus = DiscoverPmus(); pmus.ok()) {
    options.pmus = *pmus;
  }
  return options;
}

// group_var names a variable, so it cannot be parenthesized.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define OPEN_OR_SKIP(group_var, event_list)                       \
  absl::StatusOr<CounterGroup> group_var =                        \
      CounterGroup::Open(RealOptions(event_list));                \
  ASSERT_TRUE(group_var.ok()) << group_var.status();              \
  if (group_var->num_open_events() == 0) {                        \
    GTEST_SKIP() << "no perf event can be opened here: "          \
                 << UnsupportedSummary(group_var->Unsupported()); \
  }
// NOLINTEND(bugprone-macro-parentheses)

// Counts `event` over `work` on a fresh group; the value must exist.
template <typename Work>
double CountOver(const char* event, Work work) {
  CounterOptions options;
  options.events = Events({event});
  absl::StatusOr<CounterGroup> group = CounterGroup::Open(options);
  EXPECT_TRUE(group.ok()) << group.status();
  EXPECT_TRUE(group->Enable().ok());
  work();
  EXPECT_TRUE(group->Disable().ok());
  absl::StatusOr<std::vector<Reading>> readings = group->Read();
  EXPECT_TRUE(readings.ok()) << readings.status();
  const Reading& r = readings->at(0);
  EXPECT_EQ(r.state(), CounterState::kCounted) << r.DebugString();
  return r.value().value_or(-1);
}

TEST(CounterGroupRealTest, TaskClockGrowsWithWork) {
  OPEN_OR_SKIP(probe, Events({"task-clock"}));
  uint64_t sink = 0;
  const double short_loop =
      CountOver("task-clock", [&] { sink += Spin(2'000'000); });
  const double long_loop =
      CountOver("task-clock", [&] { sink += Spin(40'000'000); });
  EXPECT_GT(short_loop, 0);
  EXPECT_GT(long_loop, short_loop);
  EXPECT_NE(sink, 42u);
}

TEST(CounterGroupRealTest, PageFaultsGrowWithFreshPages) {
  OPEN_OR_SKIP(probe, Events({"page-faults"}));
  struct rusage before, after;
  getrusage(RUSAGE_THREAD, &before);
  const double few = CountOver("page-faults", [] { TouchFreshPages(64); });
  const double many = CountOver("page-faults", [] { TouchFreshPages(1024); });
  getrusage(RUSAGE_THREAD, &after);
  // One minor fault per fresh base page, at least.
  EXPECT_GE(few, 64);
  EXPECT_GE(many, 1024);
  EXPECT_GT(many, few);
  // The kernel's own accounting over a wider window saw at least as many.
  EXPECT_GE(static_cast<double>(after.ru_minflt - before.ru_minflt),
            few + many);
}

// State letter of a thread from /proc/self/task/<tid>/stat ('S' = sleeping).
char ThreadState(pid_t tid) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  const size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() ? stat[paren + 2]
                                                               : '?';
}

TEST(CounterGroupRealTest, BlockingReadShowsContextSwitches) {
  OPEN_OR_SKIP(probe, Events({"context-switches"}));
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::atomic<pid_t> reader_tid{0};
  std::atomic<bool> about_to_read{false};
  std::atomic<bool> gave_up{false};
  std::string failure;
  double switches = -1;
  long rusage_switches = -1;

  std::thread reader([&] {
    reader_tid = static_cast<pid_t>(syscall(SYS_gettid));
    CounterOptions options;
    options.events = Events({"context-switches"});
    absl::StatusOr<CounterGroup> group = CounterGroup::Open(options);
    struct rusage before, after;
    getrusage(RUSAGE_THREAD, &before);
    if (!group.ok() || !group->Enable().ok()) {
      failure = "could not open or enable the reader's counters";
      gave_up = true;
      return;
    }
    about_to_read = true;
    char byte;
    const ssize_t n = read(fds[0], &byte, 1);  // blocks until the write
    const absl::Status disabled = group->Disable();
    getrusage(RUSAGE_THREAD, &after);
    absl::StatusOr<std::vector<Reading>> readings = group->Read();
    if (n != 1 || !disabled.ok() || !readings.ok()) {
      failure = "pipe read, disable or counter read failed";
      return;
    }
    switches = readings->at(0).value().value_or(-1);
    rusage_switches = (after.ru_nvcsw - before.ru_nvcsw) +
                      (after.ru_nivcsw - before.ru_nivcsw);
  });

  // Release the reader only once it is asleep in read(): the only blocking
  // call after about_to_read is set.
  while (!gave_up && (!about_to_read || ThreadState(reader_tid) != 'S')) {
    std::this_thread::yield();
  }
  ASSERT_EQ(write(fds[1], "x", 1), 1);
  reader.join();
  close(fds[0]);
  close(fds[1]);

  ASSERT_TRUE(failure.empty()) << failure;
  EXPECT_GE(switches, 1);
  // getrusage measured a wider window around the same interval.
  EXPECT_LE(switches, static_cast<double>(rusage_switches));
}

TEST(CounterGroupRealTest, HardwareEventsAreCountedOrUnsupportedNeverZero) {
  OPEN_OR_SKIP(group, DefaultEvents());
  ASSERT_TRUE(group->Enable().ok());
  const uint64_t sink = Spin(5'000'000);
  TouchFreshPages(16);
  ASSERT_TRUE(group->Disable().ok());
  EXPECT_NE(sink, 42u);
  absl::StatusOr<std::vector<Reading>> readings = group->Read();
  ASSERT_TRUE(readings.ok()) << readings.status();
  ASSERT_GE(readings->size(), DefaultEvents().size());

  const std::string summary = UnsupportedSummary(*readings);
  if (!summary.empty()) std::printf("%s\n", summary.c_str());
  for (const Reading& r : Totals(*readings)) {
    std::printf("  %s\n", r.DebugString().c_str());
    switch (r.state()) {
      case CounterState::kUnsupported:
        EXPECT_FALSE(r.value().has_value()) << r.event();
        EXPECT_FALSE(r.raw().has_value()) << r.event();
        EXPECT_FALSE(r.reason().empty()) << r.event();
        break;
      case CounterState::kCounted:
      case CounterState::kScaled:
        ASSERT_TRUE(r.value().has_value()) << r.event();
        break;
      case CounterState::kNotRun:
        EXPECT_FALSE(r.value().has_value()) << r.event();
        break;
    }
  }
  // Events that must have ticked over 5M loop steps, if they were counted.
  for (const char* event : {"cycles", "instructions", "task-clock"}) {
    const Reading* r = FindReading(Totals(*readings), event);
    ASSERT_NE(r, nullptr) << event;
    if (r->value()) {
      EXPECT_GT(*r->value(), 0) << event << " counted as zero";
    }
  }
  // Software events never depend on a PMU.
  for (const char* event :
       {"task-clock", "context-switches", "cpu-migrations", "page-faults"}) {
    EXPECT_TRUE(FindReading(*readings, event)->supported()) << event;
  }
}

TEST(CounterGroupRealTest, RealSysfsDiscoveryWorks) {
  absl::StatusOr<PmuTopology> pmus = DiscoverPmus();
  if (!pmus.ok()) GTEST_SKIP() << pmus.status();
  std::printf("core PMUs: %s\n", pmus->Describe().c_str());
  for (const CorePmu& pmu : pmus->core_pmus) EXPECT_GT(pmu.type, 0u);
}

}  // namespace
}  // namespace copyscope::perfmon
