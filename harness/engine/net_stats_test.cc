#include "harness/engine/net_stats.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace copyscope::engine {
namespace {

// A fake /proc under the test's temporary directory.
class FakeProc {
 public:
  explicit FakeProc(const std::string& name)
      : root_(absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name)) {
    for (const char* d : {"", "/thread-self", "/thread-self/net", "/sys",
                          "/sys/net", "/sys/net/ipv4"}) {
      mkdir((root_ + d).c_str(), 0755);
    }
  }
  void Write(const std::string& path, const std::string& text) {
    std::ofstream(root_ + "/" + path) << text;
  }
  void Sockstat(int tw) {
    Write("thread-self/net/sockstat",
          absl::StrCat("sockets: used 42\nTCP: inuse 1 orphan 0 tw ", tw,
                       " alloc 10 mem 384\nUDP: inuse 0 mem 0\n"));
  }
  // A netstat with TcpExt and another table around it.
  void Netstat(uint64_t overflows, uint64_t drops, uint64_t syn_retrans) {
    Write("thread-self/net/netstat",
          absl::StrCat("TcpExt: SyncookiesSent TW ListenOverflows ListenDrops "
                       "TCPSynRetrans TCPTimeWaitOverflow\n"
                       "TcpExt: 0 38903 ",
                       overflows, " ", drops, " ", syn_retrans,
                       " 0\n"
                       "IpExt: InNoRoutes ListenOverflows\n"
                       "IpExt: 0 999\n"));
  }
  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

TEST(NetStatsTest, ReadsTimeWaitAndTheCountersTheKernelHas) {
  FakeProc proc("read");
  proc.Sockstat(2);
  proc.Netstat(5, 7, 11);
  absl::StatusOr<NetStats> s = ReadNetStats(proc.root());
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_TRUE(s->time_wait.has_value());
  EXPECT_EQ(*s->time_wait, 2u);
  // In NetCounterNames() order; TCPReqQFullDrop is not in this kernel's.
  EXPECT_EQ(s->counters, (NamedCounts{{"ListenOverflows", 5},
                                      {"ListenDrops", 7},
                                      {"TCPSynRetrans", 11},
                                      {"TCPTimeWaitOverflow", 0}}));
  // No sysctls in this fake: absent, not an error.
  EXPECT_FALSE(s->ports.has_value());
  EXPECT_FALSE(s->tw_reuse.has_value());
  proc.Write("sys/net/ipv4/ip_local_port_range", "1024 65535\n");
  proc.Write("sys/net/ipv4/tcp_tw_reuse", "2\n");
  s = ReadNetStats(proc.root());
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_TRUE(s->ports.has_value());
  EXPECT_EQ(s->ports->ports(), 64512);
  EXPECT_EQ(s->tw_reuse, 2);
}

TEST(NetStatsTest, CounterIncrease) {
  NetStats a, b;
  a.counters = {{"ListenOverflows", 5}, {"TCPSynRetrans", 11}};
  b.counters = {{"ListenOverflows", 17},
                {"TCPSynRetrans", 3},  // went down: a new namespace
                {"ListenDrops", 4}};   // only after: left out
  EXPECT_EQ(CounterIncrease(a, b),
            (NamedCounts{{"ListenOverflows", 12}, {"TCPSynRetrans", 0}}));
}

TEST(NetStatsTest, MissingOrMalformedFilesAreErrorsNamingThem) {
  FakeProc proc("missing");
  absl::StatusOr<NetStats> s = ReadNetStats(proc.root());
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(
      absl::StrContains(s.status().message(), "cannot read /proc/net/sockstat"))
      << s.status();
  proc.Sockstat(0);
  proc.Write("thread-self/net/netstat", "IpExt: A\nIpExt: 1\n");
  s = ReadNetStats(proc.root());
  EXPECT_EQ(s.status().message(), "/proc/net/netstat has no TcpExt counters");
  // A sockstat without tw: the figure is absent, never 0.
  proc.Write("thread-self/net/sockstat", "TCP: inuse 1 orphan 0\n");
  proc.Netstat(0, 0, 0);
  s = ReadNetStats(proc.root());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_FALSE(s->time_wait.has_value());
}

TEST(NetStatsTest, PortRange) {
  FakeProc proc("range");
  proc.Write("sys/net/ipv4/ip_local_port_range", "32768\t60999\n");
  absl::StatusOr<PortRange> r = ReadPortRange(proc.root());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->low, 32768);
  EXPECT_EQ(r->high, 60999);
  EXPECT_EQ(r->ports(), 28232);
  proc.Write("sys/net/ipv4/ip_local_port_range", "60999 32768\n");
  EXPECT_FALSE(ReadPortRange(proc.root()).ok());
  proc.Write("sys/net/ipv4/ip_local_port_range", "many\n");
  EXPECT_EQ(ReadPortRange(proc.root()).status().message(),
            "/proc/sys/net/ipv4/ip_local_port_range is not two ports: 'many'");
}

TEST(NetStatsTest, PortsExhaustedNamesTheFigures) {
  FakeProc proc("exhausted");
  proc.Sockstat(28190);
  proc.Netstat(0, 0, 0);
  proc.Write("sys/net/ipv4/ip_local_port_range", "32768 60999\n");
  proc.Write("sys/net/ipv4/tcp_tw_reuse", "0\n");
  EXPECT_EQ(PortsExhaustedText(proc.root()),
            "ephemeral ports exhausted: 28190 sockets in TIME_WAIT "
            "(/proc/net/sockstat), net.ipv4.ip_local_port_range 32768-60999 "
            "(28232 ports), net.ipv4.tcp_tw_reuse 0; each transaction leaves "
            "its client socket in TIME_WAIT for 60 s: shorten the samples "
            "(--duration, --messages), widen the port range, or set "
            "net.ipv4.tcp_tw_reuse=1");
}

TEST(NetStatsTest, PortsExhaustedSaysWhatItCouldNotRead) {
  FakeProc proc("unreadable");
  const std::string text = PortsExhaustedText(proc.root());
  EXPECT_TRUE(absl::StartsWith(
      text,
      "ephemeral ports exhausted: sockets in TIME_WAIT unknown (cannot read "
      "/proc/net/sockstat: "))
      << text;
  EXPECT_TRUE(
      absl::StrContains(text,
                        ", net.ipv4.ip_local_port_range unknown (cannot read "
                        "/proc/sys/net/ipv4/ip_local_port_range: "))
      << text;
  EXPECT_FALSE(absl::StrContains(text, "tcp_tw_reuse ")) << text;
}

// This thread's own namespace, read for real.
TEST(NetStatsTest, TheRealProc) {
  absl::StatusOr<NetStats> s = ReadNetStats();
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->time_wait.has_value());
  ASSERT_FALSE(s->counters.empty());
  EXPECT_EQ(s->counters.front().first, "ListenOverflows");
  EXPECT_TRUE(ReadPortRange().ok());
}

}  // namespace
}  // namespace copyscope::engine
