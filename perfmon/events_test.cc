#include "perfmon/events.h"

#include <linux/perf_event.h>

#include "gtest/gtest.h"

namespace copyscope::perfmon {
namespace {

constexpr uint64_t kL1dReadMiss = PERF_COUNT_HW_CACHE_L1D |
                                  (PERF_COUNT_HW_CACHE_OP_READ << 8) |
                                  (PERF_COUNT_HW_CACHE_RESULT_MISS << 16);

CorePmu MakePmu(const char* name, CoreKind kind, uint32_t type) {
  CorePmu pmu;
  pmu.name = name;
  pmu.kind = kind;
  pmu.type = type;
  return pmu;
}

TEST(EventsTest, DefaultSetInReportOrder) {
  std::vector<EventSpec> events = DefaultEvents();
  std::vector<std::string> names;
  for (const EventSpec& e : events) names.push_back(e.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{
                "cycles", "instructions", "cache-references", "cache-misses",
                "L1-dcache-load-misses", "branch-misses", "task-clock",
                "context-switches", "cpu-migrations", "page-faults"}));
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(events[i].kind, EventKind::kHardware) << events[i].name;
  }
  for (size_t i = 6; i < events.size(); ++i) {
    EXPECT_EQ(events[i].kind, EventKind::kSoftware) << events[i].name;
    EXPECT_EQ(events[i].type, PERF_TYPE_SOFTWARE);
  }
}

