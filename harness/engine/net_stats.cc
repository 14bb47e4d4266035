#include "harness/engine/net_stats.h"

#include <errno.h>

#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace copyscope::engine {
namespace {

// A small /proc file, whole; an error names it (as the kernel's path, with
// the fake root left off, so messages read the same in tests).
absl::StatusOr<std::string> ReadSmallFile(const std::string& proc_root,
                                          const std::string& path,
                                          const std::string& shown) {
  std::ifstream in(proc_root + "/" + path);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot read ", shown, ": ", std::strerror(errno)));
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// "TCP: inuse 1 orphan 0 tw 2 alloc 10 mem 384": the figure after "tw".
std::optional<uint64_t> TimeWait(absl::string_view sockstat) {
  for (absl::string_view line : absl::StrSplit(sockstat, '\n')) {
    if (!absl::ConsumePrefix(&line, "TCP:")) continue;
    std::vector<absl::string_view> words =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    for (size_t i = 0; i + 1 < words.size(); ++i) {
      uint64_t v = 0;
      if (words[i] == "tw" && absl::SimpleAtoi(words[i + 1], &v)) return v;
    }
  }
  return std::nullopt;
}

// /proc/net/netstat: pairs of lines, "TcpExt: A B C" then "TcpExt: 1 2 3".
std::map<std::string, uint64_t> TcpExt(absl::string_view netstat) {
  std::map<std::string, uint64_t> out;
  std::vector<absl::string_view> names;
  for (absl::string_view line : absl::StrSplit(netstat, '\n')) {
    if (!absl::ConsumePrefix(&line, "TcpExt:")) continue;
    std::vector<absl::string_view> words =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (names.empty()) {
      names = words;
      continue;
    }
    for (size_t i = 0; i < words.size() && i < names.size(); ++i) {
      uint64_t v = 0;
      if (absl::SimpleAtoi(words[i], &v)) out[std::string(names[i])] = v;
    }
    names.clear();
  }
  return out;
}

}  // namespace

const std::vector<std::string>& NetCounterNames() {
  static const std::vector<std::string>* const names =
      new std::vector<std::string>{"ListenOverflows", "ListenDrops",
                                   "TCPSynRetrans", "TCPTimeWaitOverflow",
                                   "TCPReqQFullDrop"};
  return *names;
}

absl::StatusOr<NetStats> ReadNetStats(const std::string& proc_root) {
  absl::StatusOr<std::string> sockstat = ReadSmallFile(
      proc_root, "thread-self/net/sockstat", "/proc/net/sockstat");
  if (!sockstat.ok()) return sockstat.status();
  absl::StatusOr<std::string> netstat =
      ReadSmallFile(proc_root, "thread-self/net/netstat", "/proc/net/netstat");
  if (!netstat.ok()) return netstat.status();
  NetStats s;
  s.time_wait = TimeWait(*sockstat);
  const std::map<std::string, uint64_t> ext = TcpExt(*netstat);
  if (ext.empty()) {
    return absl::DataLossError("/proc/net/netstat has no TcpExt counters");
  }
  for (const std::string& name : NetCounterNames()) {
    auto it = ext.find(name);
    if (it != ext.end()) s.counters.emplace_back(name, it->second);
  }
  if (absl::StatusOr<PortRange> r = ReadPortRange(proc_root); r.ok()) {
    s.ports = *r;
  }
  absl::StatusOr<std::string> reuse =
      ReadSmallFile(proc_root, "sys/net/ipv4/tcp_tw_reuse",
                    "/proc/sys/net/ipv4/tcp_tw_reuse");
  int v = 0;
  if (reuse.ok() && absl::SimpleAtoi(absl::StripAsciiWhitespace(*reuse), &v)) {
    s.tw_reuse = v;
  }
  return s;
}

NamedCounts CounterIncrease(const NetStats& before, const NetStats& after) {
  NamedCounts out;
  for (const auto& [name, value] : after.counters) {
    for (const auto& [name0, value0] : before.counters) {
      if (name0 != name) continue;
      out.emplace_back(name, value >= value0 ? value - value0 : 0);
      break;
    }
  }
  return out;
}

absl::StatusOr<PortRange> ReadPortRange(const std::string& proc_root) {
  const char kShown[] = "/proc/sys/net/ipv4/ip_local_port_range";
  absl::StatusOr<std::string> text =
      ReadSmallFile(proc_root, "sys/net/ipv4/ip_local_port_range", kShown);
  if (!text.ok()) return text.status();
  std::vector<absl::string_view> words =
      absl::StrSplit(*text, absl::ByAnyChar(" \t\n"), absl::SkipEmpty());
  PortRange r;
  if (words.size() != 2 || !absl::SimpleAtoi(words[0], &r.low) ||
      !absl::SimpleAtoi(words[1], &r.high) || r.low > r.high) {
    return absl::DataLossError(absl::StrCat(kShown, " is not two ports: '",
                                            absl::StripAsciiWhitespace(*text),
                                            "'"));
  }
  return r;
}

std::string PortsExhaustedText(const std::string& proc_root) {
  std::string out = "ephemeral ports exhausted: ";
  absl::StatusOr<NetStats> s = ReadNetStats(proc_root);
  if (s.ok() && s->time_wait) {
    absl::StrAppend(&out, *s->time_wait,
                    " sockets in TIME_WAIT (/proc/net/sockstat)");
  } else {
    absl::StrAppend(
        &out, "sockets in TIME_WAIT unknown (",
        s.ok() ? "/proc/net/sockstat has no tw figure" : s.status().message(),
        ")");
  }
  absl::StatusOr<PortRange> r = ReadPortRange(proc_root);
  if (r.ok()) {
    absl::StrAppend(&out, ", net.ipv4.ip_local_port_range ", r->low, "-",
                    r->high, " (", r->ports(), " ports)");
  } else {
    absl::StrAppend(&out, ", net.ipv4.ip_local_port_range unknown (",
                    r.status().message(), ")");
  }
  absl::StatusOr<std::string> reuse =
      ReadSmallFile(proc_root, "sys/net/ipv4/tcp_tw_reuse",
                    "/proc/sys/net/ipv4/tcp_tw_reuse");
  if (reuse.ok()) {
    absl::StrAppend(&out, ", net.ipv4.tcp_tw_reuse ",
                    absl::StripAsciiWhitespace(*reuse));
  }
  absl::StrAppend(&out,
                  "; each transaction leaves its client socket in TIME_WAIT "
                  "for 60 s: shorten the samples (--duration, --messages), "
                  "widen the port range, or set net.ipv4.tcp_tw_reuse=1");
  return out;
}

}  // namespace copyscope::engine
