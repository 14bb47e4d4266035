// Isolation: the --isolation decision, loopback, and real namespaces joined
// by a veth (skipped where namespaces are not permitted).
#include "harness/env/isolation/isolation.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "harness/env/isolation/errors.h"
#include "harness/env/isolation/probe.h"
#include "harness/env/isolation/testing.h"

namespace copyscope::isolation {
namespace {

bool Exists(const std::string& ifname) {
  return if_nametoindex(ifname.c_str()) != 0;
}

sockaddr_in Ipv4(const std::string& address, uint16_t port) {
  sockaddr_in sin = {};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  inet_pton(AF_INET, address.c_str(), &sin.sin_addr);
  return sin;
}

TEST(DecideTest, AutoFallsBackToLoopbackAndSaysWhy) {
  absl::StatusOr<Choice> c =
      Decide(Request::kAuto, ErrnoError("unshare(CLONE_NEWNET)", EPERM));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->mode, Mode::kLoopback);
  EXPECT_EQ(c->reason,
            "netns unavailable: unshare(CLONE_NEWNET): EPERM (Operation not "
            "permitted)");
}

TEST(DecideTest, AutoUsesNetnsWhenItWorks) {
  absl::StatusOr<Choice> c = Decide(Request::kAuto, absl::OkStatus());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->mode, Mode::kNetns);
  EXPECT_FALSE(c->reason.empty());
}

TEST(DecideTest, NetnsRequestedButUnavailableIsAnError) {
  absl::StatusOr<Choice> c =
      Decide(Request::kNetns, ErrnoError("unshare(CLONE_NEWNET)", EPERM));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(c.status().message(), "EPERM"));
  EXPECT_TRUE(absl::StrContains(c.status().message(), "copyscope netns check"));
  absl::StatusOr<Choice> ok = Decide(Request::kNetns, absl::OkStatus());
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->mode, Mode::kNetns);
}

TEST(DecideTest, LoopbackIsLoopbackWhateverNetnsCouldDo) {
  for (const absl::Status& s :
       {absl::OkStatus(), absl::PermissionDeniedError("no")}) {
    absl::StatusOr<Choice> c = Decide(Request::kLoopback, s);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->mode, Mode::kLoopback);
    EXPECT_EQ(c->reason, "requested --isolation=loopback");
  }
}

TEST(LoopbackTest, BothSidesOnLocalhostWithoutNamespaces) {
  std::unique_ptr<Isolation> iso = Isolation::Loopback("because");
  EXPECT_EQ(iso->mode(), Mode::kLoopback);
  EXPECT_EQ(iso->reason(), "because");
  for (const Side* side : {&iso->server(), &iso->client()}) {
    EXPECT_EQ(side->ns_fd, -1);
    EXPECT_EQ(side->address, "127.0.0.1");
    EXPECT_EQ(side->interface, "lo");
  }
  EXPECT_GT(iso->mtu(), 0);
  EXPECT_TRUE(absl::StrContains(iso->Summary(), "isolation: loopback"));
  absl::StatusOr<ProbeResult> r = ProbeTransfer(*iso);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->bytes, ProbeOptions().bytes);
  EXPECT_EQ(r->peer_address, "127.0.0.1");
  EXPECT_EQ(r->server_thread_ns, *CurrentNamespaceInode());
  EXPECT_EQ(r->client_thread_ns, *CurrentNamespaceInode());
}

TEST(SetupTest, LoopbackRequestMakesNoNamespaces) {
  absl::StatusOr<std::unique_ptr<Isolation>> iso =
      Isolation::Setup(Request::kLoopback);
  ASSERT_TRUE(iso.ok()) << iso.status();
  EXPECT_EQ((*iso)->mode(), Mode::kLoopback);
  EXPECT_EQ((*iso)->server().ns_fd, -1);
}

TEST(SetupTest, AutoPicksNetnsExactlyWhenNamespacesWork) {
  absl::StatusOr<int> probe = NewNamespace();
  if (probe.ok()) close(*probe);
  absl::StatusOr<std::unique_ptr<Isolation>> iso =
      Isolation::Setup(Request::kAuto);
  ASSERT_TRUE(iso.ok()) << iso.status();
  if (probe.ok()) {
    EXPECT_EQ((*iso)->mode(), Mode::kNetns) << (*iso)->reason();
    EXPECT_EQ((*iso)->reason(), "auto: network namespaces permitted here");
  } else {
    EXPECT_EQ((*iso)->mode(), Mode::kLoopback);
    EXPECT_TRUE(absl::StartsWith((*iso)->reason(), "netns unavailable: "))
        << (*iso)->reason();
  }
}

