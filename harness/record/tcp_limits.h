// What held a cell's TCP connections back, from the TCP_INFO its sending
// ends recorded (Connection.server_tcp / client_tcp: the server in stream
// server-to-client, the client in client-to-server, both in rr): the share
// of segments retransmitted, the share of the senders' windows spent
// limited by the receive window or by the send buffer, or busy at all, the
// median end RTT and congestion window, and one line naming what stands
// out.
//
//   TcpLimits l = TcpLimitsOf(cell.key(), sample);
//   ExplainLimits(l);  // "3.1% of segments retransmitted, rwnd-limited 40%
//                      // of the time", or "" when nothing stands out
//
// What stands out (strictly above):
//   - retransmitted > kRetransmitNotable (0.1%) of the segments sent: loss
//     or reordering cost the senders, even on a veth;
//   - rwnd-limited or sndbuf-limited > kLimitedNotable (10%) of the window:
//     the receiver's window or the sender's buffer, not the copy path,
//     set the pace for that long.
// `busy` is reported but never flagged: a sender with nothing in flight or
// queued is waiting for its application, the path copyscope measures.
//
// A time fraction is the senders' summed time over their summed windows.
// The kernel keeps these times in jiffies, so a fraction is within a few
// milliseconds per window of the truth, may exceed 1 by as much, and is
// not clamped. A figure whose inputs are missing (an older kernel, no
// segment sent, no TCP connection, no window) is absent, never 0.
#ifndef COPYSCOPE_HARNESS_RECORD_TCP_LIMITS_H_
#define COPYSCOPE_HARNESS_RECORD_TCP_LIMITS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "harness/record/record.pb.h"

namespace copyscope::record {

inline constexpr double kRetransmitNotable = 0.001;
inline constexpr double kLimitedNotable = 0.10;

struct TcpLimits {
  int senders = 0;                      // sending ends with TCP_INFO
  std::optional<uint64_t> retrans;      // segments retransmitted
  std::optional<double> retransmitted;  // retrans / segments sent
  std::optional<double> rwnd_limited;   // of the window
  std::optional<double> sndbuf_limited;
  std::optional<double> busy;      // limits included
  std::optional<double> rtt_us;    // median over the senders, at the end
  std::optional<double> snd_cwnd;  // median, segments
};

TcpLimits TcpLimitsOf(const CellKey& key, const Sample& sample);

// The line naming what stands out; "" when nothing does.
std::string ExplainLimits(const std::optional<double>& retransmitted,
                          const std::optional<double>& rwnd_limited,
                          const std::optional<double>& sndbuf_limited);
inline std::string ExplainLimits(const TcpLimits& l) {
  return ExplainLimits(l.retransmitted, l.rwnd_limited, l.sndbuf_limited);
}

// crr: what went wrong setting connections up over a cell's ok samples
// (Sample.connection_setup, the namespaces' TcpExt counters over each
// side's window): the server's listen queue overflowed (ListenOverflows)
// or its listener dropped SYNs otherwise (ListenDrops beyond the
// overflows, TCPReqQFullDrop), connects were retried (the client's
// TCPSynRetrans), or sockets skipped TIME_WAIT because the table was full
// (the client's TCPTimeWaitOverflow, net.ipv4.tcp_max_tw_buckets), or a
// client thread made more connections to its server port in a sample than
// kPortUseNotable of the ephemeral ports (connections_to_one_port: past
// half, connect() searches ports held in TIME_WAIT and the rate falls,
// harness/engine/net_stats.h); "" when nothing was, e.g. "listen queue
// overflowed 12 times in 2 of 5 samples (ListenOverflows), connects
// retried: 3 SYNs sent again in 1 of 5 samples (TCPSynRetrans)". The
// counters are the namespace's: on loopback other connections made
// meanwhile count too.
inline constexpr double kPortUseNotable = 0.5;
std::string ExplainConnectionSetup(const Cell& cell);

// Whether connect() may take a port whose socket to the same server is in
// TIME_WAIT, once it is 1 s old: net.ipv4.tcp_tw_reuse 1, or 2 with the
// server on 127.0.0.0/8 (the kernel's tcp_twsk_unique).
bool TimeWaitReused(const ConnectionSetup& client);

}  // namespace copyscope::record

#endif  // COPYSCOPE_HARNESS_RECORD_TCP_LIMITS_H_
