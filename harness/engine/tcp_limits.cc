#include "harness/engine/tcp_limits.h"

#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace copyscope::engine {
namespace {

// A percentage with two significant digits, at most: "40", "3.1", "0.15".
std::string Percent(double fraction) {
  const double p = fraction * 100;
  if (p >= 10) return absl::StrFormat("%.0f%%", p);
  if (p >= 1) return absl::StrFormat("%.1f%%", p);
  return absl::StrFormat("%.2g%%", p);
}

}  // namespace

TcpLimits DeriveTcpLimits(const TcpInfoMerged& merged, absl::Duration window) {
  TcpLimits l;
  const TcpCounters& sum = merged.sum;
  if (sum.total_retrans.has_value() && sum.segs_out.has_value() &&
      *sum.segs_out > 0) {
    l.retransmitted = static_cast<double>(*sum.total_retrans) /
                      static_cast<double>(*sum.segs_out);
  }
  const double connection_us =
      absl::ToDoubleMicroseconds(window) * merged.connections;
  auto of_window = [&](const std::optional<uint64_t>& us) {
    std::optional<double> f;
    if (us.has_value() && connection_us > 0) {
      f = static_cast<double>(*us) / connection_us;
    }
    return f;
  };
  l.rwnd_limited = of_window(sum.rwnd_limited_us);
  l.sndbuf_limited = of_window(sum.sndbuf_limited_us);
  l.busy = of_window(sum.busy_time_us);

  std::vector<std::string> notes;
  if (l.retransmitted.has_value() && *l.retransmitted > kRetransmitNotable) {
    notes.push_back(Percent(*l.retransmitted) + " of segments retransmitted");
  }
  if (l.rwnd_limited.has_value() && *l.rwnd_limited > kLimitedNotable) {
    notes.push_back("rwnd-limited " + Percent(*l.rwnd_limited) +
                    " of the time");
  }
  if (l.sndbuf_limited.has_value() && *l.sndbuf_limited > kLimitedNotable) {
    notes.push_back("sndbuf-limited " + Percent(*l.sndbuf_limited) +
                    " of the time");
  }
  l.explanation = absl::StrJoin(notes, ", ");
  return l;
}

}  // namespace copyscope::engine