TEST(NetnsIsolationTest, DescribesTwoPrivateNamespacesAndAVeth) {
  NETNS_OR_SKIP(iso, Options());
  const uint64_t here = *CurrentNamespaceInode();
  EXPECT_EQ(iso.mode(), Mode::kNetns);
  EXPECT_EQ(iso.server().address, kServerAddress);
  EXPECT_EQ(iso.client().address, kClientAddress);
  EXPECT_EQ(iso.server().prefix_len, kVethPrefixLen);
  EXPECT_GE(iso.server().ns_fd, 0);
  EXPECT_GE(iso.client().ns_fd, 0);
  EXPECT_NE(iso.server().ns_inode, iso.client().ns_inode);
  EXPECT_NE(iso.server().ns_inode, here);
  EXPECT_NE(iso.client().ns_inode, here);
  EXPECT_EQ(iso.server().ns_inode, *NamespaceInode(iso.server().ns_fd));
  for (const std::string& name :
       {iso.server().interface, iso.client().interface}) {
    EXPECT_LE(name.size(), size_t{IFNAMSIZ - 1}) << name;
    EXPECT_TRUE(absl::StartsWith(name, "cs")) << name;
    EXPECT_FALSE(Exists(name)) << name << " visible in the caller's namespace";
  }
  EXPECT_NE(iso.server().interface, iso.client().interface);
  EXPECT_GT(iso.mtu(), 0);
  // Offloads were read, not guessed.
  for (const Side* side : {&iso.server(), &iso.client()}) {
    EXPECT_TRUE(side->offloads.error.empty()) << side->offloads.error;
    EXPECT_TRUE(side->offloads.tso.has_value());
    EXPECT_TRUE(side->offloads.gso.has_value());
    EXPECT_TRUE(side->offloads.gro.has_value());
  }
  std::string summary = iso.Summary();
  EXPECT_TRUE(absl::StrContains(summary, "isolation: netns")) << summary;
  EXPECT_TRUE(absl::StrContains(summary, iso.server().interface)) << summary;
  EXPECT_TRUE(absl::StrContains(summary, "198.18.0.2/30")) << summary;
}

TEST(NetnsIsolationTest, EachEndLivesOnlyInItsOwnNamespace) {
  NETNS_OR_SKIP(iso, Options());
  auto look = [&](int ns_fd, std::set<std::string>* names) {
    return RunInNamespace(ns_fd, [&] {
      struct if_nameindex* all = if_nameindex();
      if (all == nullptr) return ErrnoError("if_nameindex");
      for (auto* i = all; i->if_index != 0; ++i) names->insert(i->if_name);
      if_freenameindex(all);
      return absl::OkStatus();
    });
  };
  std::set<std::string> in_server, in_client;
  ASSERT_TRUE(look(iso.server().ns_fd, &in_server).ok());
  ASSERT_TRUE(look(iso.client().ns_fd, &in_client).ok());
  EXPECT_EQ(in_server, (std::set<std::string>{"lo", iso.server().interface}));
  EXPECT_EQ(in_client, (std::set<std::string>{"lo", iso.client().interface}));
}

// An orphaned TCP socket holds its namespace; with the default retries one
// whose peer namespace died first kept a killed run's namespace alive for
// about 100 s. Both namespaces give up on orphans quickly; ours is untouched.
TEST(NetnsIsolationTest, OrphanedSocketsGiveUpQuicklyInBothNamespaces) {
  absl::StatusOr<std::string> ours =
      ReadNamespaceSysctl(-1, kOrphanRetriesSysctl);
  NETNS_OR_SKIP(iso, Options());
  ASSERT_EQ(iso.teardown(), absl::StrCat("tcp_orphan_retries=", kOrphanRetries,
                                         " in both namespaces"))
      << iso.Summary();
  for (const Side* side : {&iso.server(), &iso.client()}) {
    absl::StatusOr<std::string> value =
        ReadNamespaceSysctl(side->ns_fd, kOrphanRetriesSysctl);
    ASSERT_TRUE(value.ok()) << value.status();
    EXPECT_EQ(*value, kOrphanRetries);
  }
  absl::StatusOr<std::string> ours_after =
      ReadNamespaceSysctl(-1, kOrphanRetriesSysctl);
  ASSERT_TRUE(ours.ok() && ours_after.ok());
  EXPECT_EQ(*ours_after, *ours);
  EXPECT_TRUE(absl::StrContains(iso.Summary(), "teardown: tcp_orphan_retries"));
}

