#include "harness/record/metrics.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "harness/record/perf_counter.h"
#include "harness/record/tcp_limits.h"

namespace copyscope::record {
namespace {

constexpr Better kHigher = Better::kHigher;
constexpr Better kLower = Better::kLower;
constexpr Better kNeither = Better::kNeither;

const std::vector<MetricDef>& Table() {
  static const std::vector<MetricDef>* const table = new std::vector<MetricDef>{
      // The reference studies' columns first.
      {"throughput_gbps", "Gbit/s",
       "bytes received per second in the measured interval, all connections",
       "sum over connections of bytes * 8 / the measuring side's window, / 1e9",
       kHigher, "", "throughput_gbps", 4,
       "throughput_vs_size,throughput_vs_threads,speedup_vs_threads,"
       "efficiency_vs_threads"},
      {"latency_p50_us", "us",
       "median round trip at the client (crr: whole transaction, connect to "
       "close)",
       "50th percentile of the merged round-trip histogram", kLower, "rr,crr",
       "latency_us", 3, "latency_vs_threads"},
      {"cycles", "cycles", "CPU cycles of both roles' threads",
       "server_cycles + client_cycles", kLower, "", "cycles", 0, ""},
      {"l1_misses", "misses", "L1 data cache load misses of both roles",
       "server_l1_misses + client_l1_misses", kLower, "", "l1_misses", 0, ""},
      {"llc_misses", "misses", "last-level cache misses of both roles",
       "server_llc_misses + client_llc_misses", kLower, "", "llc_misses", 0,
       ""},
      {"cs", "switches", "context switches of both roles' threads",
       "server_cs + client_cs", kLower, "", "cs", 0, ""},
      // Rates and latency.
      {"messages_per_sec", "msg/s", "messages received per second",
       "sum over connections of messages / window", kHigher, "stream",
       "messages_per_sec", 1, ""},
      {"mean_us_per_msg", "us",
       "mean spacing of messages on one connection (not a latency)",
       "mean over connections of window / messages * 1e6", kNeither, "stream",
       "mean_us_per_msg", 4, ""},
      {"transactions_per_sec", "tx/s",
       "round trips completed per second on open connections",
       "sum over connections of transactions / window", kHigher, "rr",
       "transactions_per_sec", 1,
       "throughput_vs_size,throughput_vs_threads,speedup_vs_threads,"
       "efficiency_vs_threads"},
      {"connections_per_sec", "conn/s",
       "connections per second, each connected, used for one request and "
       "response, and closed",
       "sum over connections (client threads) of transactions / window",
       kHigher, "crr", "connections_per_sec", 1,
       "connection_rate,throughput_vs_size,throughput_vs_threads,"
       "speedup_vs_threads,efficiency_vs_threads"},
      {"latency_p90_us", "us", "90th percentile round trip (crr: transaction)",
       "from the merged round-trip histogram", kLower, "rr,crr",
       "latency_p90_us", 3, ""},
      {"latency_p99_us", "us", "99th percentile round trip (crr: transaction)",
       "from the merged round-trip histogram", kLower, "rr,crr",
       "latency_p99_us", 3, "latency_vs_threads"},
      {"latency_p999_us", "us",
       "99.9th percentile round trip (crr: transaction)",
       "from the merged round-trip histogram", kLower, "rr,crr",
       "latency_p999_us", 3, ""},
      {"latency_max_us", "us", "slowest round trip (crr: transaction)",
       "histogram maximum", kLower, "rr,crr", "latency_max_us", 3, ""},
      {"latency_mean_us", "us", "mean round trip (crr: transaction)",
       "histogram mean", kLower, "rr,crr", nullptr, 0, ""},
      // Connection setup (crr): the namespaces' figures over the window
      // (Sample.connection_setup).
      {"time_wait_sockets", "sockets",
       "sockets in TIME_WAIT in the client's namespace when its window closed",
       "/proc/net/sockstat tw at the client side's last window closing",
       kNeither, "crr", "time_wait_sockets", 0, ""},
      {"listen_overflows", "connections",
       "connections the servers' listen queues had no room for",
       "increase of TcpExt ListenOverflows in the server's namespace over its "
       "window",
       kLower, "crr", "listen_overflows", 0, ""},
      {"listen_drops", "connections",
       "SYNs and handshakes the servers' listeners dropped (overflows "
       "included)",
       "increase of TcpExt ListenDrops in the server's namespace over its "
       "window",
       kLower, "crr", nullptr, 0, ""},
      {"syn_retrans", "segments", "SYNs sent again: connects retried",
       "increase of TcpExt TCPSynRetrans in the client's namespace over its "
       "window",
       kLower, "crr", "syn_retrans", 0, ""},
      {"port_use_pct", "%",
       "ephemeral ports one client thread's connections to its server port "
       "hold in TIME_WAIT where connect() cannot reuse them, as a share of "
       "the range (past 50% connect() searches through them and the rate "
       "falls)",
       "100 * connections_to_one_port / ephemeral_ports; where "
       "net.ipv4.tcp_tw_reuse applies (1, or 2 on 127.0.0.0/8), which "
       "reuses a port after 1 s, only one second's: at most the fastest "
       "client thread's connections per second",
       kLower, "crr", "port_use_pct", 1, ""},
      // CPU per role.
      {"{role}_cpu_util", "CPUs",
       "CPU time of the role's threads per second of the measured interval "
       "(1.0 = one CPU busy)",
       "sum over the role's threads of (user + system CPU) / window", kLower,
       "", "{role}_cpu_util", 4, ""},
      {"{role}_bytes_per_cpu_s", "B/CPU-s",
       "bytes moved per second of the role's CPU time",
       "bytes / sum over the role's threads of (user + system CPU)", kHigher,
       "", "{role}_bytes_per_cpu_s", 0, ""},
      {"{role}_cs", "switches", "context switches of the role's threads",
       "sum of voluntary + involuntary context switches (rusage)", kLower, "",
       "{role}_cs", 0, ""},
      {"{role}_cycles", "cycles", "CPU cycles of the role's threads",
       "sum of the threads' cycles (perf)", kLower, "", "{role}_cycles", 0, ""},
      {"{role}_l1_misses", "misses", "L1 data cache load misses of the role",
       "sum of the threads' L1-dcache-load-misses (perf)", kLower, "", nullptr,
       0, ""},
      {"{role}_llc_misses", "misses", "last-level cache misses of the role",
       "sum of the threads' cache-misses (perf)", kLower, "", nullptr, 0, ""},
      {"starved_connections", "connections",
       "connections that received nothing in their measured interval (no "
       "CPU time for them while the others ran)",
       "count of connections with no message in their window; the rates "
       "above add only the others",
       kNeither, "", nullptr, 0, ""},
      {"zc_copied_fraction", "fraction",
       "zero-copy sends the kernel copied anyway",
       "zerocopy_copied / zerocopy_completions of both sides' plugin counters",
       kLower, "", "zc_copied_fraction", 4, "zc_copied_vs_size"},
      // Normalised per byte and per second, both roles.
      {"bytes", "bytes", "bytes received in the measured interval",
       "sum over connections of bytes", kNeither, "", nullptr, 0, ""},
      {"cycles_per_byte", "cycles/B", "CPU cycles of both roles per byte",
       "cycles / bytes (or the sum of the roles' figures)", kLower, "", nullptr,
       0, "cycles_per_byte_vs_size"},
      {"llc_misses_per_kib", "misses/KiB", "LLC misses per KiB moved",
       "llc_misses / (bytes / 1024)", kLower, "", nullptr, 0,
       "llc_misses_per_kib_vs_size"},
      {"l1_misses_per_kib", "misses/KiB", "L1 load misses per KiB moved",
       "l1_misses / (bytes / 1024)", kLower, "", nullptr, 0,
       "l1_misses_per_kib_vs_size"},
      {"cs_per_s", "switches/s", "context switches per second, both roles",
       "cs / the mean window", kLower, "", nullptr, 0, "cs_vs_threads"},
      // Per role, from the perf counters (perfmon/derived.h).
      {"{role}_perf_{event}", "count",
       "a perf event of the role's threads (task-clock, cpu-clock in s)",
       "summed over the role's threads, scaled for multiplexing", kNeither, "",
       nullptr, 0, ""},
      {"{role}_ipc", "instr/cycle", "instructions per cycle",
       "instructions / cycles", kHigher, "", nullptr, 0, ""},
      {"{role}_cycles_per_byte", "cycles/B", "the role's cycles per byte",
       "cycles / bytes", kLower, "", nullptr, 0, ""},
      {"{role}_instructions_per_message", "instr/msg",
       "the role's instructions per message", "instructions / messages", kLower,
       "", nullptr, 0, ""},
      {"{role}_llc_misses_per_kib", "misses/KiB", "the role's LLC misses/KiB",
       "cache-misses / (bytes / 1024)", kLower, "", nullptr, 0, ""},
      {"{role}_l1_misses_per_kib", "misses/KiB",
       "the role's L1 load misses per KiB",
       "L1-dcache-load-misses / (bytes / 1024)", kLower, "", nullptr, 0, ""},
      {"{role}_context_switches_per_second", "switches/s",
       "the role's context switches per second (perf)",
       "context-switches / the role's mean window", kLower, "", nullptr, 0, ""},
      // TCP_INFO of the sending ends (record/tcp_limits.h).
      {"tcp_retrans", "segments", "segments the senders retransmitted",
       "sum of total_retrans over the sending ends' windows", kLower, "",
       "tcp_retrans", 0, ""},
      {"tcp_retrans_pct", "%", "share of the segments sent that were resent",
       "100 * tcp_retrans / segs_out of the sending ends", kLower, "",
       "tcp_retrans_pct", 3, "tcp_limits"},
      {"tcp_rwnd_limited_pct", "%",
       "share of the senders' time held back by the receive window",
       "100 * rwnd_limited_us / the sending threads' windows", kLower, "",
       "tcp_rwnd_limited_pct", 1, "tcp_limits"},
      {"tcp_sndbuf_limited_pct", "%",
       "share of the senders' time held back by their send buffer",
       "100 * sndbuf_limited_us / the sending threads' windows", kLower, "",
       "tcp_sndbuf_limited_pct", 1, "tcp_limits"},
      {"tcp_busy_pct", "%",
       "share of the senders' time with data in flight or queued",
       "100 * busy_time_us / the sending threads' windows", kNeither, "",
       nullptr, 0, ""},
      {"tcp_rtt_us", "us", "smoothed RTT at the window's end",
       "median of the sending ends' rtt_us", kLower, "", "tcp_rtt_us", 0, ""},
      {"tcp_snd_cwnd", "segments", "congestion window at the window's end",
       "median of the sending ends' snd_cwnd", kNeither, "", nullptr, 0, ""},
      // Every CPU of the host(s) over the measured interval (/proc/stat).
      {"softirq_cpu_s", "CPU-s",
       "softirq time of every CPU (protocol work, often the receive copy)",
       "sum over hosts of the CPUs' softirq seconds", kLower, "",
       "softirq_cpu_s", 3, ""},
      {"irq_cpu_s", "CPU-s", "hard interrupt time of every CPU",
       "sum over hosts of the CPUs' irq seconds", kLower, "", "irq_cpu_s", 3,
       ""},
      {"steal_cpu_s", "CPU-s",
       "time the hypervisor gave the CPUs to others (noise on a VM)",
       "sum over hosts of the CPUs' steal seconds", kLower, "", "steal_cpu_s",
       3, ""},
      {"host_user_cpu_s", "CPU-s", "user time of every CPU, nice included",
       "sum over hosts of user + nice seconds", kLower, "", nullptr, 0, ""},
      {"host_system_cpu_s", "CPU-s", "system time of every CPU",
       "sum over hosts of system seconds", kLower, "", nullptr, 0, ""},
      {"user_cpu_s_per_gb", "CPU-s/GB", "user CPU time per GB moved",
       "(host_user_cpu_s / interval) / (throughput_gbps / 8)", kLower, "",
       nullptr, 0, "cpu_per_gb_by_kind"},
      {"system_cpu_s_per_gb", "CPU-s/GB", "system CPU time per GB moved",
       "(host_system_cpu_s / interval) / (throughput_gbps / 8)", kLower, "",
       nullptr, 0, "cpu_per_gb_by_kind"},
      {"softirq_cpu_s_per_gb", "CPU-s/GB", "softirq CPU time per GB moved",
       "(softirq_cpu_s / interval) / (throughput_gbps / 8)", kLower, "",
       nullptr, 0, "cpu_per_gb_by_kind"},
      {"irq_cpu_s_per_gb", "CPU-s/GB", "irq CPU time per GB moved",
       "(irq_cpu_s / interval) / (throughput_gbps / 8)", kLower, "", nullptr, 0,
       "cpu_per_gb_by_kind"},
      // Latency under load (--background).
      {"background_gbps", "Gbit/s",
       "the --background stream flows' throughput while the round trips were "
       "measured (received by the clients)",
       "background bytes * 8 / the background receivers' mean window, / 1e9",
       kNeither, "rr", "background_gbps", 4, "latency_under_load"},
      // Datagram cells (Connection.datagrams): what the sequence numbers say.
      {"loss_pct", "%",
       "datagrams lost: numbers never received below the "
       "highest one received",
       "100 * lost / (received + lost), summed over connections", kLower,
       "stream", "loss_pct", 3, "loss_vs_size"},
      {"goodput_gbps", "Gbit/s",
       "distinct datagrams received per second, duplicates left out",
       "sum over connections of received * size * 8 / window, / 1e9", kHigher,
       "stream", "goodput_gbps", 4, ""},
      {"offered_gbps", "Gbit/s", "datagrams sent per second by the senders",
       "sum over connections of sent * size * 8 / the sender's window, / 1e9",
       kNeither, "stream", "offered_gbps", 4, "loss_vs_size"},
      {"reordered", "datagrams",
       "datagrams that arrived after a higher-numbered one",
       "sum over connections", kLower, "stream", "reordered", 0, ""},
      {"duplicates", "datagrams", "datagrams that arrived again",
       "sum over connections", kLower, "stream", "duplicates", 0, ""},
      {"rr_timeouts", "transactions",
       "requests without a response within --rr-timeout (datagram rr)",
       "sum over connections, in the client's window", kLower, "rr",
       "rr_timeouts", 0, ""},
      {"rr_stale", "responses",
       "responses to an earlier, timed-out request (datagram rr)",
       "sum over connections", kNeither, "rr", nullptr, 0, ""},
      {"{role}_cpu_s_per_gb", "CPU-s/GB",
       "the role's CPU time per GB it moved: a receiver per GB received, a "
       "datagram sender per GB it sent in its window (else received)",
       "sum over the role's threads of (user + system CPU) / (bytes / 1e9)",
       kLower, "", "{role}_cpu_s_per_gb", 3, ""},
  };
  return *table;
}

// Whether `name` is of `pattern`: "{role}_" stands for server_, client_ or
// both_; "{event}" for any non-empty rest.
bool Matches(absl::string_view pattern, absl::string_view name) {
  if (absl::ConsumePrefix(&pattern, "{role}_")) {
    bool role = false;
    for (absl::string_view r : {"server_", "client_", "both_"}) {
      if (absl::ConsumePrefix(&name, r)) {
        role = true;
        break;
      }
    }
    if (!role) return false;
  }
  if (absl::EndsWith(pattern, "{event}")) {
    absl::string_view head = pattern.substr(0, pattern.size() - 7);
    return absl::StartsWith(name, head) && name.size() > head.size();
  }
  return pattern == name;
}

// The perf event value of a thread, when it counted (scaled or not).
std::optional<double> PerfValue(const ThreadReport& t, absl::string_view e) {
  for (const PerfCounter& p : t.perf()) {
    if (p.event() == e && (p.state() == "counted" || p.state() == "scaled") &&
        p.has_value()) {
      return p.value();
    }
  }
  return std::nullopt;
}

// Sums f over the threads; empty unless every thread has a value.
template <typename F>
std::optional<double> SumAll(const std::vector<const ThreadReport*>& threads,
                             F f) {
  if (threads.empty()) return std::nullopt;
  double sum = 0;
  for (const ThreadReport* t : threads) {
    std::optional<double> v = f(*t);
    if (!v) return std::nullopt;
    sum += *v;
  }
  return sum;
}

using Metrics = std::map<std::string, double>;

void RusageMetrics(const std::string& role,
                   const std::vector<const ThreadReport*>& threads,
                   double bytes, Metrics* m) {
  auto cpu = [](const ThreadReport& t) -> std::optional<double> {
    if (!t.has_user_cpu_s() || !t.has_sys_cpu_s()) return std::nullopt;
    return t.user_cpu_s() + t.sys_cpu_s();
  };
  std::optional<double> cpu_s = SumAll(threads, cpu);
  std::optional<double> util =
      SumAll(threads, [&](const ThreadReport& t) -> std::optional<double> {
        std::optional<double> c = cpu(t);
        if (!c || !t.has_window_s() || t.window_s() <= 0) return std::nullopt;
        return *c / t.window_s();
      });
  if (util) (*m)[role + "_cpu_util"] = *util;
  if (cpu_s && *cpu_s > 0) (*m)[role + "_bytes_per_cpu_s"] = bytes / *cpu_s;
  std::optional<double> cs =
      SumAll(threads, [](const ThreadReport& t) -> std::optional<double> {
        if (!t.has_voluntary_cs() || !t.has_involuntary_cs()) {
          return std::nullopt;
        }
        return static_cast<double>(t.voluntary_cs() + t.involuntary_cs());
      });
  if (cs) (*m)[role + "_cs"] = *cs;
  const std::pair<const char*, const char*> events[] = {
      {"cycles", "cycles"},
      {"l1_misses", "L1-dcache-load-misses"},
      {"llc_misses", "cache-misses"}};
  for (const auto& [name, event_name] : events) {
    const char* event = event_name;
    std::optional<double> v = SumAll(
        threads, [&](const ThreadReport& t) { return PerfValue(t, event); });
    if (v) (*m)[role + "_" + name] = *v;
  }
}

std::optional<RolePerf> Role(const Sample& sample, bool server) {
  RolePerf out;
  out.role = server ? "server" : "client";
  std::vector<std::vector<perfmon::Reading>> sets;
  double window_sum = 0;
  int windows = 0;
  uint64_t bytes = 0, messages = 0;
  for (const Connection& c : sample.connections()) {
    bytes += c.bytes();
    messages += c.messages();
    const ThreadReport& t = server ? c.server() : c.client();
    std::vector<perfmon::Reading> set;
    for (const PerfCounter& p : t.perf()) {
      if (IsPart(p)) continue;
      if (absl::EndsWith(p.pmu(), kBothRoles)) out.role = "both";
      set.push_back(FromProto(p));
    }
    if (set.empty()) continue;
    sets.push_back(std::move(set));
    ++out.threads;
    if (t.has_window_s()) {
      window_sum += t.window_s();
      ++windows;
    } else if (c.window_s() > 0) {
      window_sum += c.window_s();
      ++windows;
    }
  }
  if (sets.empty()) return std::nullopt;
  out.totals = perfmon::SumAcross(sets, out.role);
  if (sample.status() == "ok" && messages > 0) {
    out.work.bytes = bytes;
    out.work.messages = messages;
  }
  if (windows > 0) out.work.seconds = window_sum / windows;
  out.derived = perfmon::Derive(out.totals, out.work);
  return out;
}

void PerfMetrics(const Sample& sample, Metrics* m) {
  for (const RolePerf& rp : RolePerfOf(sample)) {
    for (const perfmon::Reading& r : rp.totals) {
      std::optional<double> v = r.value();
      if (!v) continue;
      (*m)[PerfMetricName(rp.role, r.event())] =
          IsTaskClock(r.event()) ? *v / 1e9 : *v;
    }
    for (const auto& [figure, f] : rp.derived.Named()) {
      if (f->value) (*m)[absl::StrCat(rp.role, "_", figure)] = *f->value;
    }
  }
}

std::optional<double> CopiedFraction(const Sample& s) {
  uint64_t completions = 0, copied = 0;
  bool has_completions = false, has_copied = false;
  for (const auto* counters : {&s.server_counters(), &s.client_counters()}) {
    for (const NamedCount& c : *counters) {
      if (c.name() == kZeroCopyCompletions) {
        completions += c.value();
        has_completions = true;
      } else if (c.name() == kZeroCopyCopied) {
        copied += c.value();
        has_copied = true;
      }
    }
  }
  if (!has_completions || !has_copied || completions == 0) return std::nullopt;
  return static_cast<double>(copied) / static_cast<double>(completions);
}

}  // namespace

const std::vector<MetricDef>& Catalogue() { return Table(); }

const MetricDef* FindMetric(absl::string_view name) {
  for (const MetricDef& d : Table()) {
    if (Matches(d.name, name)) return &d;
  }
  return nullptr;
}

bool IsTaskClock(absl::string_view event) {
  return event == "task-clock" || event == "cpu-clock";
}

std::string PerfMetricName(absl::string_view role, absl::string_view event) {
  return absl::StrCat(role, "_perf_",
                      absl::StrReplaceAll(event, {{"-", "_"}, {"/", "_"}}),
                      IsTaskClock(event) ? "_s" : "");
}

std::vector<RolePerf> RolePerfOf(const Sample& sample) {
  std::vector<RolePerf> out;
  for (bool server : {true, false}) {
    if (std::optional<RolePerf> r = Role(sample, server)) {
      out.push_back(*std::move(r));
    }
  }
  return out;
}

const Metric* FindSampleMetric(const Sample& sample, absl::string_view name) {
  for (const Metric& m : sample.metrics()) {
    if (m.name() == name) return &m;
  }
  return nullptr;
}

// The TCP_INFO figures of the sending ends.
void TcpMetrics(const CellKey& key, const Sample& sample, Metrics* m) {
  TcpLimits l = TcpLimitsOf(key, sample);
  if (l.retrans) (*m)["tcp_retrans"] = static_cast<double>(*l.retrans);
  for (const auto& [name, v] :
       {std::pair<const char*, const std::optional<double>*>{"tcp_retrans_pct",
                                                             &l.retransmitted},
        {"tcp_rwnd_limited_pct", &l.rwnd_limited},
        {"tcp_sndbuf_limited_pct", &l.sndbuf_limited},
        {"tcp_busy_pct", &l.busy}}) {
    if (*v) (*m)[name] = **v * 100;
  }
  if (l.rtt_us) (*m)["tcp_rtt_us"] = *l.rtt_us;
  if (l.snd_cwnd) (*m)["tcp_snd_cwnd"] = *l.snd_cwnd;
}

// crr: the client's TIME_WAIT sockets at the end, the server's listen
// queue and the client's SYN retransmissions (ConnectionSetup).
void SetupMetrics(const Sample& sample, Metrics* m) {
  for (const ConnectionSetup& c : sample.connection_setup()) {
    if (!c.error().empty()) continue;
    const bool server = c.side() == "server";
    if (!server && c.has_time_wait_end()) {
      (*m)["time_wait_sockets"] = static_cast<double>(c.time_wait_end());
    }
    if (!server && c.has_connections_to_one_port() && c.ephemeral_ports() > 0) {
      double held = static_cast<double>(c.connections_to_one_port());
      if (TimeWaitReused(c)) {
        double per_s = 0;  // the fastest client thread's
        for (const Connection& k : sample.connections()) {
          if (k.window_s() > 0) {
            per_s = std::max(per_s,
                             static_cast<double>(k.messages()) / k.window_s());
          }
        }
        held = std::min(held, per_s);
      }
      (*m)["port_use_pct"] = 100.0 * held / c.ephemeral_ports();
    }
    for (const NamedCount& n : c.tcp_ext()) {
      const double v = static_cast<double>(n.value());
      if (server && n.name() == "ListenOverflows") {
        (*m)["listen_overflows"] = v;
      } else if (server && n.name() == "ListenDrops") {
        (*m)["listen_drops"] = v;
      } else if (!server && n.name() == "TCPSynRetrans") {
        (*m)["syn_retrans"] = v;
      }
    }
  }
}

// The hosts' CPU load by kind, and per GB moved.
void LoadMetrics(const Sample& sample, Metrics* m) {
  if (sample.cpu_load().empty()) return;
  double user = 0, system = 0, softirq = 0, irq = 0, steal = 0, wall = 0;
  for (const CpuLoad& l : sample.cpu_load()) {
    if (l.wall_s() <= 0) return;  // a host that could not be read
    user += l.total().user_s() + l.total().nice_s();
    system += l.total().system_s();
    softirq += l.total().softirq_s();
    irq += l.total().irq_s();
    steal += l.total().steal_s();
    wall = std::max(wall, l.wall_s());
  }
  (*m)["host_user_cpu_s"] = user;
  (*m)["host_system_cpu_s"] = system;
  (*m)["softirq_cpu_s"] = softirq;
  (*m)["irq_cpu_s"] = irq;
  (*m)["steal_cpu_s"] = steal;
  auto gbps = m->find("throughput_gbps");
  if (gbps == m->end() || gbps->second <= 0) return;
  const double gb_per_s = gbps->second / 8;
  for (const auto& [name, seconds] :
       {std::pair<const char*, double>{"user_cpu_s_per_gb", user},
        {"system_cpu_s_per_gb", system},
        {"softirq_cpu_s_per_gb", softirq},
        {"irq_cpu_s_per_gb", irq}}) {
    (*m)[name] = seconds / wall / gb_per_s;
  }
}

// Datagram cells: loss, goodput, the offered rate, order; rr: timeouts.
// Returns the bytes the senders sent in their windows (0: not a datagram
// cell, or no sender part).
double DatagramMetrics(const CellKey& key, const Sample& sample, Metrics* m) {
  bool any = false;
  uint64_t received = 0, lost = 0, reordered = 0, duplicates = 0;
  uint64_t timeouts = 0, stale = 0;
  double goodput = 0, offered = 0, sent_bytes = 0;
  const double size = static_cast<double>(key.size());
  for (const Connection& c : sample.connections()) {
    if (!c.has_datagrams()) continue;
    any = true;
    const Datagrams& d = c.datagrams();
    received += d.received();
    lost += d.lost();
    reordered += d.reordered();
    duplicates += d.duplicates();
    timeouts += d.rr_timeouts();
    stale += d.rr_stale();
    if (c.window_s() > 0) {
      goodput += static_cast<double>(d.received()) * size * 8 / c.window_s();
    }
    if (d.sent_window_s() > 0) {
      offered += static_cast<double>(d.sent()) * size * 8 / d.sent_window_s();
      sent_bytes += static_cast<double>(d.sent()) * size;
    }
  }
  if (!any) return 0;
  if (key.mode() == "rr") {
    (*m)["rr_timeouts"] = static_cast<double>(timeouts);
    (*m)["rr_stale"] = static_cast<double>(stale);
    return 0;
  }
  if (received + lost > 0) {
    (*m)["loss_pct"] = 100.0 * static_cast<double>(lost) /
                       static_cast<double>(received + lost);
  }
  (*m)["goodput_gbps"] = goodput / 1e9;
  if (offered > 0) (*m)["offered_gbps"] = offered / 1e9;
  (*m)["reordered"] = static_cast<double>(reordered);
  (*m)["duplicates"] = static_cast<double>(duplicates);
  return sent_bytes;
}

// CPU-seconds of a role per GB it moved.
void CpuPerGb(const std::string& role,
              const std::vector<const ThreadReport*>& threads, double bytes,
              Metrics* m) {
  if (bytes <= 0) return;
  double cpu = 0;
  for (const ThreadReport* t : threads) {
    if (!t->has_user_cpu_s() || !t->has_sys_cpu_s()) return;
    cpu += t->user_cpu_s() + t->sys_cpu_s();
  }
  (*m)[role + "_cpu_s_per_gb"] = cpu / (bytes / 1e9);
}

void DeriveMetrics(const CellKey& key, Sample* sample) {
  sample->clear_metrics();
  if (sample->status() != "ok" || sample->connections().empty()) return;
  const bool rr = key.mode() == "rr";
  const bool crr = key.mode() == "crr";
  Metrics m;
  double bits_per_s = 0, msgs_per_s = 0, us_per_msg = 0, bytes = 0;
  double window_sum = 0;
  int starved = 0;
  for (const Connection& c : sample->connections()) {
    if (c.window_s() <= 0 || c.messages() == 0) {
      ++starved;  // moved nothing in its interval: adds nothing
      continue;
    }
    bits_per_s += static_cast<double>(c.bytes()) * 8 / c.window_s();
    msgs_per_s += static_cast<double>(c.messages()) / c.window_s();
    us_per_msg += c.window_s() * 1e6 / static_cast<double>(c.messages());
    bytes += static_cast<double>(c.bytes());
    window_sum += c.window_s();
  }
  if (starved == sample->connections_size()) return;  // nothing measured
  const double n = static_cast<double>(sample->connections_size() - starved);
  m["starved_connections"] = starved;
  m["bytes"] = bytes;
  m["throughput_gbps"] = bits_per_s / 1e9;
  if (rr || crr) {
    m[crr ? "connections_per_sec" : "transactions_per_sec"] = msgs_per_s;
    const Latency& l = sample->latency();
    if (l.count() > 0) {
      m["latency_p50_us"] = l.p50_us();
      m["latency_p90_us"] = l.p90_us();
      m["latency_p99_us"] = l.p99_us();
      m["latency_p999_us"] = l.p999_us();
      m["latency_max_us"] = l.max_us();
      m["latency_mean_us"] = l.mean_us();
    }
  } else {
    m["messages_per_sec"] = msgs_per_s;
    m["mean_us_per_msg"] = us_per_msg / n;
  }
  if (std::optional<double> f = CopiedFraction(*sample)) {
    m["zc_copied_fraction"] = *f;
  }
  std::vector<const ThreadReport*> servers, clients;
  for (const Connection& c : sample->connections()) {
    servers.push_back(&c.server());
    clients.push_back(&c.client());
  }
  RusageMetrics("server", servers, bytes, &m);
  RusageMetrics("client", clients, bytes, &m);
  // A datagram sender's CPU goes to what it sent, lost or not.
  const double sent = DatagramMetrics(key, *sample, &m);
  const bool server_sends = key.direction() != "client-to-server";
  CpuPerGb("server", servers, !rr && sent > 0 && server_sends ? sent : bytes,
           &m);
  CpuPerGb("client", clients, !rr && sent > 0 && !server_sends ? sent : bytes,
           &m);
  for (const char* name : {"cs", "cycles", "l1_misses", "llc_misses"}) {
    auto s = m.find(absl::StrCat("server_", name));
    auto c = m.find(absl::StrCat("client_", name));
    if (s != m.end() && c != m.end()) m[name] = s->second + c->second;
  }
  PerfMetrics(*sample, &m);
  TcpMetrics(key, *sample, &m);
  if (crr) SetupMetrics(*sample, &m);
  LoadMetrics(*sample, &m);
  // Both roles, per byte and per second: from the totals, else the sum of
  // the roles' own figures.
  if (bytes > 0) {
    if (m.count("cycles")) m["cycles_per_byte"] = m["cycles"] / bytes;
    for (const char* name : {"llc_misses", "l1_misses"}) {
      if (m.count(name)) {
        m[absl::StrCat(name, "_per_kib")] = m[name] / (bytes / 1024.0);
      }
    }
  }
  if (m.count("cs") && window_sum > 0)
    m["cs_per_s"] = m["cs"] / (window_sum / n);
  for (const auto& [total, figure] :
       {std::pair<const char*, const char*>{"cycles_per_byte",
                                            "cycles_per_byte"},
        {"llc_misses_per_kib", "llc_misses_per_kib"},
        {"l1_misses_per_kib", "l1_misses_per_kib"},
        {"cs_per_s", "context_switches_per_second"}}) {
    auto s = m.find(absl::StrCat("server_", figure));
    auto c = m.find(absl::StrCat("client_", figure));
    if (!m.count(total) && s != m.end() && c != m.end()) {
      m[total] = s->second + c->second;
    }
  }
  if (sample->has_background_connections()) {
    // The host's CPU time covers the background's flows too: per GB of the
    // cell's own bytes it would be wrong, so there is none.
    for (auto it = m.begin(); it != m.end();) {
      it = absl::EndsWith(it->first, "_cpu_s_per_gb") ? m.erase(it)
                                                      : std::next(it);
    }
    if (sample->background_window_s() > 0) {
      m["background_gbps"] = static_cast<double>(sample->background_bytes()) *
                             8 / sample->background_window_s() / 1e9;
    }
  }
  for (const auto& [name, value] : m) {
    Metric* out = sample->add_metrics();
    out->set_name(name);
    out->set_value(value);
  }
}

}  // namespace copyscope::record
