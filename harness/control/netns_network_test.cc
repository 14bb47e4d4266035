// NetnsNetwork: real cells between two namespaces over a veth (skipped where
// namespaces are not permitted), and the loopback fallback.
#include "harness/control/netns_network.h"

#include <map>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "harness/engine/in_tree_plugins_testing.h"
#include "harness/engine/runner.h"
#include "harness/engine/thread_hooks.h"
#include "harness/env/isolation/netns.h"
#include "harness/env/isolation/testing.h"
#include "plugins/loader.h"

namespace copyscope::control {
namespace {

using config::CellSpec;
using engine::CellResult;
using engine::InTreePluginsTest;
using engine::RunnerConfig;
using engine::Side;
using engine::SideName;
using engine::ThreadContext;
using engine::ThreadHooks;
using isolation::Isolation;

CellResult RunOn(const CellSpec& spec, const plugins::Plugin& p,
                 const RunnerConfig& config, engine::Network& net,
                 ThreadHooks* hooks) {
  return engine::RunCell(spec, engine::PluginsOf(p), config, net, hooks);
}

// Records, at the start of the measured interval (after SetupThread), the
// network namespace each worker thread is in.
class WhereHooks : public ThreadHooks {
 public:
  void OnMeasureStart(const ThreadContext& t) override {
    absl::StatusOr<uint64_t> ns = isolation::CurrentNamespaceInode();
    absl::MutexLock lock(&mu_);
    seen_[{t.side, t.connection}] = ns.ok() ? *ns : 0;
  }
  std::map<std::pair<Side, int>, uint64_t> seen() {
    absl::MutexLock lock(&mu_);
    return seen_;
  }

 private:
  absl::Mutex mu_;
  std::map<std::pair<Side, int>, uint64_t> seen_;
};

class NetnsNetworkTest : public InTreePluginsTest {
 protected:
  static CellSpec Spec(const plugins::Plugin& p, uint64_t size, int threads) {
    return engine::SpecFor(p, size, threads, /*fields=*/4);
  }

