// Runs real, short cells over loopback against every in-tree plugin found
// in the test's runfiles (the harness never names a transport).
#include "harness/engine/runner.h"

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <map>
#include <set>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "harness/engine/histogram.h"
#include "harness/engine/in_tree_plugins_testing.h"
#include "harness/engine/network.h"
#include "harness/engine/thread_hooks.h"
#include "harness/record/metrics.h"
#include "harness/record/record.h"
#include "plugins/loader.h"

namespace copyscope::engine {
namespace {

using config::CellSpec;
using config::Direction;
using config::Mode;
using Counts = google::protobuf::RepeatedPtrField<record::NamedCount>;

std::map<std::string, uint64_t> Map(const Counts& counts) {
  std::map<std::string, uint64_t> out;
  for (const record::NamedCount& c : counts) out[c.name()] += c.value();
  return out;
}

std::set<std::string> Names(const Counts& counts) {
  std::set<std::string> names;
  for (const record::NamedCount& c : counts) names.insert(c.name());
  return names;
}

class RunnerTest : public InTreePluginsTest {
 protected:
  static CellSpec Spec(const plugins::Plugin& p, uint64_t size, int threads) {
    return SpecFor(p, size, threads, /*fields=*/8);
  }
  CellResult Run(const CellSpec& spec, const plugins::Plugin& p,
                 const RunnerConfig& config, Network& net,
                 ThreadHooks* hooks = nullptr,
                 const plugins::Plugin* receiver = nullptr) {
    return RunAndDerive(spec, PluginsOf(p, receiver), config, net, hooks);
  }

