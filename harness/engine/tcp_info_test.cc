#include "harness/engine/tcp_info.h"

#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace copyscope::engine {
namespace {

// A struct tcp_info with a distinct value in every field read.
struct tcp_info FullInfo() {
  struct tcp_info t;
  std::memset(&t, 0, sizeof(t));
  t.tcpi_rtt = 41;
  t.tcpi_rttvar = 7;
  t.tcpi_snd_cwnd = 10;
  t.tcpi_reordering = 3;
  t.tcpi_rcv_space = 65483;
  t.tcpi_total_retrans = 5;
  t.tcpi_bytes_acked = 1000001;
  t.tcpi_bytes_received = 2000002;
  t.tcpi_segs_out = 300;
  t.tcpi_segs_in = 200;
  t.tcpi_busy_time = 4000;
  t.tcpi_rwnd_limited = 1000;
  t.tcpi_sndbuf_limited = 500;
  t.tcpi_delivered = 290;
  t.tcpi_delivered_ce = 2;
  t.tcpi_bytes_sent = 1000100;
  t.tcpi_bytes_retrans = 99;
  t.tcpi_snd_wnd = 131072;
  return t;
}

// A reader returning the first `length` bytes of `t`, as a kernel with a
// struct of that length would.
TcpInfoReader Bytes(const struct tcp_info& t, size_t length) {
  return [t, length](int) -> absl::StatusOr<RawTcpInfo> {
    RawTcpInfo raw;
    raw.bytes.resize(length);
    std::memcpy(raw.bytes.data(), &t, std::min(length, sizeof(t)));
    return raw;
  };
}

TcpInfo Read(const struct tcp_info& t, size_t length = sizeof(tcp_info)) {
  absl::StatusOr<TcpInfo> info = ReadTcpInfo(-1, Bytes(t, length));
  EXPECT_TRUE(info.ok()) << info.status();
  return info.ok() ? *info : TcpInfo{};
}

TEST(TcpInfoTest, AFullStructFillsEveryField) {
  TcpInfo info = Read(FullInfo());
  EXPECT_TRUE(info.is_tcp);
  EXPECT_EQ(info.length, sizeof(tcp_info));
  const TcpCounters& c = info.counters;
  EXPECT_EQ(c.total_retrans, 5u);
  EXPECT_EQ(c.segs_out, 300u);
  EXPECT_EQ(c.segs_in, 200u);
  EXPECT_EQ(c.delivered, 290u);
  EXPECT_EQ(c.delivered_ce, 2u);
  EXPECT_EQ(c.bytes_acked, 1000001u);
  EXPECT_EQ(c.bytes_received, 2000002u);
  EXPECT_EQ(c.bytes_sent, 1000100u);
  EXPECT_EQ(c.bytes_retrans, 99u);
  EXPECT_EQ(c.busy_time_us, 4000u);
  EXPECT_EQ(c.rwnd_limited_us, 1000u);
  EXPECT_EQ(c.sndbuf_limited_us, 500u);
  const TcpGauges& g = info.gauges;
  EXPECT_EQ(g.rtt_us, 41u);
  EXPECT_EQ(g.rttvar_us, 7u);
  EXPECT_EQ(g.snd_cwnd, 10u);
  EXPECT_EQ(g.snd_wnd, 131072u);
  EXPECT_EQ(g.rcv_space, 65483u);
  EXPECT_EQ(g.reordering, 3u);
}

TEST(TcpInfoTest, AnOlderKernelsShortStructLeavesItsMissingFieldsAbsent) {
  // Linux 4.9: the struct ends after tcpi_delivery_rate.
  TcpInfo v49 = Read(FullInfo(), offsetof(struct tcp_info, tcpi_busy_time));
  EXPECT_TRUE(v49.is_tcp);
  EXPECT_EQ(v49.counters.bytes_acked, 1000001u);
  EXPECT_EQ(v49.counters.segs_out, 300u);
  EXPECT_EQ(v49.gauges.rtt_us, 41u);
  EXPECT_FALSE(v49.counters.busy_time_us.has_value());
  EXPECT_FALSE(v49.counters.rwnd_limited_us.has_value());
  EXPECT_FALSE(v49.counters.delivered.has_value());
  EXPECT_FALSE(v49.counters.bytes_sent.has_value());
  EXPECT_FALSE(v49.gauges.snd_wnd.has_value());

  // Before 3.15: up to tcpi_total_retrans only.
  TcpInfo old = Read(FullInfo(), offsetof(struct tcp_info, tcpi_pacing_rate));
  EXPECT_EQ(old.counters.total_retrans, 5u);
  EXPECT_EQ(old.gauges.rcv_space, 65483u);
  EXPECT_FALSE(old.counters.bytes_acked.has_value());
  EXPECT_FALSE(old.counters.segs_out.has_value());

  // A length that ends inside a field leaves that field out.
  TcpInfo cut = Read(FullInfo(), offsetof(struct tcp_info, tcpi_snd_wnd) + 2);
  EXPECT_EQ(cut.counters.bytes_retrans, 99u);
  EXPECT_FALSE(cut.gauges.snd_wnd.has_value());

  TcpInfo none = Read(FullInfo(), 0);
  EXPECT_TRUE(none.is_tcp);
  EXPECT_FALSE(none.gauges.rtt_us.has_value());
  EXPECT_FALSE(none.counters.total_retrans.has_value());
}

TEST(TcpInfoTest, ANewerKernelsLongerStructIsReadUpToWhatThisBuildKnows) {
  TcpInfo info = Read(FullInfo(), sizeof(tcp_info) + 16);
  EXPECT_EQ(info.length, sizeof(tcp_info) + 16);
  EXPECT_EQ(info.gauges.snd_wnd, 131072u);
}

TEST(TcpInfoTest, NotTcpIsSaidAndHasNoFields) {
  absl::StatusOr<TcpInfo> info =
      ReadTcpInfo(-1, [](int) -> absl::StatusOr<RawTcpInfo> {
        RawTcpInfo raw;
        raw.not_tcp = "AF_UNIX SOCK_STREAM";
        return raw;
      });
  ASSERT_TRUE(info.ok());
  EXPECT_FALSE(info->is_tcp);
  EXPECT_EQ(info->not_tcp, "AF_UNIX SOCK_STREAM");
  for (const TcpCounterField& f : TcpCounterFields()) {
    EXPECT_FALSE((info->counters.*f.value).has_value()) << f.name;
  }
  for (const TcpGaugeField& f : TcpGaugeFields()) {
    EXPECT_FALSE((info->gauges.*f.value).has_value()) << f.name;
  }
}

TEST(TcpInfoTest, AReaderErrorIsReturned) {
  absl::StatusOr<TcpInfo> info =
      ReadTcpInfo(3, [](int) -> absl::StatusOr<RawTcpInfo> {
        return absl::InternalError("TCP_INFO on fd 3: boom");
      });
  EXPECT_EQ(info.status().message(), "TCP_INFO on fd 3: boom");
}

TEST(TcpInfoTest, RealSocketsThatAreNotTcp) {
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
  absl::StatusOr<TcpInfo> unix_info = ReadTcpInfo(pair[0]);
  ASSERT_TRUE(unix_info.ok()) << unix_info.status();
  EXPECT_FALSE(unix_info->is_tcp);
  EXPECT_EQ(unix_info->not_tcp, "AF_UNIX SOCK_STREAM");
  close(pair[0]);
  close(pair[1]);

  const int udp = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(udp, 0);
  absl::StatusOr<TcpInfo> udp_info = ReadTcpInfo(udp);
  ASSERT_TRUE(udp_info.ok()) << udp_info.status();
  EXPECT_FALSE(udp_info->is_tcp);
  EXPECT_EQ(udp_info->not_tcp, "AF_INET SOCK_DGRAM protocol 17");
  close(udp);

  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  absl::StatusOr<TcpInfo> pipe_info = ReadTcpInfo(pipe_fds[0]);
  ASSERT_TRUE(pipe_info.ok()) << pipe_info.status();
  EXPECT_EQ(pipe_info->not_tcp, "not a socket");
  close(pipe_fds[0]);
  close(pipe_fds[1]);

  absl::StatusOr<TcpInfo> closed = ReadTcpInfo(pipe_fds[0]);
  ASSERT_FALSE(closed.ok());
  EXPECT_EQ(
      closed.status().message(),
      absl::StrCat("SO_PROTOCOL on fd ", pipe_fds[0], ": Bad file descriptor"));
}

TEST(TcpInfoDeltaTest, CountersIncreaseAndGaugesAreTheEndValues) {
  struct tcp_info t0 = FullInfo();
  struct tcp_info t1 = FullInfo();
  t1.tcpi_total_retrans += 2;
  t1.tcpi_segs_out += 1000;
  t1.tcpi_bytes_acked += 1 << 20;
  t1.tcpi_busy_time += 250000;
  t1.tcpi_rtt = 55;
  t1.tcpi_snd_cwnd = 20;
  TcpInfoDelta d = Delta(Read(t0), Read(t1));
  ASSERT_TRUE(d.is_tcp);
  EXPECT_EQ(d.counters.total_retrans, 2u);
  EXPECT_EQ(d.counters.segs_out, 1000u);
  EXPECT_EQ(d.counters.bytes_acked, 1u << 20);
  EXPECT_EQ(d.counters.busy_time_us, 250000u);
  EXPECT_EQ(d.counters.bytes_received, 0u);  // present, and did not grow
  EXPECT_EQ(d.gauges.rtt_us, 55u);
  EXPECT_EQ(d.gauges.snd_cwnd, 20u);
  EXPECT_EQ(d.gauges.snd_wnd, 131072u);
}

TEST(TcpInfoDeltaTest, A32BitCounterWrapsAndA64BitOneThatFellIsAbsent) {
  struct tcp_info t0 = FullInfo();
  struct tcp_info t1 = FullInfo();
  t0.tcpi_segs_out = 0xFFFFFFF0u;
  t1.tcpi_segs_out = 0x10;
  t1.tcpi_bytes_sent = t0.tcpi_bytes_sent - 1;
  TcpInfoDelta d = Delta(Read(t0), Read(t1));
  EXPECT_EQ(d.counters.segs_out, 0x20u);
  EXPECT_FALSE(d.counters.bytes_sent.has_value());
  EXPECT_EQ(d.counters.bytes_retrans, 0u);
}

TEST(TcpInfoDeltaTest, AFieldMissingFromEitherReadingIsAbsent) {
  TcpInfo shorter = Read(FullInfo(), offsetof(struct tcp_info, tcpi_busy_time));
  TcpInfoDelta d = Delta(shorter, Read(FullInfo()));
  EXPECT_EQ(d.counters.bytes_acked, 0u);
  EXPECT_FALSE(d.counters.busy_time_us.has_value());
  EXPECT_FALSE(Delta(Read(FullInfo()), shorter).gauges.snd_wnd.has_value());
}

TEST(TcpInfoDeltaTest, NotTcpAtEitherEndIsNotTcp) {
  RawTcpInfo raw;
  raw.not_tcp = "AF_UNIX SOCK_STREAM";
  TcpInfoDelta d = Delta(ParseTcpInfo(raw), Read(FullInfo()));
  EXPECT_FALSE(d.is_tcp);
  EXPECT_EQ(d.not_tcp, "AF_UNIX SOCK_STREAM");
  EXPECT_FALSE(d.counters.segs_out.has_value());
  EXPECT_FALSE(Delta(Read(FullInfo()), ParseTcpInfo(raw)).is_tcp);
}

TcpInfoDelta Connection(uint64_t retrans, uint64_t segs, uint32_t rtt) {
  TcpInfoDelta d;
  d.is_tcp = true;
  d.counters.total_retrans = retrans;
  d.counters.segs_out = segs;
  d.gauges.rtt_us = rtt;
  d.gauges.snd_cwnd = 10;
  return d;
}

TEST(TcpInfoMergeTest, SumsTheCountersAndTakesMedianAndMaxOfTheGauges) {
  TcpInfoDelta unix_end;
  unix_end.not_tcp = "AF_UNIX SOCK_STREAM";
  TcpInfoMerged m = Merge({Connection(1, 100, 30), Connection(2, 200, 90),
                           Connection(0, 300, 40), unix_end});
  EXPECT_EQ(m.connections, 3);
  EXPECT_EQ(m.not_tcp, 1);
  EXPECT_EQ(m.sum.total_retrans, 3u);
  EXPECT_EQ(m.sum.segs_out, 600u);
  EXPECT_FALSE(m.sum.bytes_acked.has_value());  // no connection had it
  ASSERT_TRUE(m.gauges.rtt_us.has_value());
  EXPECT_EQ(m.gauges.rtt_us->median, 40);
  EXPECT_EQ(m.gauges.rtt_us->max, 90u);
  EXPECT_EQ(m.gauges.snd_cwnd->median, 10);
  EXPECT_FALSE(m.gauges.snd_wnd.has_value());

  TcpInfoMerged even = Merge({Connection(1, 100, 30), Connection(2, 200, 45)});
  EXPECT_EQ(even.gauges.rtt_us->median, 37.5);
}

TEST(TcpInfoMergeTest, AFieldSomeConnectionLacksIsAbsentNotAPartialSum) {
  TcpInfoDelta lacking = Connection(1, 100, 30);
  lacking.counters.total_retrans.reset();
  lacking.gauges.rtt_us.reset();
  TcpInfoMerged m = Merge({Connection(1, 100, 30), lacking});
  EXPECT_FALSE(m.sum.total_retrans.has_value());
  EXPECT_EQ(m.sum.segs_out, 200u);
  EXPECT_FALSE(m.gauges.rtt_us.has_value());
}

TEST(TcpInfoMergeTest, NoTcpConnectionMergesToNothing) {
  TcpInfoMerged m = Merge({});
  EXPECT_EQ(m.connections, 0);
  EXPECT_FALSE(m.sum.segs_out.has_value());
  EXPECT_FALSE(m.gauges.rtt_us.has_value());
}

TEST(TcpInfoTest, FieldNamesAreDistinct) {
  std::set<std::string> names;
  for (const TcpCounterField& f : TcpCounterFields()) names.insert(f.name);
  for (const TcpGaugeField& f : TcpGaugeFields()) names.insert(f.name);
  EXPECT_EQ(names.size(), 18u);
}

}  // namespace
}  // namespace copyscope::engine
