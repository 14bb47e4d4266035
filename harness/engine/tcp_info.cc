#include "harness/engine/tcp_info.h"

#include <errno.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace copyscope::engine {
namespace {

// Where a field lies in the kernel's struct tcp_info (linux/tcp.h; the
// struct only grows at its end, so these offsets hold on every kernel).
struct Place {
  size_t offset;
  size_t size;
};
#define COPYSCOPE_PLACE(f) \
  Place { offsetof(struct tcp_info, f), sizeof(tcp_info::f) }

struct KernelCounter {
  TcpCounterField field;
  Place place;
};
constexpr std::array<KernelCounter, 12> kCounters = {{
    {{"total_retrans", &TcpCounters::total_retrans},
     COPYSCOPE_PLACE(tcpi_total_retrans)},
    {{"segs_out", &TcpCounters::segs_out}, COPYSCOPE_PLACE(tcpi_segs_out)},
    {{"segs_in", &TcpCounters::segs_in}, COPYSCOPE_PLACE(tcpi_segs_in)},
    {{"delivered", &TcpCounters::delivered}, COPYSCOPE_PLACE(tcpi_delivered)},
    {{"delivered_ce", &TcpCounters::delivered_ce},
     COPYSCOPE_PLACE(tcpi_delivered_ce)},
    {{"bytes_acked", &TcpCounters::bytes_acked},
     COPYSCOPE_PLACE(tcpi_bytes_acked)},
    {{"bytes_received", &TcpCounters::bytes_received},
     COPYSCOPE_PLACE(tcpi_bytes_received)},
    {{"bytes_sent", &TcpCounters::bytes_sent},
     COPYSCOPE_PLACE(tcpi_bytes_sent)},
    {{"bytes_retrans", &TcpCounters::bytes_retrans},
     COPYSCOPE_PLACE(tcpi_bytes_retrans)},
    {{"busy_time_us", &TcpCounters::busy_time_us},
     COPYSCOPE_PLACE(tcpi_busy_time)},
    {{"rwnd_limited_us", &TcpCounters::rwnd_limited_us},
     COPYSCOPE_PLACE(tcpi_rwnd_limited)},
    {{"sndbuf_limited_us", &TcpCounters::sndbuf_limited_us},
     COPYSCOPE_PLACE(tcpi_sndbuf_limited)},
}};

struct KernelGauge {
  TcpGaugeField field;
  Place place;
};
constexpr std::array<KernelGauge, 6> kGauges = {{
    {{"rtt_us", &TcpGauges::rtt_us, &TcpGaugeStats::rtt_us},
     COPYSCOPE_PLACE(tcpi_rtt)},
    {{"rttvar_us", &TcpGauges::rttvar_us, &TcpGaugeStats::rttvar_us},
     COPYSCOPE_PLACE(tcpi_rttvar)},
    {{"snd_cwnd", &TcpGauges::snd_cwnd, &TcpGaugeStats::snd_cwnd},
     COPYSCOPE_PLACE(tcpi_snd_cwnd)},
    {{"snd_wnd", &TcpGauges::snd_wnd, &TcpGaugeStats::snd_wnd},
     COPYSCOPE_PLACE(tcpi_snd_wnd)},
    {{"rcv_space", &TcpGauges::rcv_space, &TcpGaugeStats::rcv_space},
     COPYSCOPE_PLACE(tcpi_rcv_space)},
    {{"reordering", &TcpGauges::reordering, &TcpGaugeStats::reordering},
     COPYSCOPE_PLACE(tcpi_reordering)},
}};
#undef COPYSCOPE_PLACE

// The field at `place` when `bytes` covers it (native byte order).
std::optional<uint64_t> Field(const std::vector<uint8_t>& bytes, Place place) {
  if (bytes.size() < place.offset + place.size) return std::nullopt;
  if (place.size == sizeof(uint32_t)) {
    uint32_t v;
    std::memcpy(&v, bytes.data() + place.offset, sizeof(v));
    return v;
  }
  uint64_t v;
  std::memcpy(&v, bytes.data() + place.offset, sizeof(v));
  return v;
}

absl::Status ErrnoError(int err, absl::string_view what, int fd) {
  return absl::Status(
      absl::ErrnoToStatusCode(err),
      absl::StrCat(what, " on fd ", fd, ": ", std::strerror(err)));
}

std::string DomainName(int domain) {
  switch (domain) {
    case AF_UNIX:
      return "AF_UNIX";
    case AF_INET:
      return "AF_INET";
    case AF_INET6:
      return "AF_INET6";
    default:
      return absl::StrCat("address family ", domain);
  }
}

std::string TypeName(int type) {
  switch (type) {
    case SOCK_STREAM:
      return "SOCK_STREAM";
    case SOCK_DGRAM:
      return "SOCK_DGRAM";
    case SOCK_SEQPACKET:
      return "SOCK_SEQPACKET";
    case SOCK_RAW:
      return "SOCK_RAW";
    default:
      return absl::StrCat("socket type ", type);
  }
}

// What a socket that is not TCP is, e.g. "AF_INET SOCK_DGRAM protocol 17".
std::string Describe(int fd, int protocol) {
  int domain = -1;
  int type = -1;
  socklen_t len = sizeof(domain);
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0) domain = -1;
  len = sizeof(type);
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) type = -1;
  std::string what = absl::StrCat(DomainName(domain), " ", TypeName(type));
  if (domain != AF_UNIX) absl::StrAppend(&what, " protocol ", protocol);
  return what;
}