  static RunnerConfig Short() {
    return engine::ShortConfig(absl::Milliseconds(300));
  }
};

TEST_F(NetnsNetworkTest, EveryTransportMovesBytesBetweenTheNamespaces) {
  NETNS_OR_SKIP(iso, isolation::Options());
  NetnsNetwork net(iso);
  EXPECT_EQ(net.ServerAddress(0), isolation::kServerAddress);
  EXPECT_TRUE(absl::StartsWith(net.Describe(), "netns+veth ("))
      << net.Describe();
  EXPECT_TRUE(absl::StrContains(net.Describe(), iso.client().interface));
  const uint64_t here = *isolation::CurrentNamespaceInode();
  for (const plugins::Plugin* p : Usable()) {
    SCOPED_TRACE(p->name);
    WhereHooks where;
    CellResult r = RunOn(Spec(*p, 16384, 2), *p, Short(), net, &where);
    ASSERT_TRUE(r.status.ok()) << r.status;
    ASSERT_EQ(r.sample.connections_size(), 2);
    for (const record::Connection& c : r.sample.connections()) {
      EXPECT_GT(c.bytes(), 0u);
      EXPECT_EQ(c.bytes(), c.messages() * 16384);
    }
    // Every worker did its work inside its side's namespace, not ours.
    std::map<std::pair<Side, int>, uint64_t> seen = where.seen();
    ASSERT_EQ(seen.size(), 4u);
    for (const auto& [key, ns] : seen) {
      EXPECT_NE(ns, here);
      EXPECT_EQ(ns, key.first == Side::kServer ? iso.server().ns_inode
                                               : iso.client().ns_inode)
          << SideName(key.first) << " " << key.second;
    }
  }
  // Our own thread never moved.
  EXPECT_EQ(*isolation::CurrentNamespaceInode(), here);
}

// Over IPv6 on the veth (2001:2::/64, no DAD wait) and over a Unix socket
// file, which the two namespaces share: the first plugin moves its bytes
// with every worker in its side's namespace.
TEST_F(NetnsNetworkTest, Inet6AndUnixCellsRunBetweenTheNamespaces) {
  NETNS_OR_SKIP(iso, isolation::Options());
  NetnsNetwork net(iso);
  if (net.ServerAddress6(0).empty()) {
    GTEST_SKIP() << "no IPv6 on the veth here: " << iso.server().address6_error;
  }
  EXPECT_EQ(net.ServerAddress6(0), isolation::kServerAddress6);
  // inet6: every plugin; unix: those that take a Unix socket (the others
  // fail their cell with their own reason, see the engine's runner_test).
  for (config::Family family :
       {config::Family::kInet6, config::Family::kUnix}) {
    int ok = 0;
    for (const plugins::Plugin* p : Usable()) {
      SCOPED_TRACE(absl::StrCat(config::FamilyName(family), " ", p->name));
      WhereHooks where;
      CellSpec spec = Spec(*p, 16384, 2);
      spec.family = family;
      CellResult r = RunOn(spec, *p, Short(), net, &where);
      if (family == config::Family::kUnix && !r.status.ok()) {
        EXPECT_TRUE(absl::StrContains(r.status.message(), p->name)) << r.status;
        continue;
      }
      ASSERT_TRUE(r.status.ok()) << r.status;
      ++ok;
      for (const record::Connection& c : r.sample.connections()) {
        EXPECT_GT(c.bytes(), 0u);
      }
      std::map<std::pair<Side, int>, uint64_t> seen = where.seen();
      ASSERT_EQ(seen.size(), 4u);
      for (const auto& [key, ns] : seen) {
        EXPECT_EQ(ns, key.first == Side::kServer ? iso.server().ns_inode
                                                 : iso.client().ns_inode);
      }
    }
    EXPECT_GT(ok, 0);
  }
  std::map<std::string, std::string> d;
  for (const auto& [k, v] : IsolationDetails(iso)) d[k] = v;
  EXPECT_EQ(d["server_address6"], "2001:2::1/64");
  EXPECT_EQ(d["client_address6"], "2001:2::2/64");
}

TEST_F(NetnsNetworkTest, LoopbackIsolationRunsInOurNamespace) {
  std::unique_ptr<Isolation> iso = Isolation::Loopback("requested");
  NetnsNetwork net(*iso);
  EXPECT_EQ(net.Describe(), "loopback (127.0.0.1)");
  EXPECT_EQ(net.ServerAddress(3), "127.0.0.1");
  EXPECT_EQ(net.ServerAddress6(3), "::1");
  const uint64_t here = *isolation::CurrentNamespaceInode();
  WhereHooks where;
  const plugins::Plugin& p = *Usable().front();
  CellResult r = RunOn(Spec(p, 4096, 1), p, Short(), net, &where);
  ASSERT_TRUE(r.status.ok()) << r.status;
  for (const auto& [key, ns] : where.seen()) EXPECT_EQ(ns, here);
}

TEST_F(NetnsNetworkTest, AClosedIsolationFailsTheCellClearly) {
  NETNS_OR_SKIP(iso, isolation::Options());
  NetnsNetwork net(iso);
  ASSERT_TRUE(iso.Close().ok());
  const plugins::Plugin& p = *Usable().front();
  CellResult r = RunOn(Spec(p, 4096, 1), p, Short(), net, /*hooks=*/nullptr);
  EXPECT_FALSE(r.status.ok());
  EXPECT_TRUE(absl::StrContains(r.status.message(), "isolation was closed"))
      << r.status;
}

TEST(IsolationDetailsTest, NamesInterfacesAddressesMtuAndOffloads) {
  NETNS_OR_SKIP(iso, isolation::Options());
  std::map<std::string, std::string> d;
  for (const auto& [k, v] : IsolationDetails(iso)) {
    EXPECT_TRUE(d.emplace(k, v).second) << "duplicate key " << k;
  }
  EXPECT_EQ(d["interface"], iso.server().interface);
  EXPECT_EQ(d["mtu"], absl::StrCat(iso.mtu()));
  EXPECT_EQ(d["server_interface"], iso.server().interface);
  EXPECT_EQ(d["client_interface"], iso.client().interface);
  EXPECT_EQ(d["server_address"], "198.18.0.1/30");
  EXPECT_EQ(d["client_address"], "198.18.0.2/30");
  EXPECT_EQ(d["server_namespace"],
            absl::StrCat("net:[", iso.server().ns_inode, "]"));
  for (const char* key : {"server_gso", "server_gro", "server_tso",
                          "client_gso", "client_gro", "client_tso"}) {
    ASSERT_TRUE(d.count(key)) << key;
    EXPECT_TRUE(d[key] == "on" || d[key] == "off") << key << "=" << d[key];
  }
  EXPECT_EQ(d["teardown"], iso.teardown());
  EXPECT_EQ(d["netns_sysctl.net.ipv4.tcp_orphan_retries"],
            isolation::kOrphanRetries);
  EXPECT_FALSE(d["netns_sysctl.net.ipv4.tcp_congestion_control"].empty());
}

TEST(IsolationDetailsTest, MtuRequestedIsRecorded) {
  isolation::Options options;
  options.mtu = 9000;
  NETNS_OR_SKIP(iso, options);
  std::map<std::string, std::string> d;
  for (const auto& [k, v] : IsolationDetails(iso)) d[k] = v;
  EXPECT_EQ(d["mtu"], "9000");
}

}  // namespace
}  // namespace copyscope::control
