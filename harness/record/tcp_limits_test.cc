#include "harness/record/tcp_limits.h"

#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace copyscope::record {
namespace {

void Add(TcpEnd* end, const char* name, uint64_t value, bool gauge = false) {
  NamedCount* c = gauge ? end->add_gauges() : end->add_counters();
  c->set_name(name);
  c->set_value(value);
}

// Two connections whose server (the stream sender) recorded TCP_INFO over
// a 1 s window each; the receivers' ends must not count.
Sample TwoSenders(uint64_t retrans, uint64_t segs, uint64_t rwnd_us,
                  uint64_t sndbuf_us, uint64_t busy_us) {
  Sample s;
  for (int i = 0; i < 2; ++i) {
    Connection* c = s.add_connections();
    c->mutable_server()->set_window_s(1.0);
    TcpEnd* e = c->mutable_server_tcp();
    Add(e, "total_retrans", i == 0 ? retrans : 0);
    Add(e, "segs_out", segs / 2);
    Add(e, "rwnd_limited_us", rwnd_us / 2);
    Add(e, "sndbuf_limited_us", sndbuf_us / 2);
    Add(e, "busy_time_us", busy_us / 2);
    Add(e, "rtt_us", 100 + 100 * i, /*gauge=*/true);
    TcpEnd* r = c->mutable_client_tcp();  // the receiver: ignored
    Add(r, "total_retrans", 999999);
    Add(r, "segs_out", 1);
  }
  return s;
}

CellKey Stream() {
  CellKey k;
  k.set_mode("stream");
  k.set_direction("server-to-client");
  return k;
}

TEST(TcpLimitsTest, NamesWhatStandsOut) {
  TcpLimits l = TcpLimitsOf(Stream(), TwoSenders(31, 1000, 800000, 0, 1900000));
  EXPECT_EQ(l.senders, 2);
  EXPECT_EQ(*l.retrans, 31u);
  EXPECT_DOUBLE_EQ(*l.retransmitted, 0.031);
  EXPECT_DOUBLE_EQ(*l.rwnd_limited, 0.4);  // 0.8 s over 2 windows of 1 s
  EXPECT_DOUBLE_EQ(*l.sndbuf_limited, 0);
  EXPECT_DOUBLE_EQ(*l.busy, 0.95);
  EXPECT_DOUBLE_EQ(*l.rtt_us, 150);
  EXPECT_EQ(ExplainLimits(l),
            "3.1% of segments retransmitted, rwnd-limited 40% of the time");
  l = TcpLimitsOf(Stream(), TwoSenders(0, 1000, 250000, 300000, 2000000));
  EXPECT_EQ(ExplainLimits(l),
            "rwnd-limited 12% of the time, sndbuf-limited 15% of the time");
  l = TcpLimitsOf(Stream(), TwoSenders(3, 2000, 0, 0, 100));
  EXPECT_EQ(ExplainLimits(l), "0.15% of segments retransmitted");
}

TEST(TcpLimitsTest, NothingAtOrBelowTheThresholdsStandsOut) {
  TcpLimits l = TcpLimitsOf(Stream(), TwoSenders(1, 1000, 200000, 200000, 0));
  EXPECT_DOUBLE_EQ(*l.retransmitted, kRetransmitNotable);
  EXPECT_DOUBLE_EQ(*l.rwnd_limited, kLimitedNotable);
  EXPECT_EQ(ExplainLimits(l), "");
}

TEST(TcpLimitsTest, TheSendingEndFollowsTheDirection) {
  CellKey up = Stream();
  up.set_direction("client-to-server");
  TcpLimits l = TcpLimitsOf(up, TwoSenders(31, 1000, 0, 0, 0));
  EXPECT_EQ(*l.retrans, 999999u * 2);  // now the client ends count
  CellKey rr;
  rr.set_mode("rr");
  EXPECT_EQ(TcpLimitsOf(rr, TwoSenders(31, 1000, 0, 0, 0)).senders, 4);
}

TEST(TcpLimitsTest, WhatCannotBeComputedIsAbsentNotZero) {
  Sample s = TwoSenders(5, 0, 1, 1, 1);  // no segment sent
  // An older kernel: one end lacks sndbuf_limited_us.
  TcpEnd* e = s.mutable_connections(1)->mutable_server_tcp();
  e->mutable_counters()->DeleteSubrange(3, 1);
  TcpLimits l = TcpLimitsOf(Stream(), s);
  EXPECT_FALSE(l.retransmitted.has_value());
  EXPECT_FALSE(l.sndbuf_limited.has_value());
  EXPECT_TRUE(l.rwnd_limited.has_value());

  Sample not_tcp;
  not_tcp.add_connections()->mutable_server_tcp()->set_not_tcp(
      "AF_UNIX SOCK_STREAM");
  l = TcpLimitsOf(Stream(), not_tcp);
  EXPECT_EQ(l.senders, 0);
  EXPECT_FALSE(l.retrans.has_value());
  EXPECT_FALSE(l.busy.has_value());
  EXPECT_EQ(ExplainLimits(l), "");
}

void AddSetup(Sample* s, const char* side,
              std::vector<std::pair<const char*, uint64_t>> counters) {
  ConnectionSetup* c = s->add_connection_setup();
  c->set_side(side);
  for (const auto& [name, value] : counters) {
    NamedCount* n = c->add_tcp_ext();
    n->set_name(name);
    n->set_value(value);
  }
}

TEST(ConnectionSetupTest, NamesOverflowsRetriesAndTheTimeWaitTable) {
  Cell cell;
  cell.mutable_key()->set_mode("crr");
  for (int i = 0; i < 5; ++i) {
    Sample* s = cell.add_samples();
    s->set_status("ok");
    const bool bad = i == 1 || i == 3;
    // ListenDrops counts the overflows: 4 more only in sample 3.
    AddSetup(s, "server",
             {{"ListenOverflows", bad ? 6 : 0},
              {"ListenDrops", bad ? (i == 3 ? 10 : 6) : 0},
              {"TCPSynRetrans", 50}});  // the server's own: not a retry
    AddSetup(s, "client",
             {{"ListenOverflows", 99},  // the client's namespace: ignored
              {"TCPSynRetrans", i == 4 ? 3 : 0},
              {"TCPTimeWaitOverflow", 0}});
  }
  Sample* failed = cell.add_samples();
  failed->set_status("failed: boom");
  AddSetup(failed, "server", {{"ListenOverflows", 1000}});
  EXPECT_EQ(ExplainConnectionSetup(cell),
            "listen queue overflowed 12 times in 2 of 5 samples "
            "(ListenOverflows), listener dropped 4 SYNs or handshakes in 1 of "
            "5 samples (ListenDrops), connects retried: 3 SYNs sent again in "
            "1 of 5 samples (TCPSynRetrans)");
}

// The share comes from the sample's port_use_pct (metrics.h), the facts
// around it from its client side.
Cell PortCell(const std::string& address, std::vector<double> use_pct) {
  Cell cell;
  for (double pct : use_pct) {
    Sample* s = cell.add_samples();
    s->set_status("ok");
    Metric* m = s->add_metrics();
    m->set_name("port_use_pct");
    m->set_value(pct);
    ConnectionSetup* c = s->add_connection_setup();
    c->set_side("client");
    c->set_ephemeral_ports(28232);
    c->set_tcp_tw_reuse(2);
    c->set_connections_to_one_port(15000);
    c->set_server_address(address);
  }
  return cell;
}

TEST(ConnectionSetupTest, NamesAServerPortThatHeldMoreThanHalfThePorts) {
  EXPECT_EQ(ExplainConnectionSetup(PortCell("198.18.0.1", {49.6, 54.4, 20})),
            "connections to one server port held up to 54% of the 28232 "
            "ephemeral ports in TIME_WAIT, in 1 of 3 samples "
            "(net.ipv4.tcp_tw_reuse 2 does not reuse them here): past half, "
            "each connect() searches through them and the rate falls; "
            "shorten the samples (--duration)");
  EXPECT_EQ(ExplainConnectionSetup(PortCell("127.0.0.1", {70, 71})),
            "connections to one server port held up to 71% of the 28232 "
            "ephemeral ports in TIME_WAIT, in 2 of 2 samples (in one second: "
            "net.ipv4.tcp_tw_reuse 2 reuses them after that): past half, each "
            "connect() searches through them and the rate falls; fewer "
            "connections a second per thread (more threads)");
}

TEST(ConnectionSetupTest, TimeWaitIsReusedByLoopbackOrTheSysctl) {
  ConnectionSetup c;
  EXPECT_FALSE(TimeWaitReused(c));  // unknown: not assumed
  c.set_tcp_tw_reuse(2);
  c.set_server_address("198.18.0.1");
  EXPECT_FALSE(TimeWaitReused(c));
  c.set_server_address("127.0.0.1");
  EXPECT_TRUE(TimeWaitReused(c));
  c.set_tcp_tw_reuse(0);
  EXPECT_FALSE(TimeWaitReused(c));
  c.set_tcp_tw_reuse(1);
  c.set_server_address("198.18.0.1");
  EXPECT_TRUE(TimeWaitReused(c));
}

TEST(ConnectionSetupTest, NothingToSayIsEmpty) {
  Cell cell;
  Sample* s = cell.add_samples();
  s->set_status("ok");
  AddSetup(s, "server", {{"ListenOverflows", 0}, {"ListenDrops", 0}});
  AddSetup(s, "client", {{"TCPSynRetrans", 0}});
  s->add_connection_setup()->set_error("cannot read /proc/net/netstat");
  EXPECT_EQ(ExplainConnectionSetup(cell), "");
  EXPECT_EQ(ExplainConnectionSetup(Cell()), "");
}

}  // namespace
}  // namespace copyscope::record