std::optional<GaugeStats> Stats(std::vector<uint32_t> values) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  GaugeStats s;
  s.max = values.back();
  s.median = n % 2 == 1 ? values[n / 2]
                        : (static_cast<double>(values[n / 2 - 1]) +
                           static_cast<double>(values[n / 2])) /
                              2;
  return s;
}

}  // namespace

absl::StatusOr<RawTcpInfo> GetsockoptTcpInfo(int fd) {
  RawTcpInfo raw;
  int protocol = 0;
  socklen_t len = sizeof(protocol);
  if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) != 0) {
    if (errno != ENOTSOCK) return ErrnoError(errno, "SO_PROTOCOL", fd);
    raw.not_tcp = "not a socket";
    return raw;
  }
  if (protocol != IPPROTO_TCP) {
    raw.not_tcp = Describe(fd, protocol);
    return raw;
  }
  raw.bytes.resize(sizeof(struct tcp_info));
  len = static_cast<socklen_t>(raw.bytes.size());
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, raw.bytes.data(), &len) != 0) {
    return ErrnoError(errno, "TCP_INFO", fd);
  }
  raw.bytes.resize(std::min<size_t>(len, raw.bytes.size()));
  return raw;
}

TcpInfo ParseTcpInfo(const RawTcpInfo& raw) {
  TcpInfo info;
  if (!raw.not_tcp.empty()) {
    info.not_tcp = raw.not_tcp;
    return info;
  }
  info.is_tcp = true;
  info.length = raw.bytes.size();
  for (const KernelCounter& c : kCounters) {
    info.counters.*c.field.value = Field(raw.bytes, c.place);
  }
  for (const KernelGauge& g : kGauges) {
    std::optional<uint64_t> v = Field(raw.bytes, g.place);
    if (v.has_value()) info.gauges.*g.field.value = static_cast<uint32_t>(*v);
  }
  return info;
}

absl::StatusOr<TcpInfo> ReadTcpInfo(int fd, const TcpInfoReader& read) {
  absl::StatusOr<RawTcpInfo> raw = read(fd);
  if (!raw.ok()) return raw.status();
  return ParseTcpInfo(*raw);
}

TcpInfoDelta Delta(const TcpInfo& before, const TcpInfo& after) {
  TcpInfoDelta d;
  if (!before.is_tcp || !after.is_tcp) {
    d.not_tcp = !before.is_tcp ? before.not_tcp : after.not_tcp;
    return d;
  }
  d.is_tcp = true;
  for (const KernelCounter& c : kCounters) {
    const std::optional<uint64_t>& b = before.counters.*c.field.value;
    const std::optional<uint64_t>& a = after.counters.*c.field.value;
    if (!b.has_value() || !a.has_value()) continue;
    if (c.place.size == sizeof(uint32_t)) {
      d.counters.*c.field.value = static_cast<uint32_t>(*a - *b);
    } else if (*a >= *b) {
      d.counters.*c.field.value = *a - *b;
    }
  }
  d.gauges = after.gauges;
  return d;
}

TcpInfoMerged Merge(const std::vector<TcpInfoDelta>& deltas) {
  TcpInfoMerged m;
  std::vector<const TcpInfoDelta*> tcp;
  for (const TcpInfoDelta& d : deltas) {
    if (d.is_tcp) {
      tcp.push_back(&d);
    } else {
      ++m.not_tcp;
    }
  }
  m.connections = static_cast<int>(tcp.size());
  if (tcp.empty()) return m;
  for (const KernelCounter& c : kCounters) {
    uint64_t sum = 0;
    bool all = true;
    for (const TcpInfoDelta* d : tcp) {
      const std::optional<uint64_t>& v = d->counters.*c.field.value;
      all = all && v.has_value();
      if (v.has_value()) sum += *v;
    }
    if (all) m.sum.*c.field.value = sum;
  }
  for (const KernelGauge& g : kGauges) {
    std::vector<uint32_t> values;
    for (const TcpInfoDelta* d : tcp) {
      const std::optional<uint32_t>& v = d->gauges.*g.field.value;
      if (v.has_value()) values.push_back(*v);
    }
    if (values.size() == tcp.size()) {
      m.gauges.*g.field.stats = Stats(std::move(values));
    }
  }
  return m;
}

absl::Span<const TcpCounterField> TcpCounterFields() {
  static const auto* const fields = [] {
    auto* f = new std::array<TcpCounterField, kCounters.size()>;
    for (size_t i = 0; i < kCounters.size(); ++i) (*f)[i] = kCounters[i].field;
    return f;
  }();
  return *fields;
}

absl::Span<const TcpGaugeField> TcpGaugeFields() {
  static const auto* const fields = [] {
    auto* f = new std::array<TcpGaugeField, kGauges.size()>;
    for (size_t i = 0; i < kGauges.size(); ++i) (*f)[i] = kGauges[i].field;
    return f;
  }();
  return *fields;
}

}  // namespace copyscope::engine
