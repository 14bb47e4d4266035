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

}  // namespace copyscope::record

#endif  // COPYSCOPE_HARNESS_RECORD_TCP_LIMITS_H_