  LoopbackNetwork net_;
};

TEST_F(RunnerTest, EveryPluginMovesBytesAndReportsCounters) {
  for (const plugins::Plugin* p : Usable()) {
    SCOPED_TRACE(p->name);
    CellResult r = Run(Spec(*p, 4096, 1), *p, ShortConfig(), net_);
    ASSERT_TRUE(r.status.ok()) << r.status;
    EXPECT_EQ(r.sample.status(), "ok");
    EXPECT_EQ(FieldsUsed(Spec(*p, 4096, 1)), 8u);
    ASSERT_EQ(r.sample.connections_size(), 1);
    const record::Connection& c = r.sample.connections(0);
    EXPECT_GT(c.messages(), 0u);
    EXPECT_EQ(c.bytes(), c.messages() * 4096);
    EXPECT_GT(c.window_s(), 0);
    // Everything sent was received: the drain leaves nothing behind.
    EXPECT_EQ(c.rx_messages_total(), c.tx_messages_total());
    EXPECT_GE(c.rx_messages_total(), c.messages());
    ASSERT_TRUE(MetricOf(r, "throughput_gbps").has_value());
    EXPECT_GT(*MetricOf(r, "throughput_gbps"), 0.0);
    EXPECT_GT(*MetricOf(r, "messages_per_sec"), 0.0);
    EXPECT_GT(*MetricOf(r, "mean_us_per_msg"), 0.0);
    // The plugin's counters are collected from both endpoints.
    EXPECT_FALSE(r.sample.server_counters().empty());
    EXPECT_EQ(Map(r.sample.server_counters()), Map(c.server_counters()));
    EXPECT_EQ(Map(r.sample.client_counters()), Map(c.client_counters()));
    // A transport reporting zero-copy counters gets a copied fraction.
    std::map<std::string, uint64_t> server = Map(r.sample.server_counters());
    bool zc = server.count(record::kZeroCopyCompletions) &&
              server.count(record::kZeroCopyCopied) &&
              server.at(record::kZeroCopyCompletions) > 0;
    EXPECT_EQ(MetricOf(r, "zc_copied_fraction").has_value(), zc);
    if (zc) {
      EXPECT_GE(*MetricOf(r, "zc_copied_fraction"), 0.0);
      EXPECT_LE(*MetricOf(r, "zc_copied_fraction"), 1.0);
    }
  }
}

// Over a Unix stream socket and over IPv6 on loopback, every plugin either
// delivers every byte (--verify) or fails its cell with its own reason;
// nothing hangs and nothing passes unverified. The table printed is what
// the README's family table says.
TEST_F(RunnerTest, EveryPluginOverUnixAndInet6DeliversOrSaysWhy) {
  for (config::Family family :
       {config::Family::kUnix, config::Family::kInet6}) {
    int ok = 0;
    for (const plugins::Plugin* p : Usable()) {
      SCOPED_TRACE(absl::StrCat(p->name, " over ", config::FamilyName(family)));
      RunnerConfig config = ShortConfig();
      config.verify = (p->transport->capabilities & CS_CAP_RECV_DISCARDS) == 0;
      config.messages = 300;
      config.warmup_messages = 30;
      CellSpec spec = SpecFor(*p, 65536, 1, /*fields=*/1);
      spec.family = family;
      CellResult r = Run(spec, *p, config, net_);
      std::printf(
          "family %-5s %-22s %s\n", config::FamilyName(family), p->name.c_str(),
          r.status.ok() ? "ok" : std::string(r.status.message()).c_str());
      if (r.status.ok()) {
        ++ok;
        EXPECT_EQ(r.sample.status(), "ok");
        EXPECT_EQ(r.sample.connections(0).rx_messages_total(), 330u);
      } else {
        EXPECT_FALSE(r.status.message().empty());
        EXPECT_TRUE(absl::StartsWith(r.sample.status(), "failed: "))
            << r.sample.status();
      }
    }
    EXPECT_GT(ok, 0) << "no plugin ran over " << config::FamilyName(family);
  }
}

// --verify: every in-tree plugin delivers every byte as sent, in stream
// and request-response mode, in its buffer or in place.
TEST_F(RunnerTest, EveryPluginPassesWithVerifyOn) {
  for (const plugins::Plugin* p : Usable()) {
    SCOPED_TRACE(p->name);
    RunnerConfig config = ShortConfig();
    config.verify = true;
    config.messages = 300;
    config.warmup_messages = 30;
    CellSpec stream = SpecFor(*p, 16384 + 3, 2, /*fields=*/5);
    CellResult r = Run(stream, *p, config, net_);
    if (p->transport->capabilities & CS_CAP_RECV_DISCARDS) {
      // Nothing it receives can be checked: the cell says so, not corrupt.
      EXPECT_TRUE(
          absl::StrContains(r.status.message(), "--verify cannot check what"))
          << r.status;
      continue;
    }
    ASSERT_TRUE(r.status.ok()) << r.status;
    EXPECT_EQ(r.sample.status(), "ok");
    EXPECT_EQ(r.sample.connections(0).rx_messages_total(), 330u);
    CellSpec rr = SpecFor(*p, 64, 2, /*fields=*/3);
    rr.mode = Mode::kRequestResponse;
    rr.request_size = 100;
    rr.response_size = 5000;
    r = Run(rr, *p, config, net_);
    ASSERT_TRUE(r.status.ok()) << r.status;
    EXPECT_EQ(r.sample.connections(0).messages(), 300u);
  }
}

// --verify across pairs: every plugin that can receive checks what every
// other plugin sends (whole pages, so a receiver that maps pages can).
TEST_F(RunnerTest, EveryReceivePluginVerifiesEverySender) {
  std::vector<const plugins::Plugin*> usable = Usable();
  RunnerConfig config = ShortConfig();
  config.verify = true;
  config.messages = 200;
  config.warmup_messages = 20;
  int pairs = 0;
  for (const plugins::Plugin* rx : usable) {
    if ((rx->transport->capabilities & CS_CAP_RECV) == 0) continue;
    // A receiver that discards has no bytes to verify (see above).
    if (rx->transport->capabilities & CS_CAP_RECV_DISCARDS) continue;
    for (const plugins::Plugin* tx : usable) {
      if (tx == rx) continue;
      SCOPED_TRACE(absl::StrCat(tx->name, " -> ", rx->name));
      CellSpec spec = SpecFor(*tx, 65536, 1, /*fields=*/1);
      spec.recv_transport = rx->name;
      CellResult r = Run(spec, *tx, config, net_, nullptr, rx);
      ASSERT_TRUE(r.status.ok()) << r.status;
      EXPECT_EQ(r.sample.connections(0).rx_messages_total(), 220u);
      ++pairs;
    }
  }
  EXPECT_GT(pairs, 0);
}

TEST_F(RunnerTest, SeveralConnectionsAndTinyMessages) {
  const plugins::Plugin* p = Usable().front();
  CellResult r = Run(Spec(*p, 3, 2), *p, ShortConfig(), net_);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(FieldsUsed(Spec(*p, 3, 2)), 3u);  // capped at the size
  ASSERT_EQ(r.sample.connections_size(), 2);
  for (const record::Connection& c : r.sample.connections()) {
    EXPECT_GT(c.messages(), 0u);
    EXPECT_EQ(c.bytes(), c.messages() * 3);
    EXPECT_EQ(c.rx_messages_total(), c.tx_messages_total());
  }
}

// Records every hook call, per thread.
class RecordingHooks : public ThreadHooks {
 public:
  absl::Status OnThreadStart(const ThreadContext& t) override {
    Add(t, "start");
    return absl::OkStatus();
  }
  void OnMeasureStart(const ThreadContext& t) override { Add(t, "mstart"); }
  void OnMeasureStop(const ThreadContext& t) override { Add(t, "mstop"); }
  void OnThreadEnd(const ThreadContext& t) override { Add(t, "end"); }

