// splice: vmsplice() the message into a pipe, then splice() the pipe into
// the socket, looping on partial transfers. The pipe's size is the option
// pipe_size (F_SETPIPE_SZ). Receiving is plain recv().
//
// Whose pages. vmsplice() without SPLICE_F_GIFT does not copy: the pipe
// takes references to the user pages, and splice() into TCP passes those
// references on to the socket, which transmits from them until they are
// acknowledged (over loopback, until the receiver has read them). The host
// may overwrite a buffer as soon as send() returns (the transport has no
// asynchronous release, and nothing tells when the socket lets go), so the
// host's fields are never vmspliced: the transport copies each chunk of a
// message into staging pages it owns, vmsplices those, splices them out,
// and then drops them (MADV_DONTNEED), so the next chunk is written on
// fresh pages while the socket keeps the old ones. SPLICE_F_GIFT is not
// used: it only lets a later splice into a file steal a page; a socket
// never steals, so it changes nothing here.
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include <new>

#include "plugins/copyscope_transport.h"
#include "transports/common/sigpipe.h"
#include "transports/common/socket_io.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14
#endif

namespace copyscope::transports {
namespace {

const cs_option_desc kOptions[] = {
    {"pipe_size", "1M",
     "pipe capacity in bytes (F_SETPIPE_SZ, K/M suffixes); a message moves "
     "in chunks of this size. Above fs.pipe-max-size needs CAP_SYS_RESOURCE"},
};
constexpr uint32_t kOptionCount = sizeof(kOptions) / sizeof(kOptions[0]);

struct Endpoint {
  int fd = -1;
  uint32_t role = 0;
  int io_timeout_ms = -1;
  int pipe_r = -1, pipe_w = -1;  // sender roles
  char* staging = nullptr;       // pipe capacity bytes, page-aligned
  size_t chunk = 0;              // pipe capacity
  bool populate = true;          // MADV_POPULATE_WRITE works here
  int broken = 0;
  SendCounters send_counters;  // splice() calls into the socket
  uint64_t vmsplice_calls = 0;
  uint64_t copied_bytes = 0;  // bytes copied into staging pages
  uint64_t pages_dropped = 0;
  ErrorText error;
};

Endpoint* Ep(cs_endpoint* ep) { return reinterpret_cast<Endpoint*>(ep); }
const Endpoint* Ep(const cs_endpoint* ep) {
  return reinterpret_cast<const Endpoint*>(ep);
}

void Free(Endpoint* ep) {
  if (ep->staging != nullptr) munmap(ep->staging, ep->chunk);
  if (ep->pipe_r >= 0) close(ep->pipe_r);
  if (ep->pipe_w >= 0) close(ep->pipe_w);
  delete ep;
}

int Probe(char* why, size_t why_size) {
  FormatInto(why, why_size, "%s", "");
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) {
    int e = errno;
    char buf[96];
    FormatInto(why, why_size, "pipe2: %s", ErrnoName(e, buf, sizeof(buf)));
    return -e;
  }
  char byte = 'x';
  struct iovec iov = {&byte, 1};
  int rc = 0;
  if (vmsplice(p[1], &iov, 1, SPLICE_F_NONBLOCK) != 1) {
    int e = errno;
    char buf[96];
    FormatInto(why, why_size, "vmsplice: %s", ErrnoName(e, buf, sizeof(buf)));
    rc = -e;
  }
  close(p[0]);
  close(p[1]);
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
  if (rc == 0) {
    rc = CheckOptionKeys(config, kOptions, kOptionCount, err, err_size);
  }
  if (rc < 0) return rc;
  uint64_t pipe_size = 1 << 20;
  const char* text = FindOption(config, "pipe_size");
  if (text != nullptr && (!ParseByteCount(text, &pipe_size) || pipe_size == 0 ||
                          pipe_size > (1u << 30))) {
    FormatInto(err, err_size,
               "option pipe_size='%s' is not a byte count in 1..1G "
               "(e.g. 256K)",
               text);
    return -EINVAL;
  }
  rc = ApplySocketTimeouts(config->fd, config->role, config->io_timeout_ms, err,
                           err_size);
  if (rc < 0) return rc;

  Endpoint* ep = new (std::nothrow) Endpoint;
  if (ep == nullptr) {
    FormatInto(err, err_size, "open: out of memory");
    return -ENOMEM;
  }
  ep->fd = config->fd;
  ep->role = config->role;
  ep->io_timeout_ms = config->io_timeout_ms;
  if (config->role & CS_ROLE_SENDER) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
      int e = errno;
      Free(ep);
      char buf[96];
      FormatInto(err, err_size, "open: pipe2: %s",
                 ErrnoName(e, buf, sizeof(buf)));
      return -e;
    }
    ep->pipe_r = p[0];
    ep->pipe_w = p[1];
    int got = fcntl(ep->pipe_w, F_SETPIPE_SZ, (int)pipe_size);
    if (got < 0) {
      int e = errno;
      Free(ep);
      char buf[96];
      FormatInto(
          err, err_size, "open: F_SETPIPE_SZ to %llu bytes: %s%s",
          (unsigned long long)pipe_size, ErrnoName(e, buf, sizeof(buf)),
          e == EPERM ? " (above fs.pipe-max-size; lower pipe_size)" : "");
      return -e;
    }
    ep->chunk = (size_t)got;  // the kernel rounds up to pages
    void* m = mmap(nullptr, ep->chunk, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
      int e = errno;
      Free(ep);
      FormatInto(err, err_size,
                 "open: %zu bytes of staging pages: out of "
                 "memory",
                 (size_t)got);
      return -e;
    }
    ep->staging = static_cast<char*>(m);
  }
  *out = reinterpret_cast<cs_endpoint*>(ep);
  return 0;
}

