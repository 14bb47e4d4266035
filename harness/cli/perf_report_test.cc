#include "harness/cli/perf_report.h"

#include <map>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "harness/record/testing.h"

namespace copyscope::cli {
namespace {

using record::AddReading;
using record::Counted;

record::Sample Sample(bool hardware, int rep = 1) {
  return record::PerfSample(hardware, rep);
}

record::Run MakeRun(const std::vector<std::vector<record::Sample>>& cells) {
  record::Run run;
  for (const auto& samples : cells) {
    record::Cell* c = run.add_cells();
    c->mutable_key()->set_transport("alpha");
    c->mutable_key()->set_size(4096);
    c->mutable_key()->set_threads(2);
    for (auto& s : samples) *c->add_samples() = s;
  }
  return run;
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
  AddReading(s.mutable_connections(0)->mutable_server(),
             perfmon::Reading::FromCounts("cycles", "cpu", 100, 1000, 200));
  std::string table = FormatPerfTable(MakeRun({{s}}));
  EXPECT_TRUE(absl::StrContains(table, "500*")) << table;
  EXPECT_TRUE(absl::StrContains(table, "coverage below 50%")) << table;
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
}  // namespace copyscope::cli

namespace copyscope::cli {
namespace {

TEST(FormatLimitsTest, NamesTheCellsHeldBack) {
  record::Run run;
  auto cell = [&](uint64_t size, double retrans_pct, double rwnd_pct) {
    record::Cell* c = run.add_cells();
    c->mutable_key()->set_transport("two_copy");
    c->mutable_key()->set_size(size);
    c->mutable_key()->set_threads(1);
    for (const auto& [name, v] :
         {std::pair<const char*, double>{"tcp_retrans_pct", retrans_pct},
          {"tcp_rwnd_limited_pct", rwnd_pct}}) {
      record::Aggregate* a = c->add_aggregates();
      a->set_metric(name);
      a->set_n(3);
      a->set_median(v);
    }
  };
  cell(4096, 3.1, 40);
  cell(65536, 0.01, 2);  // nothing stands out
  EXPECT_EQ(FormatLimits(run),
            "TCP limits (the senders' TCP_INFO over the measured interval, "
            "median of the ok samples):\n"
            "  two_copy 4K x1: 3.1% of segments retransmitted, rwnd-limited "
            "40% of the time\n");
  run.mutable_cells(0)->clear_aggregates();
  EXPECT_EQ(FormatLimits(run), "");
}

TEST(FormatConnectionSetupTest, NamesTheCrrCellsWhoseConnectionsWaited) {
  record::Run run;
  auto cell = [&](const char* mode, uint64_t overflows) {
    record::Cell* c = run.add_cells();
    c->mutable_key()->set_transport("two_copy");
    c->mutable_key()->set_size(64);
    c->mutable_key()->set_threads(2);
    c->mutable_key()->set_mode(mode);
    record::Sample* s = c->add_samples();
    s->set_status("ok");
    record::ConnectionSetup* setup = s->add_connection_setup();
    setup->set_side("server");
    record::NamedCount* n = setup->add_tcp_ext();
    n->set_name("ListenOverflows");
    n->set_value(overflows);
  };
  cell("crr", 12);
  cell("crr", 0);
  cell("rr", 5);  // not a crr cell: nothing to say
  EXPECT_EQ(FormatConnectionSetup(run),
            "connection setup (crr; the namespaces' TcpExt counters over the "
            "measured interval, summed over the ok samples):\n"
            "  two_copy 64 x2: listen queue overflowed 12 times in 1 of 1 "
            "samples (ListenOverflows)\n");
  EXPECT_TRUE(absl::StrContains(FormatRunReport(run), "connection setup"));
  run.mutable_cells(0)->clear_samples();
  EXPECT_EQ(FormatConnectionSetup(run), "");
}

}  // namespace
}  // namespace copyscope::cli
