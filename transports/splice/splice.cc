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

#include "plugins/copyscope_transport.h"
#include "transports/common/counters.h"
#include "transports/common/endpoint.h"
#include "transports/common/error_text.h"
#include "transports/common/options.h"
#include "transports/common/probe.h"
#include "transports/common/send_loop.h"
#include "transports/common/sigpipe.h"

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

int Probe(char* why, size_t why_size) {
  FormatInto(why, why_size, "%s", "");
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) {
    int e = errno;
    FormatInto(why, why_size, "pipe2: %s", ErrnoText(e).c_str());
    return -e;
  }
  char byte = 'x';
  struct iovec iov = {&byte, 1};
  int rc = 0;
  if (vmsplice(p[1], &iov, 1, SPLICE_F_NONBLOCK) != 1) {
    int e = errno;
    FormatInto(why, why_size, "vmsplice: %s", ErrnoText(e).c_str());
    rc = -e;
  }
  close(p[0]);
  close(p[1]);
  return rc;
}

struct Endpoint : EndpointBase<Endpoint> {
  struct Options {
    uint64_t pipe_size = 1 << 20;
  };
  static constexpr OptionTable kOptionTable = OptionsOf(kOptions);

  // The socket keeps the pages it references.
  ~Endpoint() {
    if (staging != nullptr) munmap(staging, chunk);
    if (pipe_r >= 0) close(pipe_r);
    if (pipe_w >= 0) close(pipe_w);
  }

  static int Configure(const cs_endpoint_config& config, Options* o, char* err,
                       size_t err_size) {
    const char* text = FindOption(&config, "pipe_size");
    if (text != nullptr && (!ParseByteCount(text, &o->pipe_size) ||
                            o->pipe_size == 0 || o->pipe_size > (1u << 30))) {
      FormatInto(err, err_size,
                 "option pipe_size='%s' is not a byte count in 1..1G "
                 "(e.g. 256K)",
                 text);
      return -EINVAL;
    }
    return 0;
  }

  int Setup(const cs_endpoint_config&, const Options& o, char* err,
            size_t err_size) {
    if (!is_sender()) return 0;
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
      int e = errno;
      FormatInto(err, err_size, "open: pipe2: %s", ErrnoText(e).c_str());
      return -e;
    }
    pipe_r = p[0];
    pipe_w = p[1];
    int got = fcntl(pipe_w, F_SETPIPE_SZ, (int)o.pipe_size);
    if (got < 0) {
      int e = errno;
      FormatInto(
          err, err_size, "open: F_SETPIPE_SZ to %llu bytes: %s%s",
          (unsigned long long)o.pipe_size, ErrnoText(e).c_str(),
          e == EPERM ? " (above fs.pipe-max-size; lower pipe_size)" : "");
      return -e;
    }
    chunk = (size_t)got;  // the kernel rounds up to pages
    void* m = mmap(nullptr, chunk, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
      int e = errno;
      FormatInto(err, err_size,
                 "open: %zu bytes of staging pages: out of "
                 "memory",
                 (size_t)got);
      return -e;
    }
    staging = static_cast<char*>(m);
    return 0;
  }

  int SendMessage(const cs_message& msg) {
    size_t total = 0;
    for (uint32_t f = 0; f < msg.field_count; ++f) {
      total += msg.fields[f].iov_len;
    }
    int rc = 0;
    for (size_t pos = 0; pos < total && rc == 0;) {
      size_t n = total - pos < chunk ? total - pos : chunk;
      Stage(msg, pos, n);
      rc = Transfer(n, pos, total, pos + n < total);
      pos += n;
    }
    return rc;
  }

  void ListCounters(CounterList* c) const {
    c->AddSendCounters(send_counters);
    c->Add("vmsplice_calls", vmsplice_calls);
    c->Add("copied_bytes", copied_bytes);
    c->Add("pages_dropped", pages_dropped);
  }

  // Copies bytes [pos, pos + n) of the message into fresh staging pages.
  void Stage(const cs_message& msg, size_t pos, size_t n) {
    if (populate &&
        madvise(staging, n, MADV_POPULATE_WRITE) != 0) {  // no page faults
      populate = false;  // an older kernel: the copy faults them in
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
      memcpy(staging + out,
             static_cast<const char*>(msg.fields[f].iov_base) + from, take);
      out += take;
      skipped += len;
    }
    copied_bytes += n;
  }

  // Moves staging [0, n) through the pipe into the socket; `more` says more
  // of the message follows.
  int Transfer(size_t n, size_t done, size_t total, bool more) {
    size_t in = 0;  // vmspliced into the pipe
    while (in < n) {
      struct iovec iov = {staging + in, n - in};
      ssize_t r = vmsplice(pipe_w, &iov, 1, SPLICE_F_NONBLOCK);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        return error.SetErrno(r < 0 ? errno : EIO, "send: vmsplice");
      }
      ++vmsplice_calls;
      in += (size_t)r;
    }
    SigpipeGuard guard;  // splice() has no MSG_NOSIGNAL
    SendProgress progress(fd, "splice", done, total, io_timeout_ms,
                          &send_counters, &error);
    while (progress.done() < done + n) {  // spliced into the socket
      size_t offered = done + n - progress.done();
      unsigned flags = SPLICE_F_MOVE | (more ? SPLICE_F_MORE : 0);
      ssize_t r = splice(pipe_r, nullptr, fd, nullptr, offered, flags);
      if (r == 0) return error.Set(-EIO, "splice: moved 0 bytes");
      if (r < 0 && errno == EPIPE) guard.ConsumeRaised();
      r = progress.After(r, offered);
      if (r < 0) return (int)r;
    }
    // The socket holds the staging pages now: take fresh ones next time.
    size_t page = PageSize();
    size_t used = (n + page - 1) / page * page;
    if (madvise(staging, used, MADV_DONTNEED) != 0) {
      return error.SetErrno(errno, "send: madvise(MADV_DONTNEED)");
    }
    pages_dropped += used / page;
    return 0;
  }

  int pipe_r = -1, pipe_w = -1;  // sender roles
  char* staging = nullptr;       // pipe capacity bytes, page-aligned
  size_t chunk = 0;              // pipe capacity
  bool populate = true;          // MADV_POPULATE_WRITE works here
  SendCounters send_counters;    // splice() calls into the socket
  uint64_t vmsplice_calls = 0;
  uint64_t copied_bytes = 0;  // bytes copied into staging pages
  uint64_t pages_dropped = 0;
};

// The fields were copied into staging pages: free when send() returns.
const cs_transport kTransport = MakeTransport<Endpoint>(
    "splice", "1.0",
    "copy into staging pages, vmsplice() them into a pipe, splice() the "
    "pipe into the socket",
    CS_CAP_RECV, Probe);

}  // namespace
}  // namespace copyscope::transports

COPYSCOPE_TRANSPORT_ENTRY(copyscope::transports::kTransport);
