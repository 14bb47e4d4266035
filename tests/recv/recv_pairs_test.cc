// The in-tree receive variants (uring_recv, tcp_zerocopy_recv) as the
// receiving side of other transports' senders, as `copyscope run --recv`
// pairs them: the bytes arrive and the receiver's counters are the receive
// plugin's own.
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "harness/engine/in_tree_plugins_testing.h"
#include "harness/engine/network.h"
#include "harness/engine/runner.h"
#include "plugins/loader.h"

namespace copyscope::harness {
namespace {

class RecvPairsTest : public InTreePluginsTest {
 protected:
  // The plugin of that name, or why it cannot run here.
  static const plugins::Plugin* Find(const std::string& name,
                                     std::string* why) {
    for (const plugins::Plugin& p : plugin_set().plugins()) {
      if (p.name != name) continue;
      if (p.status == plugins::PluginStatus::kOk) return &p;
      *why = absl::StrCat(name, " is ", plugins::StatusName(p.status), ": ",
                          p.reason);
      return nullptr;
    }
    *why = absl::StrCat(name, " is not among the in-tree plugins");
    return nullptr;
  }

  // A one-connection stream cell: `tx` sends, `rx` receives.
  static CellSpec Pair(const plugins::Plugin& tx, const plugins::Plugin& rx,
                       uint64_t size) {
    CellSpec s;
    s.transport = tx.transport;
    s.transport_name = tx.name;
    s.recv_transport = rx.transport;
    s.recv_transport_name = rx.name;
    s.size = size;
    s.fields = 8;
    s.threads = 1;
    return s;
  }

  static RunnerConfig Short() {
    RunnerConfig c;
    c.warmup = absl::Milliseconds(50);
    c.duration = absl::Milliseconds(200);
    return c;
  }

  static uint64_t Get(const CounterMap& m, const std::string& name) {
    auto it = m.find(name);
    EXPECT_NE(it, m.end()) << "no counter " << name;
    return it == m.end() ? 0 : it->second;
  }

  LoopbackNetwork net_;
};

#define FIND_OR_SKIP(var, name)                        \
  std::string why_##var;                               \
  const plugins::Plugin* var = Find(name, &why_##var); \
  if (var == nullptr) GTEST_SKIP() << why_##var

TEST_F(RecvPairsTest, TwoCopySenderUringReceiver) {
  FIND_OR_SKIP(tx, "two_copy");
  FIND_OR_SKIP(rx, "uring_recv");
  CellResult r = RunCell(Pair(*tx, *rx, 65536), Short(), net_, nullptr);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.transport, "two_copy");
  EXPECT_EQ(r.recv_transport, "uring_recv");
  const ConnectionResult& c = r.connections[0];
  EXPECT_GT(c.rx_messages, 0u);
  EXPECT_EQ(c.rx_bytes, c.rx_messages * 65536);
  EXPECT_EQ(c.rx_messages_total, c.tx_messages_total);
  // The receiver's counters are uring_recv's; the sender's are two_copy's.
  EXPECT_GT(Get(r.client_counters, "recv_completions"), 0u);
  EXPECT_LE(Get(r.client_counters, "in_place_messages"), c.rx_messages_total);
  EXPECT_EQ(r.server_counters.count("recv_completions"), 0u);
  EXPECT_GT(Get(r.server_counters, "send_calls"), 0u);
}

TEST_F(RecvPairsTest, TwoCopySenderTcpZerocopyReceiver) {
  FIND_OR_SKIP(tx, "two_copy");
  FIND_OR_SKIP(rx, "tcp_zerocopy_recv");
  CellResult r = RunCell(Pair(*tx, *rx, 65536), Short(), net_, nullptr);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.recv_transport, "tcp_zerocopy_recv");
  const ConnectionResult& c = r.connections[0];
  EXPECT_GT(c.rx_messages, 0u);
  EXPECT_EQ(c.rx_messages_total, c.tx_messages_total);
  // Every received byte was either mapped or copied.
  EXPECT_GT(Get(r.client_counters, "zerocopy_calls"), 0u);
  EXPECT_EQ(Get(r.client_counters, "mapped_bytes") +
                Get(r.client_counters, "copied_bytes"),
            c.rx_messages_total * 65536);
  EXPECT_EQ(r.server_counters.count("mapped_bytes"), 0u);
}

// A MSG_ZEROCOPY sender's pages reach the loopback receive queue as whole
// order-0 pages, which TCP_ZEROCOPY_RECEIVE maps (see
// transports/tcp_zerocopy_recv/README.md).
TEST_F(RecvPairsTest, ZeroCopySenderTcpZerocopyReceiverMapsPages) {
  FIND_OR_SKIP(tx, "zero_copy");
  FIND_OR_SKIP(rx, "tcp_zerocopy_recv");
  CellResult r = RunCell(Pair(*tx, *rx, 262144), Short(), net_, nullptr);
  ASSERT_TRUE(r.status.ok()) << r.status;
  const ConnectionResult& c = r.connections[0];
  EXPECT_GT(c.rx_messages, 0u);
  const uint64_t mapped = Get(r.client_counters, "mapped_bytes");
  EXPECT_EQ(mapped + Get(r.client_counters, "copied_bytes"),
            c.rx_messages_total * 262144);
  EXPECT_GT(mapped, 0u);
  RecordProperty(
      "mapped_fraction",
      absl::StrCat(static_cast<double>(mapped) /
                   static_cast<double>(c.rx_messages_total * 262144)));
}

// The receive plugin's options reach its endpoint: uring_recv's multishot
// receive takes many completions per submission; multishot=0 submits once
// per completion (plus the one that finds the end of the stream).
TEST_F(RecvPairsTest, ReceivePluginOptionsReachTheReceiver) {
  FIND_OR_SKIP(tx, "two_copy");
  FIND_OR_SKIP(rx, "uring_recv");
  CellSpec spec = Pair(*tx, *rx, 4096);
  CellResult multi = RunCell(spec, Short(), net_, nullptr);
  ASSERT_TRUE(multi.status.ok()) << multi.status;
  EXPECT_LT(Get(multi.client_counters, "recv_calls"),
            Get(multi.client_counters, "recv_completions"));
  spec.recv_options = {{"multishot", "0"}};
  CellResult single = RunCell(spec, Short(), net_, nullptr);
  ASSERT_TRUE(single.status.ok()) << single.status;
  EXPECT_GE(Get(single.client_counters, "recv_calls"),
            Get(single.client_counters, "recv_completions"));
  spec.recv_options = {{"buf_count", "3"}};  // not a power of two
  CellResult bad = RunCell(spec, Short(), net_, nullptr);
  EXPECT_FALSE(bad.status.ok());
  EXPECT_TRUE(absl::StrContains(bad.status.message(), "uring_recv receiver"))
      << bad.status;
}

}  // namespace
}  // namespace copyscope::harness
