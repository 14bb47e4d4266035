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

#include <new>

#include "plugins/copyscope_transport.h"
#include "transports/common/sigpipe.h"
#include "transports/common/socket_io.h"

namespace copyscope::transports {
namespace {

struct Endpoint {
  int fd = -1;
  uint32_t role = 0;
  int io_timeout_ms = -1;
  int memfd = -1;         // sender roles
  size_t max_size = 0;    // max_message_size
  size_t memfd_size = 0;  // max_size rounded up to 2 MiB
  bool dirty = false;     // the file holds the last message's pages
  IovScratch scratch;     // pwritev() chunks of IOV_MAX fields
  int broken = 0;
  SendCounters send_counters;  // sendfile() calls
  uint64_t copied_bytes = 0;   // bytes written into the memfd
  uint64_t hole_punches = 0;
  ErrorText error;
};

Endpoint* Ep(cs_endpoint* ep) { return reinterpret_cast<Endpoint*>(ep); }
const Endpoint* Ep(const cs_endpoint* ep) {
  return reinterpret_cast<const Endpoint*>(ep);
}

size_t PageSize() {
  long p = sysconf(_SC_PAGESIZE);
  return p > 0 ? (size_t)p : 4096;
}

int Probe(char* why, size_t why_size) {
  FormatInto(why, why_size, "%s", "");
  int fd = memfd_create("copyscope_sendfile_probe", MFD_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    char buf[96];
    FormatInto(why, why_size, "memfd_create: %s (needs Linux 3.17+)",
               ErrnoName(e, buf, sizeof(buf)));
    return -e;
  }
  size_t page = PageSize();
  int rc = 0;
  if (ftruncate(fd, (off_t)page) != 0 ||
      fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
                (off_t)page) != 0) {
    int e = errno;
    char buf[96];
    FormatInto(why, why_size, "memfd hole punching: %s (needs Linux 3.5+)",
               ErrnoName(e, buf, sizeof(buf)));
    rc = -e;
  }
  close(fd);
  return rc;
}

int Open(const cs_endpoint_config* config, cs_endpoint** out, char* err,
         size_t err_size) {
  if (out == nullptr) {
    FormatInto(err, err_size, "open: out is NULL");
    return -EINVAL;
  }
  *out = nullptr;
  int rc = CheckConfig(config, err, err_size);
  if (rc == 0) rc = CheckOptionKeys(config, nullptr, 0, err, err_size);
  if (rc < 0) return rc;
  bool sender = (config->role & CS_ROLE_SENDER) != 0;
  if (sender && config->max_message_size == 0) {
    FormatInto(err, err_size,
               "open: max_message_size must be >= 1 for a sender");
    return -EINVAL;
  }
  rc = ApplySocketTimeouts(config->fd, config->role, config->io_timeout_ms, err,
                           err_size);
  if (rc < 0) return rc;

  Endpoint* ep = new (std::nothrow) Endpoint;
  if (ep == nullptr || (sender && !ep->scratch.Reserve(config->max_fields))) {
    delete ep;
    FormatInto(err, err_size, "open: out of memory");
    return -ENOMEM;
  }
  ep->fd = config->fd;
  ep->role = config->role;
  ep->io_timeout_ms = config->io_timeout_ms;
  if (sender) {
    const size_t kHuge = 2 << 20;
    ep->max_size = config->max_message_size;
    ep->memfd_size = (ep->max_size + kHuge - 1) / kHuge * kHuge;
    ep->memfd = memfd_create("copyscope_sendfile", MFD_CLOEXEC);
    if (ep->memfd < 0 || ftruncate(ep->memfd, (off_t)ep->memfd_size) != 0) {
      int e = errno;
      char buf[96];
      FormatInto(err, err_size, "open: a %zu-byte memfd: %s", ep->memfd_size,
                 ErrnoName(e, buf, sizeof(buf)));
      if (ep->memfd >= 0) close(ep->memfd);
      delete ep;
      return -e;
    }
  }
  *out = reinterpret_cast<cs_endpoint*>(ep);
  return 0;
}

void Close(cs_endpoint* handle) {
  Endpoint* ep = Ep(handle);
  if (ep == nullptr) return;
  // Pages still referenced by the socket outlive the file.
  if (ep->memfd >= 0) close(ep->memfd);
  delete ep;
}

// Writes the message's fields at offset 0 of the memfd, on fresh pages.
int Stage(Endpoint* ep, const cs_message& msg, size_t len) {
  if (ep->dirty) {
    if (fallocate(ep->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
                  (off_t)ep->memfd_size) != 0) {
      return ep->error.SetErrno(errno, "send: fallocate(PUNCH_HOLE)");
    }
    ++ep->hole_punches;
    ep->dirty = false;
  }
  off_t off = 0;
  uint32_t next = 0;
  while (next < msg.field_count) {
    struct iovec* iov = ep->scratch.data();
    uint32_t n = 0;
    while (next < msg.field_count && n < ep->scratch.capacity()) {
      if (msg.fields[next].iov_len > 0) iov[n++] = msg.fields[next];
      ++next;
    }
    uint32_t first = 0;
    while (first < n) {
      ssize_t w = pwritev(ep->memfd, iov + first, (int)(n - first), off);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        return ep->error.SetErrno(w < 0 ? errno : EIO, "send: pwritev(memfd)");
      }
      off += w;
      ep->dirty = true;
      size_t left = (size_t)w;
      while (first < n && left >= iov[first].iov_len) {
        left -= iov[first].iov_len;
        ++first;
      }
      if (left > 0) {
        iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
        iov[first].iov_len -= left;
      }
    }
  }
  ep->copied_bytes += len;
  return 0;
}

