// What held a cell's TCP connections back, from their merged TCP_INFO
// deltas (tcp_info.h) and the measured window: the share of segments
// retransmitted, the share of the window the senders spent limited by the
// receive window or by their send buffer, or busy at all, and one line
// naming what stands out.
//
//   TcpInfoMerged senders = Merge(sending_end_deltas);
//   TcpLimits l = DeriveTcpLimits(senders, window);
//   l.explanation;  // "3.1% of segments retransmitted, rwnd-limited 40% of
//                   // the time", or "" when nothing stands out
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
// A time fraction is the connections' summed time over connections x
// window, i.e. their mean when they share the window (pass the senders'
// window; with several, their mean). The kernel keeps these times in
// jiffies, so a fraction is within a few milliseconds per window of the
// truth, may exceed 1 by as much, and is not clamped. Pure: no I/O.
#ifndef COPYSCOPE_HARNESS_ENGINE_TCP_LIMITS_H_
#define COPYSCOPE_HARNESS_ENGINE_TCP_LIMITS_H_

#include <optional>
#include <string>

#include "absl/time/time.h"
#include "harness/engine/tcp_info.h"

namespace copyscope::engine {

inline constexpr double kRetransmitNotable = 0.001;
inline constexpr double kLimitedNotable = 0.10;

// Each figure is absent when its inputs are (an older kernel, no segment
// sent, no TCP connection, an empty window).
struct TcpLimits {
  std::optional<double> retransmitted;   // total_retrans / segs_out
  std::optional<double> rwnd_limited;    // of the window
  std::optional<double> sndbuf_limited;  // of the window
  std::optional<double> busy;            // of the window, limits included
  std::string explanation;               // "" when nothing stands out
};

TcpLimits DeriveTcpLimits(const TcpInfoMerged& merged, absl::Duration window);

}  // namespace copyscope::engine

#endif  // COPYSCOPE_HARNESS_ENGINE_TCP_LIMITS_H_
