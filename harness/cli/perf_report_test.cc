#include "harness/cli/perf_report.h"

#include <map>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "harness/engine/counter_hooks.h"

namespace copyscope::harness {
namespace {

void Add(record::ThreadReport* t, const perfmon::Reading& r) {
  PerfCounterRecord rec = ToRecord(r);
  record::PerfCounter* p = t->add_perf();
  p->set_event(rec.event);
  p->set_pmu(rec.pmu);
  p->set_state(rec.state);
  if (rec.raw) p->set_raw(*rec.raw);
  if (rec.value) p->set_value(*rec.value);
  p->set_enabled_ns(rec.enabled_ns);
  p->set_running_ns(rec.running_ns);
  p->set_reason(rec.reason);
}

perfmon::Reading Counted(const std::string& event, uint64_t raw) {
  return perfmon::Reading::FromCounts(event, "cpu", raw, 1000, 1000);
}

// Two connections; every thread counted 400 ms of task-clock, 2 context
// switches and, with hardware, 1M cycles and 2M instructions over 0.5 s;
// 1 MiB and 256 messages received per connection.
record::Sample Sample(bool hardware, int rep = 1) {
  record::Sample s;
  s.set_rep(rep);
  s.set_status("ok");
  for (int i = 0; i < 2; ++i) {
    record::Connection* c = s.add_connections();
    c->set_index(i);
    c->set_bytes(1 << 20);
    c->set_messages(256);
    c->set_window_s(0.5);
    for (record::ThreadReport* t : {c->mutable_server(), c->mutable_client()}) {
      t->set_side(t == c->mutable_server() ? "server" : "client");
      t->set_connection(i);
      t->set_pinned_cpu(-1);
      t->set_window_s(0.5);
      Add(t, Counted("task-clock", 400000000));
      Add(t, Counted("context-switches", 2));
      if (hardware) {
        Add(t, Counted("cycles", 1000000));
        Add(t, Counted("instructions", 2000000));
      } else {
        Add(t, perfmon::Reading::Unsupported("cycles", "cpu", "no PMU"));
        Add(t, perfmon::Reading::Unsupported("instructions", "cpu", "no PMU"));
      }
    }
  }
  return s;
}

record::Run MakeRun(std::vector<std::vector<record::Sample>> cells) {
  record::Run run;
  for (auto& samples : cells) {
    record::Cell* c = run.add_cells();
    c->mutable_key()->set_transport("alpha");
    c->mutable_key()->set_size(4096);
    c->mutable_key()->set_threads(2);
    for (auto& s : samples) *c->add_samples() = s;
  }
  return run;
}

TEST(RolePerfTest, SumsTheRolesThreadsAndDerivesFigures) {
  std::vector<RolePerf> roles = RolePerfOf(Sample(true));
  ASSERT_EQ(roles.size(), 2u);
  EXPECT_EQ(roles[0].role, "server");
  EXPECT_EQ(roles[1].role, "client");
  const RolePerf& s = roles[0];
  EXPECT_EQ(s.threads, 2);
  EXPECT_EQ(perfmon::FindReading(s.totals, "cycles")->value(), 2000000.0);
  EXPECT_EQ(perfmon::FindReading(s.totals, "context-switches")->value(), 4.0);
  EXPECT_EQ(s.work.bytes, uint64_t{2} << 20);
  EXPECT_EQ(s.work.messages, 512u);
  EXPECT_DOUBLE_EQ(*s.work.seconds, 0.5);
  EXPECT_DOUBLE_EQ(*s.derived.ipc.value, 2.0);
  EXPECT_DOUBLE_EQ(*s.derived.cycles_per_byte.value, 2000000.0 / (2 << 20));
  EXPECT_DOUBLE_EQ(*s.derived.instructions_per_message.value, 4000000.0 / 512);
  EXPECT_DOUBLE_EQ(*s.derived.context_switches_per_second.value, 8.0);
  EXPECT_FALSE(s.derived.llc_misses_per_kib.value.has_value());
}

TEST(RolePerfTest, UnsupportedStaysAbsentNeverZero) {
  std::vector<RolePerf> roles = RolePerfOf(Sample(false));
  ASSERT_EQ(roles.size(), 2u);
  const perfmon::Reading* cycles =
      perfmon::FindReading(roles[0].totals, "cycles");
  ASSERT_NE(cycles, nullptr);
  EXPECT_FALSE(cycles->supported());
  EXPECT_FALSE(cycles->value().has_value());
  EXPECT_FALSE(roles[0].derived.ipc.value.has_value());
  EXPECT_FALSE(roles[0].derived.ipc.why_absent.empty());
}

TEST(PerfTableTest, ColumnsOnlyForValuesThatExist) {
  std::string without = FormatPerfTable(MakeRun({{Sample(false)}}));
  EXPECT_TRUE(absl::StrContains(without, "task-clock ms")) << without;
  EXPECT_TRUE(absl::StrContains(without, "800.0")) << without;
  EXPECT_TRUE(absl::StrContains(without, "cs/s")) << without;
  EXPECT_FALSE(absl::StrContains(without, "IPC")) << without;
  EXPECT_TRUE(absl::StrContains(
      without, "not counted in any cell: cycles, instructions"))
      << without;

  std::string with =
      FormatPerfTable(MakeRun({{Sample(true)}, {Sample(false)}}));
  EXPECT_TRUE(absl::StrContains(with, "IPC")) << with;
  EXPECT_TRUE(absl::StrContains(with, "cycles/B")) << with;
  EXPECT_TRUE(absl::StrContains(with, "2.00M")) << with;
  EXPECT_FALSE(absl::StrContains(with, "not counted")) << with;
  // The second cell's missing hardware values are dashes, not zeros.
  EXPECT_TRUE(absl::StrContains(with, " -  ")) << with;
}

TEST(PerfTableTest, MedianOfTheOkSamples) {
  record::Sample a = Sample(true, 1), b = Sample(true, 2), c = Sample(true, 3);
  record::Sample failed = Sample(true, 4);
  failed.set_status("failed: boom");
  // Scale the second sample's context switches: 4, 40, 4 (+ the failed
  // one's 4000) -> median 4 per role.
  for (auto* conn : {b.mutable_connections(0), b.mutable_connections(1)}) {
    conn->mutable_server()->mutable_perf(1)->set_value(20);
  }
  for (auto* conn :
       {failed.mutable_connections(0), failed.mutable_connections(1)}) {
    conn->mutable_server()->mutable_perf(1)->set_value(2000);
  }
  std::string table = FormatPerfTable(MakeRun({{a, b, c, failed}}));
  EXPECT_TRUE(absl::StrContains(table, "server ")) << table;
  EXPECT_FALSE(absl::StrContains(table, "4000")) << table;
  EXPECT_FALSE(absl::StrContains(table, " 40 ")) << table;
}

TEST(PerfTableTest, EmptyWithoutRecordsAndLowCoverageIsMarked) {
  record::Sample s = Sample(false);
  for (auto& c : *s.mutable_connections()) {
    c.mutable_server()->clear_perf();
    c.mutable_client()->clear_perf();
  }
  EXPECT_EQ(FormatPerfTable(MakeRun({{s}})), "");
  Add(s.mutable_connections(0)->mutable_server(),
      perfmon::Reading::FromCounts("cycles", "cpu", 100, 1000, 200));
  std::string table = FormatPerfTable(MakeRun({{s}}));
  EXPECT_TRUE(absl::StrContains(table, "500*")) << table;
  EXPECT_TRUE(absl::StrContains(table, "coverage below 50%")) << table;
}

TEST(PerfTableTest, CpuScopeOverSharedCpusIsOneRowForBothRoles) {
  record::Sample s = Sample(false);
  for (auto& c : *s.mutable_connections()) {
    c.mutable_server()->clear_perf();
    c.mutable_client()->clear_perf();
  }
  perfmon::Reading r = Counted("context-switches", 9);
  Add(s.mutable_connections(0)->mutable_server(), r);
  s.mutable_connections(0)->mutable_server()->mutable_perf(0)->set_pmu(
      std::string("cpus 0-1 ") + kBothRoles);
  std::vector<RolePerf> roles = RolePerfOf(s);
  ASSERT_EQ(roles.size(), 1u);
  EXPECT_EQ(roles[0].role, "both");
  EXPECT_EQ(roles[0].threads, 1);
}

record::Run Placed(bool migrated) {
  record::Sample s;
  s.set_rep(2);
  s.set_status("ok");
  record::Connection* c = s.add_connections();
  record::ThreadReport* t = c->mutable_server();
  t->set_side("server");
  t->set_pinned_cpu(0);
  t->set_start_cpu(0);
  t->set_end_cpu(migrated ? 1 : 0);
  t->add_cpus_seen(0);
  if (migrated) t->add_cpus_seen(1);
  t->set_migrations(migrated ? 1 : 0);
  t->set_migrated_while_pinned(migrated);
  record::ThreadReport* u = c->mutable_client();
  u->set_side("client");
  u->set_pinned_cpu(-1);
  u->set_start_cpu(2);
  u->set_end_cpu(3);  // unpinned: moving is allowed
  u->add_cpus_seen(2);
  u->add_cpus_seen(3);
  return MakeRun({{s}});
}

TEST(PerfMetricsTest, TheRecordGetsPerRoleMetricsAndTheirStatistics) {
  record::Run run = MakeRun({{Sample(true, 1), Sample(true, 2)}});
  AddPerfMetrics(0.05, &run);
  AddPerfMetrics(0.05, &run);  // idempotent
  std::map<std::string, double> m;
  for (const record::Metric& metric : run.cells(0).samples(0).metrics()) {
    EXPECT_TRUE(m.emplace(metric.name(), metric.value()).second)
        << "duplicate " << metric.name();
  }
  EXPECT_DOUBLE_EQ(m["server_perf_task_clock_s"], 0.8);
  EXPECT_DOUBLE_EQ(m["client_perf_context_switches"], 4);
  EXPECT_DOUBLE_EQ(m["server_perf_cycles"], 2000000);
  EXPECT_DOUBLE_EQ(m["server_ipc"], 2.0);
  EXPECT_DOUBLE_EQ(m["client_context_switches_per_second"], 8.0);
  bool aggregated = false;
  for (const record::Aggregate& a : run.cells(0).aggregates()) {
    if (a.metric() == "server_ipc") aggregated = a.n() == 2;
  }
  EXPECT_TRUE(aggregated);

  record::Run without = MakeRun({{Sample(false)}});
  AddPerfMetrics(0.05, &without);
  for (const record::Metric& metric : without.cells(0).samples(0).metrics()) {
    EXPECT_FALSE(absl::StrContains(metric.name(), "cycles")) << metric.name();
    EXPECT_FALSE(absl::StrContains(metric.name(), "ipc")) << metric.name();
  }
}

TEST(PlacementTest, OnlyPinnedThreadsThatMovedAreAnomalies) {
  EXPECT_TRUE(PlacementAnomalies(Placed(false)).empty());
  std::vector<std::string> a = PlacementAnomalies(Placed(true));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0],
            "anomaly: alpha 4K x2 rep 2: server 0 pinned to CPU 0 ran on CPUs "
            "0,1 (start 0, end 1), 1 migration");
  EXPECT_TRUE(AnyPinned(Placed(false)));
}

TEST(PlacementTest, TableShowsPinnedAndSeenCpus) {
  std::string table = FormatPlacementTable(Placed(true));
  EXPECT_TRUE(absl::StrContains(table, "where the threads ran")) << table;
  EXPECT_TRUE(absl::StrContains(table, "server 0")) << table;
  EXPECT_TRUE(absl::StrContains(table, "client 0")) << table;
  EXPECT_TRUE(absl::StrContains(table, "anomaly: ")) << table;
  record::Run none = MakeRun({{Sample(false)}});
  EXPECT_EQ(FormatPlacementTable(none), "");
  EXPECT_FALSE(AnyPinned(none));
}

}  // namespace
}  // namespace copyscope::harness