  std::map<std::string, std::vector<std::string>> calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }

 private:
  void Add(const ThreadContext& t, const char* what) {
    absl::MutexLock lock(&mu_);
    calls_[absl::StrCat(SideName(t.side), t.connection, "/", t.connections)]
        .push_back(what);
  }
  absl::Mutex mu_;
  std::map<std::string, std::vector<std::string>> calls_;
};

TEST_F(RunnerTest, HooksRunOnEveryThreadInOrder) {
  const plugins::Plugin* p = Usable().front();
  RecordingHooks hooks;
  CellResult r = Run(Spec(*p, 1024, 2), *p, ShortConfig(), net_, &hooks);
  ASSERT_TRUE(r.status.ok()) << r.status;
  auto calls = hooks.calls();
  ASSERT_EQ(calls.size(), 4u);
  for (const char* thread :
       {"server0/2", "server1/2", "client0/2", "client1/2"}) {
    EXPECT_EQ(calls[thread],
              (std::vector<std::string>{"start", "mstart", "mstop", "end"}))
        << thread;
  }
}

// Latency under load: two_copy round trips with a two_copy stream beside
// them on the same loopback path. The background's bytes land in the
// sample, its threads run none of the cell's hooks, and the round trips
// are measured as ever.
TEST_F(RunnerTest, LatencyUnderLoadRecordsTheBackgroundBesideTheRoundTrips) {
  const plugins::Plugin* p = nullptr;
  for (const plugins::Plugin* u : Usable()) {
    if (u->name == "two_copy") p = u;
  }
  if (p == nullptr) GTEST_SKIP() << "two_copy is not usable here";
  CellSpec spec = Spec(*p, 64, 1);
  spec.mode = Mode::kRequestResponse;
  spec.background = {"two_copy", 2, 65536};
  CellPlugins plugins = PluginsOf(*p);
  plugins.background = p->transport;
  RecordingHooks hooks;
  CellResult r = RunAndDerive(
      spec, plugins, ShortConfig(absl::Milliseconds(300)), net_, &hooks);
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_EQ(r.sample.connections_size(), 1);  // the cell's own
  EXPECT_GT(r.sample.connections(0).messages(), 0u);
  EXPECT_GT(r.sample.latency().count(), 0u);
  EXPECT_EQ(r.sample.background_connections(), 2);
  EXPECT_GT(r.sample.background_bytes(), 0u);
  EXPECT_EQ(r.sample.background_bytes(),
            r.sample.background_messages() * 65536);
  EXPECT_GT(r.sample.background_window_s(), 0.2);
  EXPECT_LT(r.sample.background_window_s(), 0.5);
  ASSERT_TRUE(MetricOf(r, "background_gbps").has_value());
  EXPECT_GT(*MetricOf(r, "background_gbps"), 0);
  EXPECT_TRUE(MetricOf(r, "latency_p99_us").has_value());
  auto calls = hooks.calls();
  EXPECT_EQ(calls.size(), 2u);  // server0/1 and client0/1 only
  EXPECT_EQ(calls.count("server0/1") + calls.count("client0/1"), 2u);
}

class FailingNetwork : public Network {
 public:
  explicit FailingNetwork(Side failing) : failing_(failing) {}
  std::string Describe() const override { return "failing"; }
  absl::Status SetupThread(Side side, int) override {
    if (side == failing_) return absl::PermissionDeniedError("no namespace");
    return absl::OkStatus();
  }
  std::string ServerAddress(int) const override { return "127.0.0.1"; }

