// TCP_INFO of a cell's connections over its measured interval: segments
// and bytes sent, retransmitted, delivered and acknowledged, the time the
// sender was busy or held back by the receive window or its send buffer,
// and, at the interval's end, RTT, cwnd and the windows. Read on each
// connection's socket at the edges of the interval, merged over the cell.
//
//   absl::StatusOr<TcpInfo> before = ReadTcpInfo(fd);  // window opens
//   ... the measured interval ...
//   absl::StatusOr<TcpInfo> after = ReadTcpInfo(fd);   // window closes
//   TcpInfoDelta d = Delta(*before, *after);
//   TcpInfoMerged cell = Merge({d0, d1});     // over the cell's connections
//   cell.sum.total_retrans;                   // retransmitted segments
//   cell.gauges.rtt_us->median;               // median of the end RTTs
//
// A field the kernel did not fill is absent, never 0. TCP_INFO grew at its
// end over the years (bytes_acked 4.1, segs_out 4.2, busy and limited
// times 4.10, delivered 4.18, bytes_sent 4.19, snd_wnd 5.4): the kernel
// copies as much of it as it has and says how much, and a field is present
// when that length covers it. A socket that is not TCP (AF_UNIX, UDP, a
// pipe) reads as is_tcp == false, saying what it is, with no field at all.
//
// Which end counts what: segments out, retransmissions, bytes sent, acked
// and retransmitted, delivered and the busy and limited times belong to
// the sending end; segs_in and bytes_received to the receiving end. The
// busy and limited times are kept by the kernel in jiffies (1 to 10 ms,
// per its HZ): each reading is rounded to one.
//
// In the record (side_run.h writes it): per Connection, each end's deltas
// and end gauges as a record::TcpEnd named as in TcpCounterFields() and
// TcpGaugeFields() (an absent field is left out), or its `not_tcp`. The
// figures over a cell's sending ends (retransmitted share, limited times,
// RTT) are the record's: record/tcp_limits.h.
#ifndef COPYSCOPE_HARNESS_ENGINE_TCP_INFO_H_
#define COPYSCOPE_HARNESS_ENGINE_TCP_INFO_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace copyscope::engine {

// Counters since the connection opened (in a TcpInfoDelta: over the
// interval). Times are in microseconds.
struct TcpCounters {
  std::optional<uint64_t> total_retrans;  // segments retransmitted
  std::optional<uint64_t> segs_out;       // segments sent, retransmits too
  std::optional<uint64_t> segs_in;
  std::optional<uint64_t> delivered;     // segments delivered to the peer
  std::optional<uint64_t> delivered_ce;  // of which marked CE (ECN)
  std::optional<uint64_t> bytes_acked;
  std::optional<uint64_t> bytes_received;
  std::optional<uint64_t> bytes_sent;  // retransmitted bytes too
  std::optional<uint64_t> bytes_retrans;
  std::optional<uint64_t> busy_time_us;       // data in flight or queued (the
                                              // limited times included)
  std::optional<uint64_t> rwnd_limited_us;    // held by the receive window
  std::optional<uint64_t> sndbuf_limited_us;  // held by the send buffer
};

// Values at the moment of reading.
struct TcpGauges {
  std::optional<uint32_t> rtt_us;      // smoothed RTT
  std::optional<uint32_t> rttvar_us;   // its mean deviation
  std::optional<uint32_t> snd_cwnd;    // congestion window, segments
  std::optional<uint32_t> snd_wnd;     // the peer's receive window, bytes
  std::optional<uint32_t> rcv_space;   // receive buffer autotuning, bytes
  std::optional<uint32_t> reordering;  // segments the sender tolerates
};

// One reading of a socket's TCP_INFO.
struct TcpInfo {
  bool is_tcp = false;
  std::string not_tcp;  // when !is_tcp: what it is ("AF_UNIX SOCK_STREAM")
  size_t length = 0;    // bytes of struct tcp_info the kernel filled
  TcpCounters counters;
  TcpGauges gauges;
};

// What one getsockopt(TCP_INFO) gave, as a test can fake it.
struct RawTcpInfo {
  std::string not_tcp;  // non-empty: not a TCP socket, and what it is
  // Otherwise struct tcp_info as the kernel filled it: bytes.size() is the
  // length getsockopt returned (shorter on older kernels; longer than this
  // build's struct on newer ones, the tail then ignored).
  std::vector<uint8_t> bytes;
};

// Reads fd's TCP_INFO; errors are failed system calls (e.g. a closed fd).
using TcpInfoReader = std::function<absl::StatusOr<RawTcpInfo>(int fd)>;

// The kernel's reader: SO_PROTOCOL first (not TCP: SO_DOMAIN and SO_TYPE
// say what it is; ENOTSOCK: "not a socket"), then TCP_INFO. Two system
// calls; thread-safe.
absl::StatusOr<RawTcpInfo> GetsockoptTcpInfo(int fd);

// The fields `raw` covers; the rest absent.
TcpInfo ParseTcpInfo(const RawTcpInfo& raw);

// read(fd), parsed.
absl::StatusOr<TcpInfo> ReadTcpInfo(
    int fd, const TcpInfoReader& read = GetsockoptTcpInfo);

// One connection over an interval: the counters' increase (present when
// both readings have the counter; the kernel's 32-bit counters are taken
// modulo 2^32, right unless one wrapped more than once; a 64-bit counter
// that went back, i.e. readings of two different sockets, is absent) and
// the gauges at its end. Not TCP when either reading is not.
struct TcpInfoDelta {
  bool is_tcp = false;
  std::string not_tcp;
  TcpCounters counters;
  TcpGauges gauges;
};
TcpInfoDelta Delta(const TcpInfo& before, const TcpInfo& after);

// A gauge over a cell's connections.
struct GaugeStats {
  double median = 0;  // of the connections' end values
  uint32_t max = 0;
};
struct TcpGaugeStats {
  std::optional<GaugeStats> rtt_us;
  std::optional<GaugeStats> rttvar_us;
  std::optional<GaugeStats> snd_cwnd;
  std::optional<GaugeStats> snd_wnd;
  std::optional<GaugeStats> rcv_space;
  std::optional<GaugeStats> reordering;
};

// The TCP connections of a cell. A counter (gauge) is present when every
// merged connection has it: a sum over some is no total.
struct TcpInfoMerged {
  int connections = 0;  // TCP deltas merged
  int not_tcp = 0;      // deltas left out: not TCP
  TcpCounters sum;      // the deltas summed
  TcpGaugeStats gauges;
};
TcpInfoMerged Merge(const std::vector<TcpInfoDelta>& deltas);

// The fields by name, for writing them out (e.g. as record::NamedCount).
struct TcpCounterField {
  const char* name;  // "total_retrans", "busy_time_us", ...
  std::optional<uint64_t> TcpCounters::*value;
};
struct TcpGaugeField {
  const char* name;  // "rtt_us", "snd_cwnd", ...
  std::optional<uint32_t> TcpGauges::*value;
  std::optional<GaugeStats> TcpGaugeStats::*stats;
};
absl::Span<const TcpCounterField> TcpCounterFields();
absl::Span<const TcpGaugeField> TcpGaugeFields();

}  // namespace copyscope::engine

#endif  // COPYSCOPE_HARNESS_ENGINE_TCP_INFO_H_
