// sendfile: the message lives in a memfd. send() writes the fields into the
// memfd with pwritev() (the kernel's copy, the transport's honest cost),
// then sendfile()s the range to the socket, handling partial writes, EINTR
// and EAGAIN. Receiving is plain recv().
//
// Why each message gets fresh pages. sendfile() into TCP does not copy: the
// socket takes references to the memfd's page-cache pages and transmits
// from them until they are acknowledged (over loopback, until the receiver
// has read them). Writing the next message into the same pages would change
// bytes still in flight. So before writing a message the transport punches
// a hole over the previous one (fallocate(PUNCH_HOLE)): the old pages leave
// the file, the socket keeps its references to their unchanged contents, and
// the write allocates new pages. The hole covers the whole file, sized in
// 2 MiB units, so that only whole pages leave it even where shmem uses huge
// pages (a partial punch would zero a shared page in place).
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <unistd.h>

#include "plugins/copyscope_transport.h"
#include "transports/common/counters.h"
#include "transports/common/endpoint.h"
#include "transports/common/error_text.h"
#include "transports/common/probe.h"
#include "transports/common/send_loop.h"
#include "transports/common/sigpipe.h"

namespace copyscope::transports {
namespace {

int Probe(char* why, size_t why_size) {
  FormatInto(why, why_size, "%s", "");
  int fd = memfd_create("copyscope_sendfile_probe", MFD_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    FormatInto(why, why_size, "memfd_create: %s (needs Linux 3.17+)",
               ErrnoText(e).c_str());
    return -e;
  }
  size_t page = PageSize();
  int rc = 0;
  if (ftruncate(fd, (off_t)page) != 0 ||
      fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
                (off_t)page) != 0) {
    int e = errno;
    FormatInto(why, why_size, "memfd hole punching: %s (needs Linux 3.5+)",
               ErrnoText(e).c_str());
    rc = -e;
  }
  close(fd);
  return rc;
}

struct Endpoint : EndpointBase<Endpoint> {
  // Pages still referenced by the socket outlive the file.
  ~Endpoint() {
    if (memfd >= 0) close(memfd);
  }

  static int Configure(const cs_endpoint_config& config, Options*, char* err,
                       size_t err_size) {
    return RequireMaxMessageSize(config, err, err_size);
  }

  int Setup(const cs_endpoint_config& config, const Options&, char* err,
            size_t err_size) {
    int rc = ReserveScratch(config, is_sender(), &scratch, err, err_size);
    if (rc < 0 || !is_sender()) return rc;
    const size_t kHuge = 2 << 20;
    max_message_len = config.max_message_size;
    memfd_size = (max_message_len + kHuge - 1) / kHuge * kHuge;
    memfd = memfd_create("copyscope_sendfile", MFD_CLOEXEC);
    if (memfd < 0 || ftruncate(memfd, (off_t)memfd_size) != 0) {
      int e = errno;
      FormatInto(err, err_size, "open: a %zu-byte memfd: %s", memfd_size,
                 ErrnoText(e).c_str());
      return -e;
    }
    return 0;
  }

  int SendMessage(const cs_message& msg) {
    size_t len = 0;
    for (uint32_t f = 0; f < msg.field_count; ++f) {
      len += msg.fields[f].iov_len;
    }
    if (len == 0) return 0;
    int rc = Stage(msg, len);
    return rc < 0 ? rc : SendStaged(len);
  }

  void ListCounters(CounterList* c) const {
    c->AddSendCounters(send_counters);
    c->Add("copied_bytes", copied_bytes);
    c->Add("hole_punches", hole_punches);
  }

  // Writes the message's fields at offset 0 of the memfd, on fresh pages.
  int Stage(const cs_message& msg, size_t len) {
    if (dirty) {
      if (fallocate(memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
                    (off_t)memfd_size) != 0) {
        return error.SetErrno(errno, "send: fallocate(PUNCH_HOLE)");
      }
      ++hole_punches;
      dirty = false;
    }
    off_t off = 0;
    uint32_t next = 0;
    while (next < msg.field_count) {
      size_t bytes = 0;
      uint32_t n = scratch.Load(msg.fields, msg.field_count, &next, &bytes);
      struct iovec* iov = scratch.data();
      uint32_t first = 0;
      while (first < n) {
        ssize_t w = pwritev(memfd, iov + first, (int)(n - first), off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
          return error.SetErrno(w < 0 ? errno : EIO, "send: pwritev(memfd)");
        }
        off += w;
        dirty = true;
        first = AdvanceIov(iov, first, n, (size_t)w);
      }
    }
    copied_bytes += len;
    return 0;
  }

  // sendfile() bytes [0, len) of the memfd to the socket.
  int SendStaged(size_t len) {
    SigpipeGuard guard;  // sendfile() has no MSG_NOSIGNAL
    SendProgress progress(fd, "sendfile", 0, len, io_timeout_ms, &send_counters,
                          &error);
    while (progress.done() < len) {
      off_t off = (off_t)progress.done();
      size_t offered = len - progress.done();
      ssize_t n = sendfile(fd, memfd, &off, offered);
      if (n < 0 && errno == EPIPE) guard.ConsumeRaised();
      n = progress.After(n, offered);
      if (n < 0) return (int)n;
    }
    return 0;
  }

  int memfd = -1;              // sender roles
  size_t memfd_size = 0;       // max_message_len rounded up to 2 MiB
  bool dirty = false;          // the file holds the last message's pages
  IovScratch scratch;          // pwritev() chunks of IOV_MAX fields
  SendCounters send_counters;  // sendfile() calls
  uint64_t copied_bytes = 0;   // bytes written into the memfd
  uint64_t hole_punches = 0;
};

// The fields were copied into the memfd: free as soon as send() returns.
const cs_transport kTransport = MakeTransport<Endpoint>(
    "sendfile", "1.0",
    "pwritev() the fields into a memfd, then sendfile() it to the socket",
    CS_CAP_RECV, Probe);

}  // namespace
}  // namespace copyscope::transports

COPYSCOPE_TRANSPORT_ENTRY(copyscope::transports::kTransport);