 private:
  Side failing_;
};

TEST_F(RunnerTest, SetupFailureOnEitherSideFailsTheCellCleanly) {
  const plugins::Plugin* p = Usable().front();
  for (Side side : {Side::kServer, Side::kClient}) {
    FailingNetwork net(side);
    CellResult r = Run(Spec(*p, 4096, 2), *p, ShortConfig(), net);
    EXPECT_EQ(r.status.code(), absl::StatusCode::kPermissionDenied);
    EXPECT_TRUE(absl::StrContains(r.status.message(), "no namespace"))
        << r.status;
    EXPECT_TRUE(absl::StartsWith(r.sample.status(), "failed: "));
    EXPECT_FALSE(MetricOf(r, "throughput_gbps").has_value());
  }
}

class FailingStartHooks : public ThreadHooks {
 public:
  absl::Status OnThreadStart(const ThreadContext& t) override {
    if (t.side == Side::kClient && t.connection == 1) {
      return absl::ResourceExhaustedError("cpu 7 is offline");
    }
    return absl::OkStatus();
  }
};

TEST_F(RunnerTest, HookFailureFailsTheCell) {
  const plugins::Plugin* p = Usable().front();
  FailingStartHooks hooks;
  CellResult r = Run(Spec(*p, 4096, 2), *p, ShortConfig(), net_, &hooks);
  EXPECT_EQ(r.status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(absl::StrContains(r.status.message(), "client 1"));
}

TEST_F(RunnerTest, PluginErrorNamesTransportAndRole) {
  for (const plugins::Plugin* p : Usable()) {
    SCOPED_TRACE(p->name);
    CellSpec spec = Spec(*p, 4096, 1);
    spec.options = {{"no_such_option_key", "1"}};
    CellResult r = Run(spec, *p, ShortConfig(), net_);
    ASSERT_FALSE(r.status.ok());
    std::string msg(r.status.message());
    EXPECT_TRUE(absl::StrContains(msg, p->name)) << msg;
    EXPECT_TRUE(absl::StrContains(msg, "open failed")) << msg;
    EXPECT_TRUE(absl::StrContains(msg, "sender") ||
                absl::StrContains(msg, "receiver"))
        << msg;
  }
}

TEST_F(RunnerTest, RusageCoversTheMeasuredIntervalOfEveryThread) {
  const plugins::Plugin* p = Usable().front();
  CellResult r = Run(Spec(*p, 4096, 2), *p, ShortConfig(), net_);
  ASSERT_TRUE(r.status.ok()) << r.status;
  for (const record::Connection& c : r.sample.connections()) {
    for (const record::ThreadReport* t : {&c.server(), &c.client()}) {
      ASSERT_TRUE(t->has_user_cpu_s() && t->has_sys_cpu_s() &&
                  t->has_voluntary_cs() && t->has_involuntary_cs() &&
                  t->has_window_s());
      EXPECT_GE(t->user_cpu_s(), 0);
      EXPECT_GE(t->sys_cpu_s(), 0);
      EXPECT_GT(t->window_s(), 0);
      // A thread cannot use more CPU than its wall time (plus a tick).
      EXPECT_LE(t->user_cpu_s() + t->sys_cpu_s(), t->window_s() + 0.02);
      EXPECT_EQ(t->pinned_cpu(), -1);  // nothing pinned it
    }
    EXPECT_EQ(c.server().side(), "server");
    EXPECT_EQ(c.client().side(), "client");
  }
  EXPECT_TRUE(MetricOf(r, "server_cpu_util").has_value());
  EXPECT_TRUE(MetricOf(r, "client_bytes_per_cpu_s").has_value() ||
              MetricOf(r, "client_cpu_util").has_value());
  EXPECT_TRUE(MetricOf(r, "cs").has_value());
}

TEST_F(RunnerTest, CountModeMeasuresExactlyTheMessagesAfterWarmup) {
  for (const plugins::Plugin* p : Usable()) {
    SCOPED_TRACE(p->name);
    RunnerConfig config = ShortConfig();
    config.messages = 3000;
    config.warmup_messages = 300;
    CellResult r = Run(Spec(*p, 512, 2), *p, config, net_);
    ASSERT_TRUE(r.status.ok()) << r.status;
    for (const record::Connection& c : r.sample.connections()) {
      EXPECT_EQ(c.messages(), 3000u);
      EXPECT_EQ(c.bytes(), 3000u * 512);
      EXPECT_EQ(c.tx_messages_total(), 3300u);
      EXPECT_EQ(c.rx_messages_total(), 3300u);
    }
  }
}

TEST_F(RunnerTest, ClientToServerStreamSendsFromTheClient) {
  const plugins::Plugin* p = Usable().front();
  CellSpec spec = Spec(*p, 4096, 1);
  spec.direction = Direction::kClientToServer;
  RecordingHooks hooks;
  CellResult r = Run(spec, *p, ShortConfig(), net_, &hooks);
  ASSERT_TRUE(r.status.ok()) << r.status;
  const record::Connection& c = r.sample.connections(0);
  EXPECT_GT(c.messages(), 0u);
  EXPECT_EQ(c.rx_messages_total(), c.tx_messages_total());
  // The client's endpoint sent: its counters say so.
  EXPECT_TRUE(Names(c.client_counters()).count("send_calls") ||
              !Names(c.server_counters()).count("send_calls"))
      << "client counters: " << c.client_counters_size();
}

TEST_F(RunnerTest, RequestResponseRecordsEveryRoundTrip) {
  for (const plugins::Plugin* p : Usable()) {
    SCOPED_TRACE(p->name);
    CellSpec spec = Spec(*p, 64, 2);
    spec.mode = Mode::kRequestResponse;
    spec.request_size = 32;
    spec.response_size = 300;
    CellResult r = Run(spec, *p, ShortConfig(), net_);
    ASSERT_TRUE(r.status.ok()) << r.status;
    EXPECT_EQ(record::KeyOf(spec).request_size(), 32u);
    EXPECT_EQ(record::KeyOf(spec).response_size(), 300u);
    ASSERT_TRUE(r.sample.has_latency());
    uint64_t transactions = 0;
    uint64_t buckets = 0;
    for (const record::Connection& c : r.sample.connections()) {
      EXPECT_EQ(c.bytes(), c.messages() * (32 + 300));
      EXPECT_EQ(c.tx_messages_total(), c.rx_messages_total());
      transactions += c.messages();
    }
    for (const record::HistogramBucket& b : r.sample.latency().buckets()) {
      buckets += b.count();
    }
    // Every measured round trip is in the histogram, and only those.
    EXPECT_EQ(r.sample.latency().count(), transactions);
    EXPECT_EQ(buckets, transactions);
    ASSERT_TRUE(MetricOf(r, "transactions_per_sec").has_value());
    EXPECT_GT(*MetricOf(r, "transactions_per_sec"), 0);
    EXPECT_FALSE(MetricOf(r, "messages_per_sec").has_value());
    EXPECT_LE(*MetricOf(r, "latency_p50_us"), *MetricOf(r, "latency_p99_us"));
    EXPECT_LE(
        *MetricOf(r, "latency_p99_us"),
        *MetricOf(r, "latency_max_us") * (1 + Histogram::kMaxRelativeError));
  }
}

TEST_F(RunnerTest, RequestResponseCountMode) {
  const plugins::Plugin* p = Usable().front();
  CellSpec spec = Spec(*p, 128, 1);
  spec.mode = Mode::kRequestResponse;
  RunnerConfig config = ShortConfig();
  config.messages = 500;
  config.warmup_messages = 50;
  CellResult r = Run(spec, *p, config, net_);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.sample.connections(0).messages(), 500u);
  EXPECT_EQ(r.sample.latency().count(), 500u);
  EXPECT_EQ(r.sample.connections(0).tx_messages_total(), 550u);
}

// crr: every plugin takes a connection per transaction, endpoint opened
// and closed each time, in duration mode and counted, verified.
TEST_F(RunnerTest, ConnectionRateEveryPluginDurationMode) {
  for (const plugins::Plugin* p : Usable()) {
    SCOPED_TRACE(p->name);
    CellSpec spec = Spec(*p, 64, 2);
    spec.mode = Mode::kConnectRequestResponse;
    spec.response_size = 1024;
    CellResult r = Run(spec, *p, ShortConfig(absl::Milliseconds(100)), net_);
    ASSERT_TRUE(r.status.ok()) << r.status;
    EXPECT_EQ(record::KeyOf(spec).mode(), "crr");
    EXPECT_EQ(record::KeyOf(spec).response_size(), 1024u);
    uint64_t transactions = 0;
    for (const record::Connection& c : r.sample.connections()) {
      EXPECT_GT(c.messages(), 0u);
      EXPECT_EQ(c.bytes(), c.messages() * (64 + 1024));
      EXPECT_EQ(c.tx_messages_total(), c.rx_messages_total());
      EXPECT_FALSE(c.client_tcp().not_read().empty());
      transactions += c.messages();
    }
    EXPECT_EQ(r.sample.latency().count(), transactions);
    ASSERT_TRUE(MetricOf(r, "connections_per_sec").has_value());
    EXPECT_GT(*MetricOf(r, "connections_per_sec"), 0);
    EXPECT_FALSE(MetricOf(r, "transactions_per_sec").has_value());
    EXPECT_LE(*MetricOf(r, "latency_p50_us"), *MetricOf(r, "latency_p99_us"));
    // Both sides' endpoints, summed over the transactions.
    EXPECT_FALSE(r.sample.server_counters().empty());
    EXPECT_EQ(Names(r.sample.client_counters()),
              Names(r.sample.server_counters()));
    // The namespace's setup figures, read at the windows' edges.
    EXPECT_TRUE(MetricOf(r, "time_wait_sockets").has_value());
    EXPECT_TRUE(MetricOf(r, "listen_overflows").has_value());
    EXPECT_TRUE(MetricOf(r, "syn_retrans").has_value());
  }
}

TEST_F(RunnerTest, ConnectionRateCountModeVerified) {
  for (const plugins::Plugin* p : Usable()) {
    SCOPED_TRACE(p->name);
    CellSpec spec = SpecFor(*p, 1000, 1, /*fields=*/3);
    spec.mode = Mode::kConnectRequestResponse;
    RunnerConfig config = ShortConfig();
    config.messages = 200;
    config.warmup_messages = 20;
    config.verify = (p->transport->capabilities & CS_CAP_RECV_DISCARDS) == 0;
    CellResult r = Run(spec, *p, config, net_);
    ASSERT_TRUE(r.status.ok()) << r.status;
    const record::Connection& c = r.sample.connections(0);
    EXPECT_EQ(c.messages(), 200u);
    EXPECT_EQ(c.tx_messages_total(), 220u);
    EXPECT_EQ(r.sample.latency().count(), 200u);
  }
}

TEST_F(RunnerTest, InterruptStopsTheCell) {
  const plugins::Plugin* p = Usable().front();
  RunnerConfig config = ShortConfig();
  config.duration = absl::Hours(1);
  std::atomic<bool> interrupt{true};
  config.interrupt = &interrupt;
  CellResult r = Run(Spec(*p, 4096, 1), *p, config, net_);
  EXPECT_EQ(r.status.code(), absl::StatusCode::kCancelled) << r.status;
}

// Every plugin that can receive serves as the receiving side of another
// plugin's sender: bytes arrive, and the receiver's counters are the
// receive plugin's own (the names it reports when it serves both sides).
TEST_F(RunnerTest, AReceivePluginPairsWithAnotherSender) {
  std::vector<const plugins::Plugin*> usable = Usable();
  ASSERT_GE(usable.size(), 2u) << "needs two usable plugins";
  std::map<std::string, CellResult> alone;
  for (const plugins::Plugin* p : usable) {
    alone[p->name] = Run(Spec(*p, 65536, 1), *p, ShortConfig(), net_);
    ASSERT_TRUE(alone[p->name].status.ok()) << alone[p->name].status;
  }
  int paired = 0;
  for (const plugins::Plugin* rx : usable) {
    if ((rx->transport->capabilities & CS_CAP_RECV) == 0) continue;
    const plugins::Plugin* tx = usable[0] == rx ? usable[1] : usable[0];
    SCOPED_TRACE(absl::StrCat(tx->name, " -> ", rx->name));
    CellSpec spec = Spec(*tx, 65536, 1);
    spec.recv_transport = rx->name;
    CellResult r = Run(spec, *tx, ShortConfig(), net_, nullptr, rx);
    ASSERT_TRUE(r.status.ok()) << r.status;
    ++paired;
    EXPECT_EQ(record::KeyOf(spec).recv_transport(), rx->name);
    const record::Connection& c = r.sample.connections(0);
    EXPECT_GT(c.messages(), 0u);
    EXPECT_EQ(c.bytes(), c.messages() * 65536);
    EXPECT_EQ(c.rx_messages_total(), c.tx_messages_total());
    EXPECT_EQ(Names(r.sample.server_counters()),
              Names(alone[tx->name].sample.server_counters()));
    EXPECT_EQ(Names(r.sample.client_counters()),
              Names(alone[rx->name].sample.client_counters()));
  }
  EXPECT_GT(paired, 0) << "no usable plugin can receive";
}

TEST_F(RunnerTest, AReceivePluginServesTheServerInClientToServer) {
  std::vector<const plugins::Plugin*> usable = Usable();
  ASSERT_GE(usable.size(), 2u) << "needs two usable plugins";
  const plugins::Plugin* tx = usable[0];
  const plugins::Plugin* rx = nullptr;
  for (const plugins::Plugin* p : usable) {
    if (p != tx && (p->transport->capabilities & CS_CAP_RECV) != 0) rx = p;
  }
  ASSERT_NE(rx, nullptr) << "no other usable plugin can receive";
  CellSpec spec = Spec(*tx, 4096, 1);
  spec.direction = Direction::kClientToServer;
  spec.recv_transport = rx->name;
  CellResult r = Run(spec, *tx, ShortConfig(), net_, nullptr, rx);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_GT(r.sample.connections(0).messages(), 0u);
  CellResult own = Run(Spec(*rx, 4096, 1), *rx, ShortConfig(), net_);
  ASSERT_TRUE(own.status.ok()) << own.status;
  // The server received: its counters are the receive plugin's.
  EXPECT_EQ(Names(r.sample.server_counters()),
            Names(own.sample.client_counters()));
}

TEST_F(RunnerTest, RequestResponseIgnoresAReceivePlugin) {
  std::vector<const plugins::Plugin*> usable = Usable();
  ASSERT_GE(usable.size(), 2u) << "needs two usable plugins";
  CellSpec spec = Spec(*usable[0], 64, 1);
  spec.mode = Mode::kRequestResponse;
  spec.recv_transport = usable[1]->name;
  CellResult r = Run(spec, *usable[0], ShortConfig(), net_, nullptr, usable[1]);
  ASSERT_TRUE(r.status.ok()) << r.status;
  // One endpoint per side, its own: the cell is the transport's alone.
  EXPECT_EQ(record::KeyOf(spec).recv_transport(), "");
  EXPECT_EQ(Names(r.sample.client_counters()),
            Names(r.sample.server_counters()));
}

// Datagram cells (udp, udp_gso): UDP sockets, numbered messages, the
// receiver's count of what arrived and what did not, --verify after the
// number, paced senders, and no hang at the end (UDP has no FIN).
TEST_F(RunnerTest, DatagramCellsCountWhatArrivedAndVerify) {
  std::vector<const plugins::Plugin*> datagram = Datagram();
  ASSERT_FALSE(datagram.empty()) << "udp and udp_gso should be usable here";
  for (const plugins::Plugin* p : datagram) {
    SCOPED_TRACE(p->name);
    RunnerConfig config = ShortConfig();
    config.verify = true;
    config.rate_bps = 200e6;  // paced: little or no loss on loopback
    CellSpec spec = SpecFor(*p, 1472, 2, /*fields=*/2);
    CellResult r = Run(spec, *p, config, net_);
    ASSERT_TRUE(r.status.ok()) << r.status;
    for (const record::Connection& c : r.sample.connections()) {
      ASSERT_TRUE(c.has_datagrams());
      const record::Datagrams& d = c.datagrams();
      EXPECT_GT(d.sent(), 0u);
      EXPECT_GT(d.sent_window_s(), 0.0);
      EXPECT_GT(d.received(), 0u);
      EXPECT_EQ(d.duplicates(), 0u);
      // At 200 Mbit/s a connection sends about 17 datagrams per ms.
      EXPECT_LT(d.sent(), 200e6 / 8 / 1472 * d.sent_window_s() * 1.5);
      EXPECT_EQ(c.bytes(), c.messages() * 1472);
      EXPECT_GE(c.messages(), d.received());
      // Not TCP: the record says what the socket is instead.
      EXPECT_NE(c.server_tcp().not_tcp(), "");
    }
    ASSERT_TRUE(MetricOf(r, "loss_pct").has_value());
    EXPECT_GE(*MetricOf(r, "loss_pct"), 0.0);
    EXPECT_LT(*MetricOf(r, "loss_pct"), 50.0);
    ASSERT_TRUE(MetricOf(r, "goodput_gbps").has_value());
    EXPECT_GT(*MetricOf(r, "goodput_gbps"), 0.05);
    // Two connections at 200 Mbit/s each.
    EXPECT_LT(*MetricOf(r, "offered_gbps"), 0.5);
    EXPECT_GT(*MetricOf(r, "offered_gbps"), 0.2);
    EXPECT_TRUE(MetricOf(r, "server_cpu_s_per_gb").has_value());
  }
}

// Unpaced, a 64 KiB batch per send: whatever the receiver cannot take is
// loss, never a failure or a hang; rr over datagrams answers and times.
TEST_F(RunnerTest, DatagramCellsUnpacedAndRequestResponse) {
  for (const plugins::Plugin* p : Datagram()) {
    SCOPED_TRACE(p->name);
    CellResult r = Run(SpecFor(*p, 1472, 1, 1), *p, ShortConfig(), net_);
    ASSERT_TRUE(r.status.ok()) << r.status;
    EXPECT_TRUE(MetricOf(r, "loss_pct").has_value());
    const uint64_t calls = Map(r.sample.server_counters())["send_calls"];
    const uint64_t sent = Map(r.sample.server_counters())["datagrams_sent"];
    EXPECT_GT(sent, 10 * calls) << "44 datagrams a call expected";

    CellSpec rr = SpecFor(*p, 64, 1, 1);
    rr.mode = Mode::kRequestResponse;
    RunnerConfig config = ShortConfig();
    config.rr_timeout = absl::Milliseconds(100);
    CellResult t = Run(rr, *p, config, net_);
    ASSERT_TRUE(t.status.ok()) << t.status;
    EXPECT_GT(*MetricOf(t, "transactions_per_sec"), 100.0);
    ASSERT_TRUE(t.sample.connections(0).has_datagrams());
    EXPECT_TRUE(MetricOf(t, "rr_timeouts").has_value());
    EXPECT_TRUE(MetricOf(t, "latency_p50_us").has_value());
  }
}

// Count mode and messages shorter than the sequence number are refused.
TEST_F(RunnerTest, DatagramCellsRefuseCountModeAndTinyMessages) {
  for (const plugins::Plugin* p : Datagram()) {
    RunnerConfig config = ShortConfig();
    config.messages = 100;
    CellResult r = Run(SpecFor(*p, 1472, 1, 1), *p, config, net_);
    EXPECT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("cannot count messages"),
              std::string::npos)
        << r.status;
    CellResult tiny = Run(SpecFor(*p, 4, 1, 1), *p, ShortConfig(), net_);
    EXPECT_NE(tiny.status.message().find("8-byte sequence number"),
              std::string::npos)
        << tiny.status;
  }
}

// A stream receive plugin cannot take a datagram sender's socket.
TEST_F(RunnerTest, DatagramSenderWithAStreamReceiverIsRefused) {
  std::vector<const plugins::Plugin*> datagram = Datagram();
  if (datagram.empty()) GTEST_SKIP() << "no datagram plugin usable here";
  const plugins::Plugin* rx = Usable().front();
  CellSpec spec = SpecFor(*datagram[0], 1472, 1, 1);
  spec.recv_transport = rx->name;
  CellResult r = Run(spec, *datagram[0], ShortConfig(), net_, nullptr, rx);
  EXPECT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find("cannot take a datagram socket"),
            std::string::npos)
      << r.status;
}

}  // namespace
}  // namespace copyscope::engine
