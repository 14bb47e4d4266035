#include "harness/record/tcp_limits.h"

#include <algorithm>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"

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
  const bool rr = key.mode() == "rr" || key.mode() == "crr";
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

bool TimeWaitReused(const ConnectionSetup& c) {
  if (!c.has_tcp_tw_reuse()) return false;
  return c.tcp_tw_reuse() == 1 ||
         (c.tcp_tw_reuse() == 2 &&
          absl::StartsWith(c.server_address(), "127."));
}

std::string ExplainConnectionSetup(const Cell& cell) {
  struct Seen {
    uint64_t total = 0;
    int samples = 0;
  };
  // counter -> what its increase means, and the side whose namespace says.
  struct Kind {
    const char* counter;
    const char* side;
    const char* what;  // "%s" for the count
  };
  static constexpr Kind kKinds[] = {
      {"ListenOverflows", "server", "listen queue overflowed %s times"},
      {"ListenDrops", "server", "listener dropped %s SYNs or handshakes"},
      {"TCPReqQFullDrop", "server", "SYN queue full: %s SYNs dropped"},
      {"TCPSynRetrans", "client", "connects retried: %s SYNs sent again"},
      {"TCPTimeWaitOverflow", "client",
       "TIME_WAIT table full (net.ipv4.tcp_max_tw_buckets): %s sockets closed "
       "without TIME_WAIT"},
  };
  std::vector<Seen> seen(sizeof(kKinds) / sizeof(kKinds[0]));
  int ok = 0;
  // Ports: the most of them held past the notable share (port_use_pct),
  // the samples where it was, the range, and whether TIME_WAIT was reused.
  double most = 0;
  int crowded = 0;
  uint32_t ports = 0;
  bool reused = false;
  std::optional<int32_t> reuse;
  for (const Sample& s : cell.samples()) {
    if (s.status() != "ok") continue;
    ++ok;
    std::vector<uint64_t> here(seen.size(), 0);
    double use = -1;
    for (const Metric& m : s.metrics()) {
      if (m.name() == "port_use_pct") use = m.value() / 100;
    }
    for (const ConnectionSetup& c : s.connection_setup()) {
      if (!c.error().empty()) continue;
      if (c.side() == "client" && c.ephemeral_ports() > 0 &&
          use > kPortUseNotable) {
        ++crowded;
        most = std::max(most, use);
        ports = c.ephemeral_ports();
        reused = TimeWaitReused(c);
        if (c.has_tcp_tw_reuse()) reuse = c.tcp_tw_reuse();
      }
      for (size_t k = 0; k < seen.size(); ++k) {
        if (c.side() != kKinds[k].side) continue;
        here[k] += Find(c.tcp_ext(), kKinds[k].counter).value_or(0);
      }
    }
    // ListenDrops counts the overflows too: only the rest is news.
    here[1] = here[1] > here[0] ? here[1] - here[0] : 0;
    for (size_t k = 0; k < seen.size(); ++k) {
      seen[k].total += here[k];
      seen[k].samples += here[k] > 0 ? 1 : 0;
    }
  }
  std::vector<std::string> notes;
  if (crowded > 0) {
    const std::string r = reuse ? absl::StrCat(*reuse) : std::string("?");
    notes.push_back(absl::StrCat(
        "connections to one server port held up to ", Percent(most), " of the ",
        ports, " ephemeral ports in TIME_WAIT, in ", crowded, " of ", ok,
        " samples",
        reused ? absl::StrCat(" (in one second: net.ipv4.tcp_tw_reuse ", r,
                              " reuses them after that)")
               : absl::StrCat(" (net.ipv4.tcp_tw_reuse ", r,
                              " does not reuse them here)"),
        ": past half, each connect() searches through them and the rate "
        "falls; ",
        reused ? "fewer connections a second per thread (more threads)"
               : "shorten the samples (--duration)"));
  }
  for (size_t k = 0; k < seen.size(); ++k) {
    if (seen[k].samples == 0) continue;
    notes.push_back(
        absl::StrCat(absl::StrReplaceAll(kKinds[k].what,
                                         {{"%s", absl::StrCat(seen[k].total)}}),
                     " in ", seen[k].samples, " of ", ok, " samples (",
                     kKinds[k].counter, ")"));
  }
  return absl::StrJoin(notes, ", ");
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
