// Runs real, short cells over loopback against every in-tree plugin found
// in the test's runfiles (the harness never names a transport).
#include "harness/engine/runner.h"

#include <atomic>
#include <map>
#include <set>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "harness/engine/in_tree_plugins_testing.h"
#include "harness/engine/network.h"
#include "harness/engine/thread_hooks.h"
#include "plugins/loader.h"

namespace copyscope::harness {
namespace {

RunnerConfig ShortConfig() {
  RunnerConfig c;
  c.warmup = absl::Milliseconds(50);
  c.duration = absl::Milliseconds(200);
  return c;
}

class RunnerTest : public InTreePluginsTest {
 protected:
  static CellSpec Spec(const plugins::Plugin& p, uint64_t size, int threads) {
    return SpecFor(p, size, threads, /*fields=*/8);
  }

  LoopbackNetwork net_;
};

TEST_F(RunnerTest, EveryPluginMovesBytesAndReportsCounters) {
  for (const plugins::Plugin* p : Usable()) {
    SCOPED_TRACE(p->name);
    CellResult r = RunCell(Spec(*p, 4096, 1), ShortConfig(), net_, nullptr);
    ASSERT_TRUE(r.status.ok()) << r.status;
    EXPECT_EQ(r.transport, p->name);
    EXPECT_EQ(r.fields, 8u);
    ASSERT_EQ(r.connections.size(), 1u);
    const ConnectionResult& c = r.connections[0];
    EXPECT_GT(c.rx_messages, 0u);
    EXPECT_EQ(c.rx_bytes, c.rx_messages * 4096);
    EXPECT_GT(c.rx_window, absl::ZeroDuration());
    // Everything sent was received: the drain leaves nothing behind.
    EXPECT_EQ(c.rx_messages_total, c.tx_messages_total);
    EXPECT_GE(c.rx_messages_total, c.rx_messages);
    ASSERT_TRUE(r.throughput_gbps.has_value());
    EXPECT_GT(*r.throughput_gbps, 0.0);
    EXPECT_GT(*r.messages_per_sec, 0.0);
    EXPECT_GT(*r.mean_us_per_msg, 0.0);
    // The plugin's counters are collected from both endpoints.
    EXPECT_FALSE(r.server_counters.empty());
    EXPECT_EQ(r.server_counters, c.server_counters);
    EXPECT_EQ(r.client_counters, c.client_counters);
    // A transport reporting zero-copy counters gets a copied fraction.
    bool zc = r.server_counters.count(kZeroCopyCompletions) &&
              r.server_counters.count(kZeroCopyCopied) &&
              r.server_counters.at(kZeroCopyCompletions) > 0;
    EXPECT_EQ(r.zc_copied_fraction.has_value(), zc);
    if (zc) {
      EXPECT_GE(*r.zc_copied_fraction, 0.0);
      EXPECT_LE(*r.zc_copied_fraction, 1.0);
    }
  }
}

TEST_F(RunnerTest, SeveralConnectionsAndTinyMessages) {
  const plugins::Plugin* p = Usable().front();
  CellResult r = RunCell(Spec(*p, 3, 2), ShortConfig(), net_, nullptr);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.fields, 3u);  // capped at the size
  ASSERT_EQ(r.connections.size(), 2u);
  for (const ConnectionResult& c : r.connections) {
    EXPECT_GT(c.rx_messages, 0u);
    EXPECT_EQ(c.rx_bytes, c.rx_messages * 3);
    EXPECT_EQ(c.rx_messages_total, c.tx_messages_total);
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
  CellResult r = RunCell(Spec(*p, 1024, 2), ShortConfig(), net_, &hooks);
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
    CellResult r = RunCell(Spec(*p, 4096, 2), ShortConfig(), net, nullptr);
    EXPECT_EQ(r.status.code(), absl::StatusCode::kPermissionDenied);
    EXPECT_TRUE(absl::StrContains(r.status.message(), "no namespace"))
        << r.status;
    EXPECT_FALSE(r.throughput_gbps.has_value());
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
  CellResult r = RunCell(Spec(*p, 4096, 2), ShortConfig(), net_, &hooks);
  EXPECT_EQ(r.status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(absl::StrContains(r.status.message(), "client 1"));
}

TEST_F(RunnerTest, PluginErrorNamesTransportAndRole) {
  for (const plugins::Plugin* p : Usable()) {
    SCOPED_TRACE(p->name);
    CellSpec spec = Spec(*p, 4096, 1);
    spec.options = {{"no_such_option_key", "1"}};
    CellResult r = RunCell(spec, ShortConfig(), net_, nullptr);
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
  CellResult r = RunCell(Spec(*p, 4096, 2), ShortConfig(), net_, nullptr);
  ASSERT_TRUE(r.status.ok()) << r.status;
  for (const ConnectionResult& c : r.connections) {
    for (const ThreadReport* t : {&c.server, &c.client}) {
      ASSERT_TRUE(t->user_cpu_s && t->sys_cpu_s && t->voluntary_cs &&
                  t->involuntary_cs && t->window_s);
      EXPECT_GE(*t->user_cpu_s, 0);
      EXPECT_GE(*t->sys_cpu_s, 0);
      EXPECT_GT(*t->window_s, 0);
      // A thread cannot use more CPU than its wall time (plus a tick).
      EXPECT_LE(*t->user_cpu_s + *t->sys_cpu_s, *t->window_s + 0.02);
    }
  }
  EXPECT_TRUE(r.metrics.count("server_cpu_util"));
  EXPECT_TRUE(r.metrics.count("client_bytes_per_cpu_s") ||
              r.metrics.count("client_cpu_util"));
  EXPECT_TRUE(r.metrics.count("cs"));
}

TEST_F(RunnerTest, CountModeMeasuresExactlyTheMessagesAfterWarmup) {
  for (const plugins::Plugin* p : Usable()) {
    SCOPED_TRACE(p->name);
    RunnerConfig config = ShortConfig();
    config.messages = 3000;
    config.warmup_messages = 300;
    CellResult r = RunCell(Spec(*p, 512, 2), config, net_, nullptr);
    ASSERT_TRUE(r.status.ok()) << r.status;
    for (const ConnectionResult& c : r.connections) {
      EXPECT_EQ(c.rx_messages, 3000u);
      EXPECT_EQ(c.rx_bytes, 3000u * 512);
      EXPECT_EQ(c.tx_messages_total, 3300u);
      EXPECT_EQ(c.rx_messages_total, 3300u);
    }
  }
}

TEST_F(RunnerTest, ClientToServerStreamSendsFromTheClient) {
  const plugins::Plugin* p = Usable().front();
  CellSpec spec = Spec(*p, 4096, 1);
  spec.direction = Direction::kClientToServer;
  RecordingHooks hooks;
  CellResult r = RunCell(spec, ShortConfig(), net_, &hooks);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.direction, Direction::kClientToServer);
  const ConnectionResult& c = r.connections[0];
  EXPECT_GT(c.rx_messages, 0u);
  EXPECT_EQ(c.rx_messages_total, c.tx_messages_total);
  // The client's endpoint sent: its counters say so.
  EXPECT_TRUE(c.client_counters.count("send_calls") ||
              !c.server_counters.count("send_calls"))
      << "client counters: " << c.client_counters.size();
}

TEST_F(RunnerTest, RequestResponseRecordsEveryRoundTrip) {
  for (const plugins::Plugin* p : Usable()) {
    SCOPED_TRACE(p->name);
    CellSpec spec = Spec(*p, 64, 2);
    spec.mode = Mode::kRequestResponse;
    spec.request_size = 32;
    spec.response_size = 300;
    CellResult r = RunCell(spec, ShortConfig(), net_, nullptr);
    ASSERT_TRUE(r.status.ok()) << r.status;
    EXPECT_EQ(r.request_size, 32u);
    EXPECT_EQ(r.response_size, 300u);
    ASSERT_TRUE(r.latency.has_value());
    uint64_t transactions = 0;
    for (const ConnectionResult& c : r.connections) {
      ASSERT_TRUE(c.latency.has_value());
      EXPECT_EQ(c.latency->count(), c.rx_messages);
      EXPECT_EQ(c.rx_bytes, c.rx_messages * (32 + 300));
      EXPECT_EQ(c.tx_messages_total, c.rx_messages_total);
      transactions += c.rx_messages;
    }
    EXPECT_EQ(r.latency->count(), transactions);
    ASSERT_TRUE(r.transactions_per_sec.has_value());
    EXPECT_GT(*r.transactions_per_sec, 0);
    EXPECT_FALSE(r.messages_per_sec.has_value());
    EXPECT_LE(r.metrics.at("latency_p50_us"), r.metrics.at("latency_p99_us"));
    EXPECT_LE(
        r.metrics.at("latency_p99_us"),
        r.metrics.at("latency_max_us") * (1 + Histogram::kMaxRelativeError));
  }
}

TEST_F(RunnerTest, RequestResponseCountMode) {
  const plugins::Plugin* p = Usable().front();
  CellSpec spec = Spec(*p, 128, 1);
  spec.mode = Mode::kRequestResponse;
  RunnerConfig config = ShortConfig();
  config.messages = 500;
  config.warmup_messages = 50;
  CellResult r = RunCell(spec, config, net_, nullptr);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.connections[0].rx_messages, 500u);
  EXPECT_EQ(r.latency->count(), 500u);
  EXPECT_EQ(r.connections[0].tx_messages_total, 550u);
}

TEST_F(RunnerTest, InterruptStopsTheCell) {
  const plugins::Plugin* p = Usable().front();
  RunnerConfig config = ShortConfig();
  config.duration = absl::Hours(1);
  std::atomic<bool> interrupt{true};
  config.interrupt = &interrupt;
  CellResult r = RunCell(Spec(*p, 4096, 1), config, net_, nullptr);
  EXPECT_EQ(r.status.code(), absl::StatusCode::kCancelled) << r.status;
}

std::set<std::string> Names(const CounterMap& counters) {
  std::set<std::string> names;
  for (const auto& [name, value] : counters) names.insert(name);
  return names;
}

// Every plugin that can receive serves as the receiving side of another
// plugin's sender: bytes arrive, and the receiver's counters are the
// receive plugin's own (the names it reports when it serves both sides).
TEST_F(RunnerTest, AReceivePluginPairsWithAnotherSender) {
  std::vector<const plugins::Plugin*> usable = Usable();
  ASSERT_GE(usable.size(), 2u) << "needs two usable plugins";
  std::map<std::string, CellResult> alone;
  for (const plugins::Plugin* p : usable) {
    alone[p->name] = RunCell(Spec(*p, 65536, 1), ShortConfig(), net_, nullptr);
    ASSERT_TRUE(alone[p->name].status.ok()) << alone[p->name].status;
  }
  int paired = 0;
  for (const plugins::Plugin* rx : usable) {
    if ((rx->transport->capabilities & CS_CAP_RECV) == 0) continue;
    const plugins::Plugin* tx = usable[0] == rx ? usable[1] : usable[0];
    SCOPED_TRACE(absl::StrCat(tx->name, " -> ", rx->name));
    CellSpec spec = Spec(*tx, 65536, 1);
    spec.recv_transport = rx->transport;
    spec.recv_transport_name = rx->name;
    CellResult r = RunCell(spec, ShortConfig(), net_, nullptr);
    ASSERT_TRUE(r.status.ok()) << r.status;
    ++paired;
    EXPECT_EQ(r.transport, tx->name);
    EXPECT_EQ(r.recv_transport, rx->name);
    const ConnectionResult& c = r.connections[0];
    EXPECT_GT(c.rx_messages, 0u);
    EXPECT_EQ(c.rx_bytes, c.rx_messages * 65536);
    EXPECT_EQ(c.rx_messages_total, c.tx_messages_total);
    EXPECT_EQ(Names(r.server_counters), Names(alone[tx->name].server_counters));
    EXPECT_EQ(Names(r.client_counters), Names(alone[rx->name].client_counters));
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
  spec.recv_transport = rx->transport;
  spec.recv_transport_name = rx->name;
  CellResult r = RunCell(spec, ShortConfig(), net_, nullptr);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_GT(r.connections[0].rx_messages, 0u);
  CellResult own = RunCell(Spec(*rx, 4096, 1), ShortConfig(), net_, nullptr);
  ASSERT_TRUE(own.status.ok()) << own.status;
  // The server received: its counters are the receive plugin's.
  EXPECT_EQ(Names(r.server_counters), Names(own.client_counters));
}

TEST_F(RunnerTest, RequestResponseIgnoresAReceivePlugin) {
  std::vector<const plugins::Plugin*> usable = Usable();
  ASSERT_GE(usable.size(), 2u) << "needs two usable plugins";
  CellSpec spec = Spec(*usable[0], 64, 1);
  spec.mode = Mode::kRequestResponse;
  spec.recv_transport = usable[1]->transport;
  spec.recv_transport_name = usable[1]->name;
  CellResult r = RunCell(spec, ShortConfig(), net_, nullptr);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.recv_transport, "");  // one endpoint per side, its own
}

}  // namespace
}  // namespace copyscope::harness