TEST(EventsTest, GenericEncodings) {
  struct Case {
    const char* name;
    uint32_t type;
    uint64_t config;
  };
  const Case cases[] = {
      {"cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES},
      {"cpu-cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES},
      {"instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS},
      {"cache-references", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES},
      {"cache-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES},
      {"L1-dcache-load-misses", PERF_TYPE_HW_CACHE, kL1dReadMiss},
      {"branch-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES},
      {"task-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK},
      {"cs", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES},
      {"migrations", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS},
      {"faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS},
  };
  for (const Case& c : cases) {
    absl::StatusOr<EventSpec> e = ResolveEvent(c.name);
    ASSERT_TRUE(e.ok()) << c.name << ": " << e.status();
    EXPECT_EQ(e->type, c.type) << c.name;
    EXPECT_EQ(e->config, c.config) << c.name;
    EXPECT_EQ(e->source, "generic") << c.name;
    EXPECT_FALSE(e->exclude_kernel) << c.name << ": kernel work must count";
  }
  // Aliases report under the canonical name.
  EXPECT_EQ(ResolveEvent("cs")->name, "context-switches");
  EXPECT_EQ(ResolveEvent("cpu-cycles")->name, "cycles");
}

TEST(EventsTest, HybridHardwareEventsCarryThePmuTypeInTheHighBits) {
  const CorePmu core = MakePmu("cpu_core", CoreKind::kCore, 4);
  const CorePmu atom = MakePmu("cpu_atom", CoreKind::kAtom, 8);
  const EventSpec cycles = *ResolveEvent("cycles");
  const EventSpec l1 = *ResolveEvent("L1-dcache-load-misses");
  const EventSpec misses = *ResolveEvent("cache-misses");

  perf_event_attr a = EncodeAttr(cycles, &core);
  EXPECT_EQ(a.type, PERF_TYPE_HARDWARE);
  EXPECT_EQ(a.config, 0x0000000400000000ull);
  EXPECT_EQ(a.size, sizeof(perf_event_attr));

  a = EncodeAttr(cycles, &atom);
  EXPECT_EQ(a.type, PERF_TYPE_HARDWARE);
  EXPECT_EQ(a.config, 0x0000000800000000ull);

  a = EncodeAttr(misses, &atom);
  EXPECT_EQ(a.config, (8ull << 32) | PERF_COUNT_HW_CACHE_MISSES);
  EXPECT_EQ(a.config >> PERF_PMU_TYPE_SHIFT, 8u);
  EXPECT_EQ(a.config & PERF_HW_EVENT_MASK, PERF_COUNT_HW_CACHE_MISSES);

  a = EncodeAttr(l1, &core);
  EXPECT_EQ(a.type, PERF_TYPE_HW_CACHE);
  EXPECT_EQ(a.config, (4ull << 32) | kL1dReadMiss);
  EXPECT_EQ(a.config, 0x0000000400010000ull);
}

TEST(EventsTest, PlainAndUnknownPmusUseTheGenericEncoding) {
  const CorePmu cpu = MakePmu("cpu", CoreKind::kPlain, 4);
  const EventSpec cycles = *ResolveEvent("cycles");
  EXPECT_EQ(EncodeAttr(cycles, &cpu).config, PERF_COUNT_HW_CPU_CYCLES);
  EXPECT_EQ(EncodeAttr(cycles, nullptr).config, PERF_COUNT_HW_CPU_CYCLES);
  EXPECT_EQ(EncodeAttr(*ResolveEvent("L1-dcache-load-misses"), nullptr).config,
            kL1dReadMiss);
}

TEST(EventsTest, SoftwareEventsIgnoreTheCorePmu) {
  const CorePmu atom = MakePmu("cpu_atom", CoreKind::kAtom, 8);
  perf_event_attr a = EncodeAttr(*ResolveEvent("page-faults"), &atom);
  EXPECT_EQ(a.type, PERF_TYPE_SOFTWARE);
  EXPECT_EQ(a.config, PERF_COUNT_SW_PAGE_FAULTS);
}

TEST(EventsTest, OtherNamesResolveThroughLibpfm) {
  // Not in the generic set; libpfm4's perf:: table knows them on any CPU.
  absl::StatusOr<EventSpec> major = ResolveEvent("major-faults");
  ASSERT_TRUE(major.ok()) << major.status();
  EXPECT_EQ(major->kind, EventKind::kSoftware);
  EXPECT_EQ(major->type, PERF_TYPE_SOFTWARE);
  EXPECT_EQ(major->config, PERF_COUNT_SW_PAGE_FAULTS_MAJ);
  EXPECT_NE(major->source, "generic");
  EXPECT_FALSE(major->exclude_kernel);

  absl::StatusOr<EventSpec> dtlb = ResolveEvent("dTLB-load-misses");
  ASSERT_TRUE(dtlb.ok()) << dtlb.status();
  EXPECT_EQ(dtlb->kind, EventKind::kHardware);
  EXPECT_EQ(dtlb->type, PERF_TYPE_HW_CACHE);
  EXPECT_EQ(dtlb->config, PERF_COUNT_HW_CACHE_DTLB |
                              (PERF_COUNT_HW_CACHE_OP_READ << 8) |
                              (PERF_COUNT_HW_CACHE_RESULT_MISS << 16));
  EXPECT_EQ(dtlb->name, "dTLB-load-misses");
}

TEST(EventsTest, UnknownNameIsAClearError) {
  absl::StatusOr<EventSpec> e = ResolveEvent("no-such-event");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(e.status().message().find("\"no-such-event\""),
            absl::string_view::npos)
      << e.status();
  EXPECT_NE(e.status().message().find("libpfm4"), absl::string_view::npos);
}

TEST(EventsTest, ParseCountersNoneDefaultAndLists) {
  EXPECT_TRUE(ParseCounters("none")->empty());
  EXPECT_EQ(ParseCounters("default")->size(), DefaultEvents().size());

  absl::StatusOr<std::vector<EventSpec>> list =
      ParseCounters("cycles, task-clock,major-faults");
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].name, "cycles");
  EXPECT_EQ((*list)[1].name, "task-clock");
  EXPECT_EQ((*list)[2].name, "major-faults");

  absl::StatusOr<std::vector<EventSpec>> more =
      ParseCounters("default,major-faults");
  ASSERT_TRUE(more.ok()) << more.status();
  EXPECT_EQ(more->size(), DefaultEvents().size() + 1);
}

TEST(EventsTest, ParseCountersRejectsBadLists) {
  for (const char* bad :
       {"", "cycles,,task-clock", "cycles,", "cycles,cpu-cycles", "none,cycles",
        "default,cycles", "cycles,bogus-event"}) {
    absl::StatusOr<std::vector<EventSpec>> r = ParseCounters(bad);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument)
        << "\"" << bad << "\"";
  }
  EXPECT_NE(ParseCounters("cycles,bogus-event")
                .status()
                .message()
                .find("bogus-event"),
            absl::string_view::npos);
}

}  // namespace
}  // namespace copyscope::perfmon
