// tcp_zerocopy_recv: receives with getsockopt(TCP_ZEROCOPY_RECEIVE) on a
// region mmap()ed from the socket: the kernel maps whole pages of the
// receive queue into the region instead of copying them. What it cannot map
// (bytes before the next page-aligned, page-sized piece, and the message's
// tail shorter than a page) is read with recv() into the host's buffer. A
// message with mapped pages comes back in place: segments point into the
// region (valid until the next call, which unmaps them) and into the host's
// buffer for the copied pieces. Sending is plain sendmsg() over the fields.
//
// The kernel maps a page only if the received data fills it exactly, at
// offset 0, on its own (non-compound) page: what a NIC with header split
// delivers, or over loopback what MSG_ZEROCOPY senders leave behind. A
// plain send() over loopback builds its segments in compound pages, so then
// nothing maps and every byte is copied: the counters say which happened.
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "plugins/copyscope_transport.h"
#include "transports/common/counters.h"
#include "transports/common/endpoint.h"
#include "transports/common/error_text.h"
#include "transports/common/probe.h"
#include "transports/common/recv_loop.h"
#include "transports/common/send_loop.h"
#include "transports/common/wait.h"

namespace copyscope::transports {
namespace {

// struct tcp_zerocopy_receive of Linux 5.11+ (uapi linux/tcp.h); glibc's
// netinet/tcp.h has only the first three fields. An older kernel fills the
// fields it knows.
struct ZeroCopyReceive {
  uint64_t address;         // in: where to map
  uint32_t length;          // in: bytes to map; out: bytes mapped
  uint32_t recv_skip_hint;  // out: bytes to read with recv() first
  uint32_t inq;             // out: bytes in the receive queue
  int32_t err;              // out: pending socket error
  uint64_t copybuf_address;
  int32_t copybuf_len;
  uint32_t flags;
  uint64_t msg_control;
  uint64_t msg_controllen;
  uint32_t msg_flags;
  uint32_t reserved;
};

struct Piece {  // a part of the message, in order
  bool mapped;
  size_t offset;  // in the region when mapped, else in the host's buffer
  size_t len;
};

int Probe(char* why, size_t why_size) {
  FormatInto(why, why_size, "%s", "");
  int fd = OpenProbeSocket(why, why_size);
  if (fd < 0) return fd;
  size_t page = PageSize();
  int rc = 0;
  void* m = mmap(nullptr, page, PROT_READ, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) {
    int e = errno;
    FormatInto(why, why_size,
               "mmap of a TCP socket not supported by kernel %s (%s; "
               "TCP_ZEROCOPY_RECEIVE needs Linux 4.18+)",
               KernelRelease().text, ErrnoText(e).c_str());
    rc = -e;
  } else {
    ZeroCopyReceive zc;
    memset(&zc, 0, sizeof(zc));
    zc.address = (uintptr_t)m;
    socklen_t len = sizeof(zc);
    if (getsockopt(fd, IPPROTO_TCP, TCP_ZEROCOPY_RECEIVE, &zc, &len) != 0 &&
        (errno == ENOPROTOOPT || errno == EOPNOTSUPP)) {
      FormatInto(why, why_size,
                 "TCP_ZEROCOPY_RECEIVE not supported by kernel %s",
                 KernelRelease().text);
      rc = -EOPNOTSUPP;
    }
    munmap(m, page);
  }
  close(fd);
  return rc;
}

struct Endpoint : EndpointBase<Endpoint> {
  ~Endpoint() {
    if (region != nullptr) munmap(region, region_size);
  }

  int Setup(const cs_endpoint_config& config, const Options&, char* err,
            size_t err_size) {
    int rc = ReserveScratch(config, is_sender(), &scratch, err, err_size);
    if (rc < 0 || !is_receiver()) return rc;
    size_t page = PageSize();
    size_t size =
        config.max_message_size > 65536 ? config.max_message_size : 65536;
    region_size = (size + page - 1) / page * page;
    void* m = mmap(nullptr, region_size, PROT_READ, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) {
      int e = errno;
      FormatInto(err, err_size,
                 "open: mmap of %zu bytes of the socket: %s (a TCP socket "
                 "and Linux 4.18+ are needed)",
                 region_size, ErrnoText(e).c_str());
      region_size = 0;
      return -e;
    }
    region = static_cast<char*>(m);
    return 0;
  }

  int SendMessage(const cs_message& msg) {
    return SendFieldsAll(fd, msg.fields, msg.field_count, 0, io_timeout_ms,
                         &scratch, &send_counters, &error);
  }

