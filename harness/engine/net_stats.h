// The connection-setup state of a network namespace, for crr mode (a
// connection per transaction), read from /proc: the sockets waiting in
// TIME_WAIT (/proc/net/sockstat, "TCP: ... tw N"), the TcpExt counters of
// /proc/net/netstat that count connections the listen queue could not take
// and SYNs sent again (connects retried), and the ephemeral port range and
// TIME_WAIT reuse sysctls. Everything is the calling thread's namespace's:
// it is read through /proc/thread-self/net and /proc/sys/net, which follow
// the thread (a worker that entered its side's namespace reads that one).
//
//   absl::StatusOr<NetStats> a = ReadNetStats();   // at a window's edge
//   ...
//   absl::StatusOr<NetStats> b = ReadNetStats();
//   CounterIncrease(*a, *b);   // {{"ListenOverflows", 0}, ...}
//   // connect() failed with EADDRNOTAVAIL:
//   PortsExhaustedText();      // "ephemeral ports exhausted: 28190 sockets
//                              // in TIME_WAIT (/proc/net/sockstat), ..."
//
// A fake /proc stands in for tests: a directory holding
// thread-self/net/sockstat, thread-self/net/netstat and
// sys/net/ipv4/ip_local_port_range (and tcp_tw_reuse), passed as
// `proc_root`. Nothing here is on a hot path: these are read at the edges
// of a window and once when a connect fails.
#ifndef COPYSCOPE_HARNESS_ENGINE_NET_STATS_H_
#define COPYSCOPE_HARNESS_ENGINE_NET_STATS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace copyscope::engine {

inline constexpr char kProcRoot[] = "/proc";

// The TcpExt counters read, as the kernel names them:
//   ListenOverflows      a connection completed its handshake but the
//                        listen (accept) queue was full
//   ListenDrops          SYNs or handshakes a listener dropped, overflows
//                        included
//   TCPSynRetrans        SYNs and SYN-ACKs sent again (a connect retried)
//   TCPTimeWaitOverflow  sockets closed without TIME_WAIT because
//                        net.ipv4.tcp_max_tw_buckets was reached
//   TCPReqQFullDrop      SYNs dropped because the SYN queue was full
const std::vector<std::string>& NetCounterNames();

using NamedCounts = std::vector<std::pair<std::string, uint64_t>>;

// net.ipv4.ip_local_port_range: the ports connect() picks from.
struct PortRange {
  int low = 0;
  int high = 0;
  int ports() const { return high - low + 1; }
};

struct NetStats {
  // Sockets in TIME_WAIT; absent when sockstat has no "tw" figure.
  std::optional<uint64_t> time_wait;
  // The counters of NetCounterNames() this kernel has, in that order.
  NamedCounts counters;
  // The sysctls, when readable (their absence is no error).
  std::optional<PortRange> ports;
  std::optional<int> tw_reuse;  // net.ipv4.tcp_tw_reuse: 0, 1, or 2
};

// An unreadable sockstat or netstat, or one without the expected lines, is
// an error naming the file.
absl::StatusOr<NetStats> ReadNetStats(const std::string& proc_root = kProcRoot);

// The increase of every counter both readings have, in `after`'s order (a
// counter that went down, e.g. a namespace recreated, counts 0).
NamedCounts CounterIncrease(const NetStats& before, const NetStats& after);

// net.ipv4.ip_local_port_range, or an error naming the file.
absl::StatusOr<PortRange> ReadPortRange(
    const std::string& proc_root = kProcRoot);

// How connect() picks a port (net/ipv4/inet_hashtables.c,
// __inet_hash_connect): from a random start, every other port first (one
// parity), then the others. A port whose socket to the same server address
// and port is still in TIME_WAIT cannot be taken (unless tcp_tw_reuse lets
// it, after 1 s), so once a client has connected to one server port more
// times than half the range within TIME_WAIT's 60 s, every connect() scans
// a half of ports it cannot use before it finds one: the rate falls by an
// order of magnitude (seen: 14,000 to 1,500 connections/s between two
// namespaces). Past the whole range, connect() fails with EADDRNOTAVAIL.
inline constexpr double kPortSearchShare = 0.5;

// What to say when connect() failed with EADDRNOTAVAIL: every ephemeral
// port to the server's address and port is taken, e.g.
//   "ephemeral ports exhausted: 28190 sockets in TIME_WAIT
//   (/proc/net/sockstat), net.ipv4.ip_local_port_range 32768-60999 (28232
//   ports), net.ipv4.tcp_tw_reuse 0; each transaction leaves its client
//   socket in TIME_WAIT for 60 s: shorten the samples (--duration,
//   --messages), widen the port range, or set net.ipv4.tcp_tw_reuse=1"
// A figure that cannot be read is said so in its place.
std::string PortsExhaustedText(const std::string& proc_root = kProcRoot);

}  // namespace copyscope::engine

#endif  // COPYSCOPE_HARNESS_ENGINE_NET_STATS_H_