// sendfile() bytes [0, len) of the memfd to the socket.
int SendStaged(Endpoint* ep, size_t len) {
  SigpipeGuard guard;  // sendfile() has no MSG_NOSIGNAL
  off_t off = 0;
  while ((size_t)off < len) {
    ssize_t n = sendfile(ep->fd, ep->memfd, &off, len - (size_t)off);
    if (n > 0) {
      ++ep->send_counters.send_calls;
      if ((size_t)off < len) ++ep->send_counters.short_writes;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      int rc = WaitAfterEagain(ep->fd, POLLOUT, ep->io_timeout_ms, "sendfile",
                               (size_t)off, len, nullptr, &ep->error);
      if (rc < 0) return rc;
      continue;
    }
    if (n == 0) return ep->error.Set(-EIO, "sendfile: wrote 0 bytes");
    int e = errno;
    if (e == EPIPE) guard.ConsumeRaised();
    char buf[96];
    return ep->error.Set(-e, "sendfile: %s (after %lld of %zu bytes)",
                         ErrnoName(e, buf, sizeof(buf)), (long long)off, len);
  }
  return 0;
}

int Send(cs_endpoint* handle, const cs_message* messages, uint32_t count) {
  Endpoint* ep = Ep(handle);
  if (ep == nullptr) return -EINVAL;
  // After a failure only close() may follow; last_error keeps its cause.
  if (ep->broken != 0) return ep->broken;
  if ((ep->role & CS_ROLE_SENDER) == 0) {
    return ep->error.Set(-EINVAL, "send: endpoint was opened as a receiver");
  }
  int rc = CheckMessages(messages, count, ep->max_size, &ep->error);
  if (rc < 0) return rc;
  for (uint32_t m = 0; m < count; ++m) {
    size_t len = 0;
    for (uint32_t f = 0; f < messages[m].field_count; ++f) {
      len += messages[m].fields[f].iov_len;
    }
    if (len == 0) continue;
    rc = Stage(ep, messages[m], len);
    if (rc == 0) rc = SendStaged(ep, len);
    if (rc < 0) {
      ep->broken = rc;
      return rc;
    }
  }
  return 0;
}

int Reap(cs_endpoint* handle, uint64_t* tags, uint32_t max, int timeout_ms) {
  (void)tags;
  (void)max;
  (void)timeout_ms;
  // The fields were copied into the memfd: free as soon as send() returns.
  return handle == nullptr ? -EINVAL : 0;
}

int Recv(cs_endpoint* handle, cs_recv_args* args) {
  Endpoint* ep = Ep(handle);
  if (ep == nullptr) return -EINVAL;
  if ((ep->role & CS_ROLE_RECEIVER) == 0) {
    return ep->error.Set(-EINVAL, "recv: endpoint was opened as a sender");
  }
  int rc = CheckRecvArgs(args, &ep->error);
  if (rc < 0) return rc;
  return RecvExact(ep->fd, args->buf, args->len, ep->io_timeout_ms, &ep->error);
}

uint32_t Counters(const cs_endpoint* handle, cs_counter* out, uint32_t max) {
  const Endpoint* ep = Ep(handle);
  if (ep == nullptr) return 0;
  const cs_counter counters[] = {
      {"send_calls", ep->send_counters.send_calls},
      {"short_writes", ep->send_counters.short_writes},
      {"copied_bytes", ep->copied_bytes},
      {"hole_punches", ep->hole_punches},
  };
  return CopyCounters(counters, sizeof(counters) / sizeof(counters[0]), out,
                      max);
}

const char* LastError(const cs_endpoint* handle) {
  const Endpoint* ep = Ep(handle);
  return ep == nullptr ? "endpoint is NULL" : ep->error.c_str();
}

const cs_transport kTransport = {
    CS_TRANSPORT_STRUCT_SIZE,
    CS_ABI_MAJOR,
    CS_ABI_MINOR,
    "sendfile",
    "1.0",
    "pwritev() the fields into a memfd, then sendfile() it to the socket",
    CS_CAP_RECV,
    nullptr,
    0,
    Probe,
    Open,
    Close,
    Send,
    Reap,
    Recv,
    Counters,
    LastError,
};

}  // namespace
}  // namespace copyscope::transports

extern "C" CS_EXPORT const cs_transport* copyscope_transport_entry(
    const cs_host* host) {
  if (host == nullptr || host->struct_size < CS_HOST_STRUCT_SIZE ||
      host->abi_major != CS_ABI_MAJOR) {
    return nullptr;
  }
  return &copyscope::transports::kTransport;
}