  int Receive(cs_recv_args* args) {
    // The last call's mapped pages are no longer needed: give them back.
    if (mapped > 0) {
      madvise(region, mapped, MADV_DONTNEED);
      mapped = 0;
    }
    pieces.clear();
    char* buf = static_cast<char*>(args->buf);
    try {
      int rc = Gather(buf, args->len);
      if (rc < 0 || mapped == 0) {
        // All copied: the bytes are in buf, in order. On failure, bytes the
        // kernel mapped are copied there too, so buf holds what arrived.
        if (rc < 0 && mapped > 0) {
          size_t at = 0;
          for (const Piece& p : pieces) {
            if (p.mapped) memcpy(buf + at, region + p.offset, p.len);
            at += p.len;
          }
        }
        return rc;
      }
      segments.clear();
      for (const Piece& p : pieces) {
        char* base = p.mapped ? region + p.offset : buf + p.offset;
        segments.push_back({base, p.len});
      }
    } catch (...) {
      return error.Set(-ENOMEM, "recv: out of memory");
    }
    args->segments = segments.data();
    args->segment_count = (uint32_t)segments.size();
    return 0;
  }

  void ListCounters(CounterList* c) const {
    c->AddSendCounters(send_counters);
    c->Add("zerocopy_calls", zerocopy_calls);
    c->Add("recv_calls", recv_calls);
    c->Add("mapped_bytes", mapped_bytes);
    c->Add("copied_bytes", copied_bytes);
  }

  void AddPiece(bool is_mapped, size_t offset, size_t len) {
    if (!pieces.empty() && pieces.back().mapped == is_mapped &&
        pieces.back().offset + pieces.back().len == offset) {
      pieces.back().len += len;  // contiguous with the last one
    } else {
      pieces.push_back(Piece{is_mapped, offset, len});
    }
  }

  // Copies up to n bytes with recv() into buf + got. Returns bytes read
  // (> 0), or a negative errno with the error set (-EPIPE at end of stream).
  int CopyPart(char* buf, size_t got, size_t n, size_t len) {
    for (;;) {
      ssize_t r = recv(fd, buf + got, n, MSG_DONTWAIT);
      if (r > 0) {
        ++recv_calls;
        copied_bytes += (size_t)r;
        return (int)r;
      }
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
      return RecvEnded(r == 0 ? 0 : errno, got, len, &error);
    }
  }

  // Receives the message into pieces; returns 0 or a negative errno.
  int Gather(char* buf, size_t len) {
    const size_t page = PageSize();
    size_t got = 0;
    Deadline deadline(io_timeout_ms);
    while (got < len) {
      size_t left = len - got;
      size_t skip = left;  // bytes to copy before mapping can go on
      if (left >= page && mapped + page <= region_size) {
        ZeroCopyReceive zc;
        memset(&zc, 0, sizeof(zc));
        zc.address = (uintptr_t)(region + mapped);
        size_t room = region_size - mapped;
        zc.length = (uint32_t)((left < room ? left : room) / page * page);
        socklen_t zlen = sizeof(zc);
        if (getsockopt(fd, IPPROTO_TCP, TCP_ZEROCOPY_RECEIVE, &zc, &zlen)) {
          if (errno == EINTR) continue;
          int e = errno;
          if (e != EIO) {
            return error.Set(-e, "recv: TCP_ZEROCOPY_RECEIVE: %s",
                             ErrnoText(e).c_str());
          }
          // EIO: nothing queued and the peer is done; recv() below says how.
          memset(&zc, 0, sizeof(zc));
        } else {
          ++zerocopy_calls;
        }
        if (zc.err != 0) {
          return RecvEnded(zc.err < 0 ? -zc.err : zc.err, got, len, &error);
        }
        if (zc.length > 0) {
          AddPiece(true, mapped, zc.length);
          mapped += zc.length;
          mapped_bytes += zc.length;
          got += zc.length;
          continue;
        }
        skip = zc.recv_skip_hint > 0 ? zc.recv_skip_hint : left;
        if (skip > left) skip = left;
      }
      int n = CopyPart(buf, got, skip, len);
      if (n < 0) return n;
      if (n > 0) {
        AddPiece(false, got, (size_t)n);
        got += (size_t)n;
        continue;
      }
      // Nothing queued: wait for data, bounded.
      int rc = PollFor(fd, POLLIN, deadline.LeftMs());
      if (rc < 0) return error.SetErrno(-rc, "recv: poll");
      if (rc == 0) return NoProgress(&error, "recv", io_timeout_ms, got, len);
    }
    return 0;
  }

  IovScratch scratch;  // sender roles
  SendCounters send_counters;

  // Receiver roles.
  char* region = nullptr;  // mmap of the socket, PROT_READ
  size_t region_size = 0;
  size_t mapped = 0;  // bytes of the region the last call mapped
  std::vector<Piece> pieces;
  std::vector<struct iovec> segments;
  uint64_t zerocopy_calls = 0;
  uint64_t recv_calls = 0;
  uint64_t mapped_bytes = 0;
  uint64_t copied_bytes = 0;
};

const cs_transport kTransport = MakeTransport<Endpoint>(
    "tcp_zerocopy_recv", "1.0",
    "TCP_ZEROCOPY_RECEIVE maps whole received pages, recv() copies the rest; "
    "sends with sendmsg()",
    CS_CAP_SCATTER_GATHER | CS_CAP_RECV | CS_CAP_RECV_IN_PLACE, Probe);

}  // namespace
}  // namespace copyscope::transports

COPYSCOPE_TRANSPORT_ENTRY(copyscope::transports::kTransport);