TEST(NetnsIsolationTest, TcpCrossesTheVethBetweenTheNamespaces) {
  NETNS_OR_SKIP(iso, Options());
  const uint64_t here = *CurrentNamespaceInode();
  ProbeOptions options;
  options.bytes = 4 << 20;
  absl::StatusOr<ProbeResult> r = ProbeTransfer(iso, options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->bytes, options.bytes);
  EXPECT_EQ(r->peer_address, kClientAddress);  // it came from the client end
  EXPECT_EQ(r->server_thread_ns, iso.server().ns_inode);
  EXPECT_EQ(r->client_thread_ns, iso.client().ns_inode);
  EXPECT_EQ(*CurrentNamespaceInode(), here);  // the caller never moved
}

// A listener on the server address, inside the server namespace, is out of
// reach from the caller's namespace: the address is not local here, no
// interface here leads to it, and a connection attempt never arrives.
TEST(NetnsIsolationTest, ServerAddressIsNotReachableFromTheCallersNamespace) {
  NETNS_OR_SKIP(iso, Options());
  int listener = -1;
  uint16_t port = 0;
  absl::Notification listening, done;
  std::thread server([&] {
    ASSERT_TRUE(EnterNamespace(iso.server().ns_fd).ok());
    listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_in addr = Ipv4(kServerAddress, 0);
    socklen_t len = sizeof(addr);
    if (bind(listener, reinterpret_cast<sockaddr*>(&addr), len) == 0 &&
        listen(listener, 4) == 0 &&
        getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
    listening.Notify();
    done.WaitForNotification();
  });
  listening.WaitForNotification();
  ASSERT_NE(port, 0);

  // Not a local address here.
  int probe = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in local = Ipv4(kServerAddress, 0);
  EXPECT_NE(bind(probe, reinterpret_cast<sockaddr*>(&local), sizeof(local)), 0);
  EXPECT_EQ(errno, EADDRNOTAVAIL);
  close(probe);

  // A connection attempt: either refused at once (no route) or left
  // pending (a default route sends it elsewhere). Never established.
  int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_in target = Ipv4(kServerAddress, port);
  int rc =
      connect(client, reinterpret_cast<sockaddr*>(&target), sizeof(target));
  int connect_errno = rc == 0 ? 0 : errno;
  EXPECT_NE(rc, 0);
  if (connect_errno == EINPROGRESS) {
    struct pollfd p = {client, POLLOUT, 0};
    int ready = poll(&p, 1, 500);
    if (ready == 1) {
      int err = 0;
      socklen_t len = sizeof(err);
      getsockopt(client, SOL_SOCKET, SO_ERROR, &err, &len);
      EXPECT_NE(err, 0) << "connected to the isolated server address";
    }
  } else {
    EXPECT_NE(connect_errno, 0);
  }
  close(client);
  // And nothing arrived at the listener.
  EXPECT_LT(accept(listener, nullptr, nullptr), 0);
  EXPECT_EQ(errno, EAGAIN);
  done.Notify();
  server.join();
  close(listener);
}

TEST(NetnsIsolationTest, MtuAndOffloadsAreAppliedToBothEnds) {
  Options options;
  options.mtu = 9000;
  options.gro = true;
  options.tso = false;
  NETNS_OR_SKIP(iso, options);
  EXPECT_EQ(iso.mtu(), 9000);
  int client_mtu = 0;
  ASSERT_TRUE(RunInNamespace(iso.client().ns_fd, [&]() -> absl::Status {
                absl::StatusOr<int> m = ReadMtu(iso.client().interface);
                if (!m.ok()) return m.status();
                client_mtu = *m;
                return absl::OkStatus();
              }).ok());
  EXPECT_EQ(client_mtu, 9000);
  for (auto read :
       {&Isolation::ReadServerOffloads, &Isolation::ReadClientOffloads}) {
    absl::StatusOr<Offloads> off = (iso.*read)();
    ASSERT_TRUE(off.ok()) << off.status();
    EXPECT_EQ(off->gro, std::optional<bool>(true)) << off->ToString();
    EXPECT_EQ(off->tso, std::optional<bool>(false)) << off->ToString();
  }
  EXPECT_EQ(iso.server().offloads.gro, std::optional<bool>(true));
  ASSERT_TRUE(ProbeTransfer(iso).ok());

  options.gro = false;
  options.tso = true;
  NETNS_OR_SKIP(other, options);
  EXPECT_EQ(other.client().offloads.gro, std::optional<bool>(false));
  EXPECT_EQ(other.client().offloads.tso, std::optional<bool>(true));
}

TEST(NetnsIsolationTest, TwoAtOnceHaveDistinctNamesAndBothWork) {
  NETNS_OR_SKIP(a, Options());
  NETNS_OR_SKIP(b, Options());
  std::set<std::string> names = {a.server().interface, a.client().interface,
                                 b.server().interface, b.client().interface};
  EXPECT_EQ(names.size(), 4u);
  std::set<uint64_t> inodes = {a.server().ns_inode, a.client().ns_inode,
                               b.server().ns_inode, b.client().ns_inode};
  EXPECT_EQ(inodes.size(), 4u);

  absl::StatusOr<ProbeResult> ra, rb;
  std::thread ta([&] { ra = ProbeTransfer(a); });
  std::thread tb([&] { rb = ProbeTransfer(b); });
  ta.join();
  tb.join();
  ASSERT_TRUE(ra.ok()) << ra.status();
  ASSERT_TRUE(rb.ok()) << rb.status();
  EXPECT_EQ(ra->server_thread_ns, a.server().ns_inode);
  EXPECT_EQ(rb->server_thread_ns, b.server().ns_inode);

  // Same addresses, separate worlds: b's listener is not reachable from a's
  // client; a's server namespace answers (no listener there) with a reset.
  int listener = -1;
  uint16_t port = 0;
  absl::Notification listening, done;
  std::thread server([&] {
    ASSERT_TRUE(EnterNamespace(b.server().ns_fd).ok());
    listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr = Ipv4(kServerAddress, 0);
    socklen_t len = sizeof(addr);
    if (bind(listener, reinterpret_cast<sockaddr*>(&addr), len) == 0 &&
        listen(listener, 4) == 0 &&
        getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
    listening.Notify();
    done.WaitForNotification();
  });
  listening.WaitForNotification();
  ASSERT_NE(port, 0);
  int connect_errno = 0;
  ASSERT_TRUE(RunInNamespace(a.client().ns_fd, [&] {
                int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                sockaddr_in target = Ipv4(kServerAddress, port);
                if (connect(fd, reinterpret_cast<sockaddr*>(&target),
                            sizeof(target)) != 0) {
                  connect_errno = errno;
                }
                close(fd);
                return absl::OkStatus();
              }).ok());
  EXPECT_EQ(connect_errno, ECONNREFUSED);
  done.Notify();
  server.join();
  close(listener);
}

TEST(NetnsIsolationTest, CloseDeletesTheVethAndReleasesTheFds) {
  NETNS_OR_SKIP(iso, Options());
  // Our own references, so the namespaces outlive Close() and can be looked
  // into afterwards.
  int server_ns = dup(iso.server().ns_fd);
  int client_ns = dup(iso.client().ns_fd);
  const std::string server_if = iso.server().interface;
  const std::string client_if = iso.client().interface;
  ASSERT_TRUE(iso.Close().ok());
  EXPECT_EQ(iso.server().ns_fd, -1);
  EXPECT_EQ(iso.client().ns_fd, -1);
  EXPECT_TRUE(iso.Close().ok());  // idempotent
  EXPECT_FALSE(iso.ReadServerOffloads().ok());
  bool server_has = true, client_has = true;
  ASSERT_TRUE(RunInNamespace(server_ns, [&] {
                server_has = Exists(server_if);
                return absl::OkStatus();
              }).ok());
  ASSERT_TRUE(RunInNamespace(client_ns, [&] {
                client_has = Exists(client_if);
                return absl::OkStatus();
              }).ok());
  EXPECT_FALSE(server_has);
  EXPECT_FALSE(client_has);  // deleting one end takes the peer too
  close(server_ns);
  close(client_ns);
}

}  // namespace
}  // namespace copyscope::isolation
