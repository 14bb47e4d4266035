#include "harness/record/tcp_limits.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace copyscope::record {
namespace {

// A percentage with two significant digits, at most: "40", "3.1", "0.15".
std::string Percent(double fraction) {
  const double p = fraction * 100;
  if (p >= 10) return absl::StrFormat("%.0f%%", p);
  if (p >= 1) return absl::StrFormat("%.1f%%", p);
  return absl::StrFormat("%.2g%%", p);
}

std::optional<uint64_t> Find(
    const google::protobuf::RepeatedPtrField<NamedCount>& in,
    const char* name) {
  for (const NamedCount& c : in) {
    if (c.name() == name) return c.value();
  }
  return std::nullopt;
}

// A sum over the senders, present only when every sender has it.
class Sum {
 public:
  void Add(std::optional<uint64_t> v) {
    if (!v) missing_ = true;
    total_ += v.value_or(0);
  }
  std::optional<uint64_t> get() const {
    if (missing_) return std::nullopt;
    return total_;
  }

 private:
  uint64_t total_ = 0;
  bool missing_ = false;
};

std::optional<double> Median(std::vector<double> v) {
  if (v.empty()) return std::nullopt;
  std::sort(v.begin(), v.end());
  const size_t mid = v.size() / 2;
  return v.size() % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

}  // namespace

TcpLimits TcpLimitsOf(const CellKey& key, const Sample& sample) {
  const bool rr = key.mode() == "rr";
  const bool server_sends = rr || key.direction() != "client-to-server";
  const bool client_sends = rr || !server_sends;
  TcpLimits l;
  Sum retrans, segs, rwnd, sndbuf, busy;
  double window_us = 0;
  std::vector<double> rtts, cwnds;
  for (const Connection& c : sample.connections()) {
    for (const auto& [sends, end, report] :
         {std::make_tuple(server_sends, &c.server_tcp(), &c.server()),
          std::make_tuple(client_sends, &c.client_tcp(), &c.client())}) {
      if (!sends || !end->not_tcp().empty() || end->counters().empty()) {
        continue;
      }
      ++l.senders;
      retrans.Add(Find(end->counters(), "total_retrans"));
      segs.Add(Find(end->counters(), "segs_out"));
      rwnd.Add(Find(end->counters(), "rwnd_limited_us"));
      sndbuf.Add(Find(end->counters(), "sndbuf_limited_us"));
      busy.Add(Find(end->counters(), "busy_time_us"));
      window_us += report->window_s() * 1e6;
      if (auto rtt = Find(end->gauges(), "rtt_us")) rtts.push_back(*rtt);
      if (auto cwnd = Find(end->gauges(), "snd_cwnd")) cwnds.push_back(*cwnd);
    }
  }
  if (l.senders == 0) return l;
  l.retrans = retrans.get();
  if (l.retrans && segs.get() && *segs.get() > 0) {
    l.retransmitted =
        static_cast<double>(*l.retrans) / static_cast<double>(*segs.get());
  }
  auto of_window = [&](const Sum& s) -> std::optional<double> {
    if (!s.get() || window_us <= 0) return std::nullopt;
    return static_cast<double>(*s.get()) / window_us;
  };
  l.rwnd_limited = of_window(rwnd);
  l.sndbuf_limited = of_window(sndbuf);
  l.busy = of_window(busy);
  l.rtt_us = Median(rtts);
  l.snd_cwnd = Median(cwnds);
  return l;
}

std::string ExplainLimits(const std::optional<double>& retransmitted,
                          const std::optional<double>& rwnd_limited,
                          const std::optional<double>& sndbuf_limited) {
  std::vector<std::string> notes;
  if (retransmitted && *retransmitted > kRetransmitNotable) {
    notes.push_back(Percent(*retransmitted) + " of segments retransmitted");
  }
  if (rwnd_limited && *rwnd_limited > kLimitedNotable) {
    notes.push_back("rwnd-limited " + Percent(*rwnd_limited) + " of the time");
  }
  if (sndbuf_limited && *sndbuf_limited > kLimitedNotable) {
    notes.push_back("sndbuf-limited " + Percent(*sndbuf_limited) +
                    " of the time");
  }
  return absl::StrJoin(notes, ", ");
}

}  // namespace copyscope::record
