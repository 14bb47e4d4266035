// The in-tree receive variants (uring_recv, tcp_zerocopy_recv,
// discard_recv) as the receiving side of other transports' senders, as
// `copyscope run --recv` pairs them: the bytes arrive and the receiver's
// counters are the receive plugin's own.
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "harness/engine/in_tree_plugins_testing.h"
#include "harness/engine/network.h"
#include "harness/engine/runner.h"
#include "harness/record/record.h"
#include "plugins/loader.h"

namespace copyscope::engine {
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
  static config::CellSpec Pair(const plugins::Plugin& tx,
                               const plugins::Plugin& rx, uint64_t size) {
    config::CellSpec s = SpecFor(tx, size, 1);
    s.recv_transport = rx.name;
    return s;
  }

  CellResult RunPair(const config::CellSpec& spec, const plugins::Plugin& tx,
                     const plugins::Plugin& rx) {
    return RunCell(spec, PluginsOf(tx, &rx), ShortConfig(), net_, nullptr);
  }

  using Counts = google::protobuf::RepeatedPtrField<record::NamedCount>;

  static bool Has(const Counts& counts, const std::string& name) {
    for (const record::NamedCount& c : counts) {
      if (c.name() == name) return true;
    }
    return false;
  }

  static uint64_t Get(const Counts& counts, const std::string& name) {
    for (const record::NamedCount& c : counts) {
      if (c.name() == name) return c.value();
    }
    ADD_FAILURE() << "no counter " << name;
    return 0;
  }

  LoopbackNetwork net_;
};

// var names a variable, so it cannot be parenthesized.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define FIND_OR_SKIP(var, name)                        \
  std::string why_##var;                               \
  const plugins::Plugin* var = Find(name, &why_##var); \
  if (var == nullptr) GTEST_SKIP() << why_##var
// NOLINTEND(bugprone-macro-parentheses)

TEST_F(RecvPairsTest, TwoCopySenderUringReceiver) {
  FIND_OR_SKIP(tx, "two_copy");
  FIND_OR_SKIP(rx, "uring_recv");
  CellResult r = RunPair(Pair(*tx, *rx, 65536), *tx, *rx);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(record::CellLabel(record::KeyOf(Pair(*tx, *rx, 65536))),
            "two_copy/uring_recv");
  const record::Connection& c = r.sample.connections(0);
  EXPECT_GT(c.messages(), 0u);
  EXPECT_EQ(c.bytes(), c.messages() * 65536);
  EXPECT_EQ(c.rx_messages_total(), c.tx_messages_total());
  // The receiver's counters are uring_recv's; the sender's are two_copy's.
  EXPECT_GT(Get(r.sample.client_counters(), "recv_completions"), 0u);
  EXPECT_LE(Get(r.sample.client_counters(), "in_place_messages"),
            c.rx_messages_total());
  EXPECT_FALSE(Has(r.sample.server_counters(), "recv_completions"));
  EXPECT_GT(Get(r.sample.server_counters(), "send_calls"), 0u);
}

TEST_F(RecvPairsTest, TwoCopySenderTcpZerocopyReceiver) {
  FIND_OR_SKIP(tx, "two_copy");
  FIND_OR_SKIP(rx, "tcp_zerocopy_recv");
  CellResult r = RunPair(Pair(*tx, *rx, 65536), *tx, *rx);
  ASSERT_TRUE(r.status.ok()) << r.status;
  const record::Connection& c = r.sample.connections(0);
  EXPECT_GT(c.messages(), 0u);
  EXPECT_EQ(c.rx_messages_total(), c.tx_messages_total());
  // Every received byte was either mapped or copied.
  EXPECT_GT(Get(r.sample.client_counters(), "zerocopy_calls"), 0u);
  EXPECT_EQ(Get(r.sample.client_counters(), "mapped_bytes") +
                Get(r.sample.client_counters(), "copied_bytes"),
            c.rx_messages_total() * 65536);
  EXPECT_FALSE(Has(r.sample.server_counters(), "mapped_bytes"));
}

// discard_recv drops what it receives in the kernel: every byte the sender
// sent is counted as discarded, none delivered.
TEST_F(RecvPairsTest, TwoCopySenderDiscardReceiver) {
  FIND_OR_SKIP(tx, "two_copy");
  FIND_OR_SKIP(rx, "discard_recv");
  CellResult r = RunPair(Pair(*tx, *rx, 65536), *tx, *rx);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(record::CellLabel(record::KeyOf(Pair(*tx, *rx, 65536))),
            "two_copy/discard_recv");
  const record::Connection& c = r.sample.connections(0);
  EXPECT_GT(c.messages(), 0u);
  EXPECT_EQ(c.rx_messages_total(), c.tx_messages_total());
  EXPECT_EQ(Get(r.sample.client_counters(), "discarded_bytes"),
            c.rx_messages_total() * 65536);
  EXPECT_FALSE(Has(r.sample.server_counters(), "discarded_bytes"));
}

// A MSG_ZEROCOPY sender's pages reach the loopback receive queue as whole
// order-0 pages, which TCP_ZEROCOPY_RECEIVE maps (see
// transports/tcp_zerocopy_recv/README.md).
TEST_F(RecvPairsTest, ZeroCopySenderTcpZerocopyReceiverMapsPages) {
  FIND_OR_SKIP(tx, "zero_copy");
  FIND_OR_SKIP(rx, "tcp_zerocopy_recv");
  CellResult r = RunPair(Pair(*tx, *rx, 262144), *tx, *rx);
  ASSERT_TRUE(r.status.ok()) << r.status;
  const record::Connection& c = r.sample.connections(0);
  EXPECT_GT(c.messages(), 0u);
  const uint64_t mapped = Get(r.sample.client_counters(), "mapped_bytes");
  EXPECT_EQ(mapped + Get(r.sample.client_counters(), "copied_bytes"),
            c.rx_messages_total() * 262144);
  EXPECT_GT(mapped, 0u);
  RecordProperty(
      "mapped_fraction",
      absl::StrCat(static_cast<double>(mapped) /
                   static_cast<double>(c.rx_messages_total() * 262144)));
}

// The receive plugin's options reach its endpoint: uring_recv's multishot
// receive takes many completions per submission; multishot=0 submits once
// per completion (plus the one that finds the end of the stream).
TEST_F(RecvPairsTest, ReceivePluginOptionsReachTheReceiver) {
  FIND_OR_SKIP(tx, "two_copy");
  FIND_OR_SKIP(rx, "uring_recv");
  config::CellSpec spec = Pair(*tx, *rx, 4096);
  CellResult multi = RunPair(spec, *tx, *rx);
  ASSERT_TRUE(multi.status.ok()) << multi.status;
  EXPECT_LT(Get(multi.sample.client_counters(), "recv_calls"),
            Get(multi.sample.client_counters(), "recv_completions"));
  spec.recv_options = {{"multishot", "0"}};
  CellResult single = RunPair(spec, *tx, *rx);
  ASSERT_TRUE(single.status.ok()) << single.status;
  EXPECT_GE(Get(single.sample.client_counters(), "recv_calls"),
            Get(single.sample.client_counters(), "recv_completions"));
  spec.recv_options = {{"buf_count", "3"}};  // not a power of two
  CellResult bad = RunPair(spec, *tx, *rx);
  EXPECT_FALSE(bad.status.ok());
  EXPECT_TRUE(absl::StrContains(bad.status.message(), "uring_recv receiver"))
      << bad.status;
}

}  // namespace
}  // namespace copyscope::engine
