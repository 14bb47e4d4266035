#include "harness/record/metrics.h"

#include <map>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "harness/record/perf_counter.h"
#include "harness/record/testing.h"

namespace copyscope::record {
namespace {

CellKey Key(const std::string& mode) {
  CellKey k;
  k.set_transport("t");
  k.set_size(1000);
  k.set_threads(2);
  k.set_mode(mode);
  return k;
}

void Rusage(ThreadReport* t, double user, double sys, int64_t cs,
            double window) {
  t->set_user_cpu_s(user);
  t->set_sys_cpu_s(sys);
  t->set_voluntary_cs(cs);
  t->set_involuntary_cs(0);
  t->set_window_s(window);
}

void Perf(ThreadReport* t, const char* event, uint64_t count) {
  *t->add_perf() =
      ToProto(perfmon::Reading::FromCounts(event, "cpu", count, 1000, 1000));
}

// Two connections: 0.5 s and 1 s windows, 1000 messages of 1000 bytes each.
Sample Stream() {
  Sample s;
  s.set_status("ok");
  for (double window : {0.5, 1.0}) {
    Connection* c = s.add_connections();
    c->set_window_s(window);
    c->set_messages(1000);
    c->set_bytes(1000000);
    Rusage(c->mutable_server(), 0.1, 0.2, 10, window);
    Rusage(c->mutable_client(), 0.05, 0.05, 5, window);
    Perf(c->mutable_server(), "cycles", 4000000);
    Perf(c->mutable_client(), "cycles", 1000000);
  }
  NamedCount* done = s.add_server_counters();
  done->set_name(kZeroCopyCompletions);
  done->set_value(100);
  NamedCount* copied = s.add_server_counters();
  copied->set_name(kZeroCopyCopied);
  copied->set_value(25);
  return s;
}

std::map<std::string, double> Metrics(const Sample& s) {
  std::map<std::string, double> out;
  for (const Metric& m : s.metrics()) out[m.name()] = m.value();
  return out;
}

TEST(DeriveMetricsTest, StreamFiguresFromTheRawMeasurements) {
  Sample s = Stream();
  DeriveMetrics(Key("stream"), &s);
  std::map<std::string, double> m = Metrics(s);
  // 1e6 B in 0.5 s + 1e6 B in 1 s: 16e6 + 8e6 bit/s.
  EXPECT_DOUBLE_EQ(m["throughput_gbps"], 0.024);
  EXPECT_DOUBLE_EQ(m["bytes"], 2e6);
  EXPECT_DOUBLE_EQ(m["messages_per_sec"], 3000);
  EXPECT_DOUBLE_EQ(m["mean_us_per_msg"], (500 + 1000) / 2.0);
  EXPECT_DOUBLE_EQ(m["zc_copied_fraction"], 0.25);
  // CPU: server 0.3 s per thread over 0.5 s and 1 s windows.
  EXPECT_DOUBLE_EQ(m["server_cpu_util"], 0.3 / 0.5 + 0.3 / 1.0);
  EXPECT_DOUBLE_EQ(m["server_bytes_per_cpu_s"], 2e6 / 0.6);
  EXPECT_DOUBLE_EQ(m["server_cs"], 20);
  EXPECT_DOUBLE_EQ(m["client_cs"], 10);
  EXPECT_DOUBLE_EQ(m["cs"], 30);
  EXPECT_DOUBLE_EQ(m["cs_per_s"], 30 / 0.75);
  EXPECT_DOUBLE_EQ(m["cycles"], 10e6);
  EXPECT_DOUBLE_EQ(m["cycles_per_byte"], 5.0);
  EXPECT_DOUBLE_EQ(m["server_perf_cycles"], 8e6);
  EXPECT_DOUBLE_EQ(m["server_cycles_per_byte"], 4.0);
  EXPECT_EQ(m.count("transactions_per_sec"), 0u);
  EXPECT_EQ(m.count("latency_p50_us"), 0u);
  EXPECT_EQ(m.count("llc_misses"), 0u);  // not counted: no entry, never 0
}

TEST(DeriveMetricsTest, RequestResponseFromTheLatencyHistogram) {
  Sample s;
  s.set_status("ok");
  Connection* c = s.add_connections();
  c->set_window_s(2.0);
  c->set_messages(100000);
  c->set_bytes(100000 * 128);
  Latency* l = s.mutable_latency();
  l->set_count(100000);
  l->set_p50_us(10);
  l->set_p90_us(12);
  l->set_p99_us(20);
  l->set_p999_us(40);
  l->set_max_us(90);
  l->set_mean_us(11);
  DeriveMetrics(Key("rr"), &s);
  std::map<std::string, double> m = Metrics(s);
  EXPECT_DOUBLE_EQ(m["transactions_per_sec"], 50000);
  EXPECT_DOUBLE_EQ(m["latency_p50_us"], 10);
  EXPECT_DOUBLE_EQ(m["latency_p999_us"], 40);
  EXPECT_DOUBLE_EQ(m["latency_max_us"], 90);
  EXPECT_EQ(m.count("messages_per_sec"), 0u);
}

// Latency under load: the background's throughput from its receivers'
// bytes and window; none where its window never closed.
TEST(DeriveMetricsTest, TheBackgroundsThroughputBesideTheLatency) {
  Sample s;
  s.set_status("ok");
  Connection* c = s.add_connections();
  c->set_window_s(1.0);
  c->set_messages(1000);
  c->set_bytes(1000 * 128);
  s.mutable_latency()->set_count(1000);
  s.mutable_latency()->set_p99_us(50);
  s.set_background_connections(2);
  s.set_background_bytes(500000000);  // 4 Gbit in 0.5 s
  s.set_background_window_s(0.5);
  DeriveMetrics(Key("rr"), &s);
  std::map<std::string, double> m = Metrics(s);
  EXPECT_DOUBLE_EQ(m["background_gbps"], 8);
  EXPECT_DOUBLE_EQ(m["latency_p99_us"], 50);
  EXPECT_EQ(m.count("system_cpu_s_per_gb"), 0u);  // the host's CPU is shared
  s.clear_background_window_s();
  DeriveMetrics(Key("rr"), &s);
  EXPECT_EQ(Metrics(s).count("background_gbps"), 0u);  // never a fake zero
}

void AddSetup(Sample* s, const char* side, uint64_t tw_end,
              std::map<std::string, uint64_t> counters) {
  ConnectionSetup* c = s->add_connection_setup();
  c->set_side(side);
  c->set_time_wait_start(10);
  c->set_time_wait_end(tw_end);
  for (const auto& [name, value] : counters) {
    NamedCount* n = c->add_tcp_ext();
    n->set_name(name);
    n->set_value(value);
  }
}

TEST(DeriveMetricsTest, ConnectionRateAndTheNamespacesSetupFigures) {
  Sample s;
  s.set_status("ok");
  for (double window : {0.5, 1.0}) {
    Connection* c = s.add_connections();
    c->set_window_s(window);
    c->set_messages(10000);
    c->set_bytes(10000 * 128);
  }
  s.mutable_latency()->set_count(20000);
  s.mutable_latency()->set_p50_us(60);
  s.mutable_latency()->set_p99_us(150);
  // On loopback both sides read one namespace: each figure is taken from
  // the side it belongs to.
  AddSetup(&s, "server", 999,
           {{"ListenOverflows", 3}, {"ListenDrops", 5}, {"TCPSynRetrans", 77}});
  AddSetup(
      &s, "client", 30000,
      {{"ListenOverflows", 88}, {"ListenDrops", 88}, {"TCPSynRetrans", 2}});
  s.mutable_connection_setup(1)->set_ephemeral_ports(28232);
  s.mutable_connection_setup(1)->set_connections_to_one_port(14116);
  DeriveMetrics(Key("crr"), &s);
  std::map<std::string, double> m = Metrics(s);
  EXPECT_DOUBLE_EQ(m["connections_per_sec"], 20000 + 10000);
  EXPECT_EQ(m.count("transactions_per_sec"), 0u);
  EXPECT_EQ(m.count("messages_per_sec"), 0u);
  EXPECT_DOUBLE_EQ(m["latency_p50_us"], 60);
  EXPECT_DOUBLE_EQ(m["latency_p99_us"], 150);
  EXPECT_DOUBLE_EQ(m["time_wait_sockets"], 30000);
  EXPECT_DOUBLE_EQ(m["listen_overflows"], 3);
  EXPECT_DOUBLE_EQ(m["listen_drops"], 5);
  EXPECT_DOUBLE_EQ(m["syn_retrans"], 2);
  EXPECT_DOUBLE_EQ(m["port_use_pct"], 50);
  // Where TIME_WAIT is reused after a second, only a second's connections
  // hold ports: the fastest thread made 20000 a second.
  s.mutable_connection_setup(1)->set_tcp_tw_reuse(2);
  s.mutable_connection_setup(1)->set_server_address("127.0.0.1");
  DeriveMetrics(Key("crr"), &s);
  EXPECT_NEAR(Metrics(s)["port_use_pct"], 100.0 * 14116 / 28232, 1e-9);
  s.mutable_connection_setup(1)->set_connections_to_one_port(40000);
  DeriveMetrics(Key("crr"), &s);
  EXPECT_NEAR(Metrics(s)["port_use_pct"], 100.0 * 20000 / 28232, 1e-9);
  s.mutable_connection_setup(1)->set_server_address("198.18.0.1");
  DeriveMetrics(Key("crr"), &s);
  EXPECT_NEAR(Metrics(s)["port_use_pct"], 100.0 * 40000 / 28232, 1e-9);
  // A side that could not read its namespace gives nothing, never 0.
  Sample unread = s;
  unread.clear_connection_setup();
  unread.add_connection_setup()->set_error("cannot read /proc/net/sockstat");
  DeriveMetrics(Key("crr"), &unread);
  m = Metrics(unread);
  EXPECT_EQ(m.count("time_wait_sockets"), 0u);
  EXPECT_EQ(m.count("listen_overflows"), 0u);
  EXPECT_DOUBLE_EQ(m["connections_per_sec"], 30000);
}

TEST(DeriveMetricsTest, AFailedOrEmptySampleGetsNone) {
  Sample s = Stream();
  s.set_status("failed: boom");
  DeriveMetrics(Key("stream"), &s);
  EXPECT_EQ(s.metrics_size(), 0);
  Sample quiet = Stream();
  for (Connection& c : *quiet.mutable_connections()) c.set_messages(0);
  DeriveMetrics(Key("stream"), &quiet);
  EXPECT_EQ(quiet.metrics_size(), 0);
  // Derivation replaces what was there.
  Sample again = Stream();
  DeriveMetrics(Key("stream"), &again);
  const int n = again.metrics_size();
  DeriveMetrics(Key("stream"), &again);
  EXPECT_EQ(again.metrics_size(), n);
}

TEST(DeriveMetricsTest, AStarvedConnectionAddsNothingAndIsCounted) {
  Sample s = Stream();
  // Connection 1 (the 1 s one) got no CPU in its interval.
  s.mutable_connections(1)->set_messages(0);
  s.mutable_connections(1)->set_bytes(0);
  s.mutable_connections(1)->set_window_s(5e-8);
  DeriveMetrics(Key("stream"), &s);
  std::map<std::string, double> m = Metrics(s);
  EXPECT_DOUBLE_EQ(m["starved_connections"], 1);
  EXPECT_DOUBLE_EQ(m["throughput_gbps"], 0.016);  // connection 0 alone
  EXPECT_DOUBLE_EQ(m["messages_per_sec"], 2000);
  EXPECT_DOUBLE_EQ(m["mean_us_per_msg"], 500);
  Sample fine = Stream();
  DeriveMetrics(Key("stream"), &fine);
  EXPECT_DOUBLE_EQ(Metrics(fine)["starved_connections"], 0);
}

TEST(RolePerfTest, SumsTheRolesThreadsAndDerivesFigures) {
  std::vector<RolePerf> roles = RolePerfOf(PerfSample(true));
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
  std::vector<RolePerf> roles = RolePerfOf(PerfSample(false));
  ASSERT_EQ(roles.size(), 2u);
  const perfmon::Reading* cycles =
      perfmon::FindReading(roles[0].totals, "cycles");
  ASSERT_NE(cycles, nullptr);
  EXPECT_FALSE(cycles->supported());
  EXPECT_FALSE(cycles->value().has_value());
  EXPECT_FALSE(roles[0].derived.ipc.value.has_value());
  EXPECT_FALSE(roles[0].derived.ipc.why_absent.empty());
}

TEST(RolePerfTest, CpuScopeOverSharedCpusIsOneRowForBothRoles) {
  Sample s = PerfSample(false);
  for (auto& c : *s.mutable_connections()) {
    c.mutable_server()->clear_perf();
    c.mutable_client()->clear_perf();
  }
  perfmon::Reading r = Counted("context-switches", 9);
  AddReading(s.mutable_connections(0)->mutable_server(), r);
  s.mutable_connections(0)->mutable_server()->mutable_perf(0)->set_pmu(
      std::string("cpus 0-1 ") + kBothRoles);
  std::vector<RolePerf> roles = RolePerfOf(s);
  ASSERT_EQ(roles.size(), 1u);
  EXPECT_EQ(roles[0].role, "both");
  EXPECT_EQ(roles[0].threads, 1);
}

TEST(DeriveMetricsTest, PerRolePerfFiguresAndTheirStatistics) {
  CellKey key = Key("stream");
  Cell cell;
  *cell.mutable_key() = key;
  for (int rep : {1, 2}) {
    Sample s = PerfSample(true, rep);
    DeriveMetrics(key, &s);
    *cell.add_samples() = s;
  }
  std::map<std::string, double> m;
  for (const Metric& metric : cell.samples(0).metrics()) {
    EXPECT_TRUE(m.emplace(metric.name(), metric.value()).second)
        << "duplicate " << metric.name();
  }
  EXPECT_DOUBLE_EQ(m["server_perf_task_clock_s"], 0.8);
  EXPECT_DOUBLE_EQ(m["client_perf_context_switches"], 4);
  EXPECT_DOUBLE_EQ(m["server_perf_cycles"], 2000000);
  EXPECT_DOUBLE_EQ(m["server_ipc"], 2.0);
  EXPECT_DOUBLE_EQ(m["client_context_switches_per_second"], 8.0);

  Sample without = PerfSample(false);
  DeriveMetrics(key, &without);
  for (const Metric& metric : without.metrics()) {
    EXPECT_FALSE(absl::StrContains(metric.name(), "cycles")) << metric.name();
    EXPECT_FALSE(absl::StrContains(metric.name(), "ipc")) << metric.name();
  }
}

TEST(CatalogueTest, EveryDerivedMetricIsDefinedOnce) {
  Sample s = Stream();
  DeriveMetrics(Key("stream"), &s);
  for (const Metric& m : s.metrics()) {
    EXPECT_NE(FindMetric(m.name()), nullptr) << m.name();
  }
  EXPECT_EQ(FindMetric("nonsense"), nullptr);
  EXPECT_EQ(std::string(FindMetric("client_cpu_util")->name),
            "{role}_cpu_util");
  EXPECT_EQ(std::string(FindMetric("both_perf_task_clock_s")->name),
            "{role}_perf_{event}");
  std::set<std::string> names, csv;
  for (const MetricDef& d : Catalogue()) {
    EXPECT_TRUE(names.insert(d.name).second) << d.name;
    if (d.csv != nullptr) {
      EXPECT_TRUE(csv.insert(d.csv).second) << d.csv;
    }
    EXPECT_STRNE(d.unit, "");
    EXPECT_STRNE(d.description, "");
    EXPECT_STRNE(d.formula, "");
  }
}

TEST(PerfMetricNameTest, EventsBecomeMetricNames) {
  EXPECT_EQ(PerfMetricName("server", "task-clock"), "server_perf_task_clock_s");
  EXPECT_EQ(PerfMetricName("client", "context-switches"),
            "client_perf_context_switches");
  EXPECT_EQ(PerfMetricName("both", "cpu_atom/cycles/"),
            "both_perf_cpu_atom_cycles_");
}

}  // namespace
}  // namespace copyscope::record