void Close(cs_endpoint* handle) {
  Endpoint* ep = Ep(handle);
  if (ep != nullptr) Free(ep);  // the socket keeps the pages it references
}

// Copies bytes [pos, pos + n) of the message into fresh staging pages.
void Stage(Endpoint* ep, const cs_message& msg, size_t pos, size_t n) {
  if (ep->populate &&
      madvise(ep->staging, n, MADV_POPULATE_WRITE) != 0) {  // no page faults
    ep->populate = false;  // an older kernel: the copy faults them in
  }
  size_t skipped = 0, out = 0;
  for (uint32_t f = 0; f < msg.field_count && out < n; ++f) {
    size_t len = msg.fields[f].iov_len;
    if (skipped + len <= pos) {
      skipped += len;
      continue;
    }
    size_t from = pos > skipped ? pos - skipped : 0;
    size_t take = len - from < n - out ? len - from : n - out;
    memcpy(ep->staging + out,
           static_cast<const char*>(msg.fields[f].iov_base) + from, take);
    out += take;
    skipped += len;
  }
  ep->copied_bytes += n;
}

// Moves staging [0, n) through the pipe into the socket; `more` says more
// of the message follows.
int Transfer(Endpoint* ep, size_t n, size_t done, size_t total, bool more) {
  size_t in = 0;  // vmspliced into the pipe
  while (in < n) {
    struct iovec iov = {ep->staging + in, n - in};
    ssize_t r = vmsplice(ep->pipe_w, &iov, 1, SPLICE_F_NONBLOCK);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      return ep->error.SetErrno(r < 0 ? errno : EIO, "send: vmsplice");
    }
    ++ep->vmsplice_calls;
    in += (size_t)r;
  }
  SigpipeGuard guard;  // splice() has no MSG_NOSIGNAL
  size_t out = 0;      // spliced into the socket
  while (out < n) {
    unsigned flags = SPLICE_F_MOVE | (more ? SPLICE_F_MORE : 0);
    ssize_t r = splice(ep->pipe_r, nullptr, ep->fd, nullptr, n - out, flags);
    if (r > 0) {
      ++ep->send_counters.send_calls;
      if ((size_t)r < n - out) ++ep->send_counters.short_writes;
      out += (size_t)r;
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      int rc = WaitAfterEagain(ep->fd, POLLOUT, ep->io_timeout_ms, "splice",
                               done + out, total, nullptr, &ep->error);
      if (rc < 0) return rc;
      continue;
    }
    if (r == 0) return ep->error.Set(-EIO, "splice: moved 0 bytes");
    int e = errno;
    if (e == EPIPE) guard.ConsumeRaised();
    char buf[96];
    return ep->error.Set(-e, "splice: %s (after %zu of %zu bytes)",
                         ErrnoName(e, buf, sizeof(buf)), done + out, total);
  }
  // The socket holds the staging pages now: take fresh ones next time.
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t used = (n + page - 1) / page * page;
  if (madvise(ep->staging, used, MADV_DONTNEED) != 0) {
    return ep->error.SetErrno(errno, "send: madvise(MADV_DONTNEED)");
  }
  ep->pages_dropped += used / page;
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
  int rc = CheckMessages(messages, count, 0, &ep->error);
  if (rc < 0) return rc;
  for (uint32_t m = 0; m < count; ++m) {
    size_t total = 0;
    for (uint32_t f = 0; f < messages[m].field_count; ++f) {
      total += messages[m].fields[f].iov_len;
    }
    for (size_t pos = 0; pos < total && rc == 0;) {
      size_t n = total - pos < ep->chunk ? total - pos : ep->chunk;
      Stage(ep, messages[m], pos, n);
      rc = Transfer(ep, n, pos, total, pos + n < total);
      pos += n;
    }
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
  // The fields were copied into staging pages: free when send() returns.
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
      {"vmsplice_calls", ep->vmsplice_calls},
      {"copied_bytes", ep->copied_bytes},
      {"pages_dropped", ep->pages_dropped},
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
    "splice",
    "1.0",
    "copy into staging pages, vmsplice() them into a pipe, splice() the "
    "pipe into the socket",
    CS_CAP_RECV,
    kOptions,
    kOptionCount,
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
