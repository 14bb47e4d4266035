// zero_copy: MSG_ZEROCOPY sendmsg() over the fields. The kernel pins the
// host's pages instead of copying them and later says, on the socket's error
// queue, which sendmsg() calls it is done with; only then are a message's
// buffers handed back (reap). See Linux Documentation/networking/
// msg_zerocopy.rst.
//
// Bookkeeping. The kernel numbers every successful MSG_ZEROCOPY sendmsg() on
// a socket with a 32-bit counter; notifications carry inclusive ranges
// [ee_info, ee_data] of those numbers. This endpoint keeps the same count,
// widened to 64 bits, and records for each message the number one past its
// last call: a message is released once every call up to there completed.
// Notifications may arrive out of order, so completed ranges above the
// "all done below" mark are kept until the gap closes. A process-wide table
// (keyed by SO_COOKIE) carries the count from one endpoint to the next on
// the same socket, and refuses two sending endpoints on one socket at once.
//
// Notifications flagged SO_EE_CODE_ZEROCOPY_COPIED mean the kernel copied
// after all (always so over loopback); the counters report how many.
// clang-format off
#include <time.h>  // before linux/errqueue.h, which needs struct timespec
#include <linux/errqueue.h>
// clang-format on

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>
#include <map>
#include <mutex>
#include <vector>

#include "plugins/copyscope_transport.h"
#include "transports/common/counters.h"
#include "transports/common/endpoint.h"
#include "transports/common/error_text.h"
#include "transports/common/options.h"
#include "transports/common/probe.h"
#include "transports/common/recv_loop.h"
#include "transports/common/send_loop.h"
#include "transports/common/wait.h"

#ifndef SO_COOKIE
#define SO_COOKIE 57
#endif

namespace copyscope::transports {
namespace {

const cs_option_desc kOptions[] = {
    {"min_size", "0",
     "messages smaller than this many bytes (K/M suffixes allowed) go out "
     "with a plain sendmsg(): MSG_ZEROCOPY costs more than a copy for small "
     "writes"},
};
// How long close() waits for completions when io_timeout_ms is unbounded.
constexpr int kUnboundedCloseWaitMs = 10000;

// The id counts of sockets that had a sending endpoint (see top comment).
struct SocketRecord {
  uint64_t key = 0;
  uint64_t next_id = 0;
  bool sender_open = false;
};
std::mutex g_sockets_mu;
std::vector<SocketRecord> g_sockets;  // guarded by g_sockets_mu
constexpr size_t kMaxSocketRecords = 65536;

struct Pending {
  uint64_t tag;
  uint64_t end_id;  // released when every id below this completed
};

struct Endpoint : EndpointBase<Endpoint> {
  struct Options {
    uint64_t min_size = 0;
  };
  static constexpr OptionTable kOptionTable = OptionsOf(kOptions);

  static int Configure(const cs_endpoint_config& config, Options* o, char* err,
                       size_t err_size);
  int Setup(const cs_endpoint_config& config, const Options& o, char* err,
            size_t err_size);
  void OnClose();
  int SendMessage(const cs_message& msg);
  int ReapReleased(uint64_t* tags, uint32_t max, int timeout_ms);
  int Receive(cs_recv_args* args);
  void ListCounters(CounterList* c) const;

  uint64_t min_size = 0;
  uint64_t socket_key = 0;
  bool registered = false;
  IovScratch scratch;
  IoHooks hooks;

  // Ids: next_id is one past the last id of a finished send; while a
  // MSG_ZEROCOPY send is under way its calls so far (send_calls -
  // calls_base) count too.
  uint64_t next_id = 0;
  bool in_zerocopy_send = false;
  uint64_t calls_base = 0;
  uint64_t done_below = 0;                   // every id < this completed
  std::map<uint64_t, uint64_t> done_ranges;  // [first, end) above done_below
  std::deque<Pending> pending;               // in send order
  std::deque<uint64_t> ready;                // released, not yet reaped

  SendCounters send_counters;
  uint64_t plain_sends = 0;
  uint64_t completions = 0;
  uint64_t copied = 0;
  uint64_t enobufs_retries = 0;

  // The current run of ENOBUFS failures (see OnEnobufs).
  bool enobufs_waiting = false;
  uint64_t enobufs_calls_mark = 0;
  int64_t enobufs_deadline = 0;
  int enobufs_backoff_ms = 1;
};

uint64_t IssuedIds(const Endpoint* ep) {
  return ep->next_id + (ep->in_zerocopy_send
                            ? ep->send_counters.send_calls - ep->calls_base
                            : 0);
}

// Marks ids [lo32, hi32] (kernel numbering) complete.
void MarkComplete(Endpoint* ep, uint32_t lo32, uint32_t hi32, bool copied) {
  uint64_t issued = IssuedIds(ep);
  uint32_t back_lo = (uint32_t)issued - lo32;  // how far below `issued`
  uint32_t back_hi = (uint32_t)issued - hi32;
  if (back_lo == 0 || back_hi == 0 || back_hi > back_lo || back_lo > issued) {
    return;  // not an id this endpoint issued
  }
  uint64_t first = issued - back_lo;
  uint64_t end = issued - back_hi + 1;
  if (end <= ep->done_below) return;  // an earlier endpoint's ids
  if (first < ep->done_below) first = ep->done_below;
  ep->completions += end - first;
  if (copied) ep->copied += end - first;

  // Merge [first, end) into the completed set, then advance done_below.
  auto it = ep->done_ranges.upper_bound(first);
  if (it != ep->done_ranges.begin()) {
    auto prev = std::prev(it);
    if (prev->second >= first) {
      first = prev->first;
      if (prev->second > end) end = prev->second;
      ep->done_ranges.erase(prev);
    }
  }
  while (it != ep->done_ranges.end() && it->first <= end) {
    if (it->second > end) end = it->second;
    it = ep->done_ranges.erase(it);
  }
  if (first <= ep->done_below) {
    ep->done_below = end;
  } else {
    ep->done_ranges[first] = end;
  }
  while (!ep->pending.empty() && ep->pending.front().end_id <= ep->done_below) {
    ep->ready.push_back(ep->pending.front().tag);
    ep->pending.pop_front();
  }
}

// Reads every queued notification without blocking. Returns how many error
// queue entries were read, or a negative errno (error set).
int DrainErrorQueue(Endpoint* ep) {
  int entries = 0;
  for (;;) {
    alignas(struct cmsghdr) char control[256];
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    if (recvmsg(ep->fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return entries;
      return ep->error.SetErrno(errno, "recvmsg(MSG_ERRQUEUE)");
    }
    ++entries;
    for (struct cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm != nullptr;
         cm = CMSG_NXTHDR(&msg, cm)) {
      bool ip = cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_RECVERR;
      bool ip6 = cm->cmsg_level == SOL_IPV6 && cm->cmsg_type == IPV6_RECVERR;
      if (!ip && !ip6) continue;
      struct sock_extended_err serr;
      memcpy(&serr, CMSG_DATA(cm), sizeof(serr));
      if (serr.ee_origin != SO_EE_ORIGIN_ZEROCOPY || serr.ee_errno != 0) {
        continue;
      }
      MarkComplete(ep, serr.ee_info, serr.ee_data,
                   (serr.ee_code & SO_EE_CODE_ZEROCOPY_COPIED) != 0);
    }
  }
}

// Waits up to timeout_ms (< 0: forever) until at least one error-queue entry
// was read. Returns the entries read (> 0), 0 on timeout or when nothing is
// outstanding, or a negative errno (error set).
int AwaitCompletions(Endpoint* ep, int timeout_ms) {
  Deadline deadline(timeout_ms);
  for (;;) {
    int n = DrainErrorQueue(ep);
    if (n != 0) return n;
    if (IssuedIds(ep) == ep->done_below) return 0;
    int wait = deadline.LeftMs();
    if (wait == 0) return 0;
    // events == 0: poll reports POLLERR (queued entries) and POLLHUP anyway.
    int rc = PollFor(ep->fd, 0, wait);
    if (rc < 0) return ep->error.SetErrno(-rc, "poll(POLLERR)");
    if (rc == 0) return 0;
    n = DrainErrorQueue(ep);
    if (n != 0) return n;
    // Woken by a socket error or a hang-up, with nothing queued yet: the
    // kernel frees the remaining pages shortly; back off instead of spinning.
    poll(nullptr, 0, 1);
  }
}

bool OnPollErr(void* ctx) {
  return DrainErrorQueue(static_cast<Endpoint*>(ctx)) > 0;
}

// sendmsg(MSG_ZEROCOPY) failed with ENOBUFS: the socket's option memory
// (net.core.optmem_max) or the user's pinned-page budget (RLIMIT_MEMLOCK,
// shared by every socket of the user unless the process has CAP_IPC_LOCK)
// is used up. Completions of this endpoint free the first; other sockets'
// completions may be needed for the second, so with nothing of ours in
// flight we back off and retry. Either way the wait is bounded by
// io_timeout_ms from the first ENOBUFS without progress.
int OnEnobufs(void* ctx, ErrorText* err) {
  Endpoint* ep = static_cast<Endpoint*>(ctx);
  int64_t now = MonotonicMs();
  if (!ep->enobufs_waiting ||
      ep->enobufs_calls_mark != ep->send_counters.send_calls) {
    ep->enobufs_waiting = true;
    ep->enobufs_calls_mark = ep->send_counters.send_calls;
    ep->enobufs_deadline =
        ep->io_timeout_ms < 0 ? INT64_MAX : now + ep->io_timeout_ms;
    ep->enobufs_backoff_ms = 1;
  }
  int64_t left = ep->enobufs_deadline - now;
  uint64_t in_flight = IssuedIds(ep) - ep->done_below;
  if (left <= 0 && in_flight > 0) {
    return err->Set(-ETIMEDOUT,
                    "sendmsg(MSG_ZEROCOPY): ENOBUFS, and %llu earlier calls "
                    "did not complete within io_timeout_ms=%d (is the peer "
                    "reading?)",
                    (unsigned long long)in_flight, ep->io_timeout_ms);
  }
  if (left <= 0) {
    return err->Set(-ENOBUFS,
                    "sendmsg(MSG_ZEROCOPY): ENOBUFS for io_timeout_ms=%d; "
                    "raise net.core.optmem_max or RLIMIT_MEMLOCK (ulimit -l), "
                    "or run with CAP_IPC_LOCK",
                    ep->io_timeout_ms);
  }
  int wait = left > INT32_MAX ? INT32_MAX : (int)left;
  if (in_flight > 0) {
    int rc = AwaitCompletions(ep, wait);
    if (rc < 0) return rc;
    if (rc == 0) {
      return err->Set(-ETIMEDOUT,
                      "sendmsg(MSG_ZEROCOPY): ENOBUFS, and %llu earlier calls "
                      "did not complete within io_timeout_ms=%d (is the peer "
                      "reading?)",
                      (unsigned long long)(IssuedIds(ep) - ep->done_below),
                      ep->io_timeout_ms);
    }
  } else {
    // Other sockets hold the budget: back off 1, 2, 4 .. 64 ms.
    poll(nullptr, 0,
         ep->enobufs_backoff_ms < wait ? ep->enobufs_backoff_ms : wait);
    if (ep->enobufs_backoff_ms < 64) ep->enobufs_backoff_ms *= 2;
  }
  ++ep->enobufs_retries;
  return 0;
}

uint64_t SocketKey(int fd) {
  uint64_t cookie = 0;
  socklen_t len = sizeof(cookie);
  if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &len) == 0) {
    return cookie;
  }
  struct stat st;
  return fstat(fd, &st) == 0 ? ((uint64_t)1 << 63) | st.st_ino : 0;
}

int Probe(char* why, size_t why_size) {
  FormatInto(why, why_size, "%s", "");
  int fd = OpenProbeSocket(why, why_size);
  if (fd < 0) return fd;
  int one = 1;
  int rc = setsockopt(fd, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one));
  int e = errno;
  close(fd);
  if (rc == 0) return 0;
  const KernelRelease kernel;
  const char* release = kernel.text;
  if (e == EOPNOTSUPP || e == ENOPROTOOPT) {
    FormatInto(why, why_size,
               "SO_ZEROCOPY not supported by kernel %s (MSG_ZEROCOPY on TCP "
               "needs Linux 4.14+)",
               release);
  } else {
    FormatInto(why, why_size, "setsockopt(SO_ZEROCOPY) on kernel %s: %s",
               release, ErrnoText(e).c_str());
  }
  return -e;
}

int Endpoint::Configure(const cs_endpoint_config& config, Options* o, char* err,
                        size_t err_size) {
  const char* text = FindOption(&config, "min_size");
  if (text != nullptr && !ParseByteCount(text, &o->min_size)) {
    FormatInto(err, err_size,
               "option min_size='%s' is not a byte count (e.g. 16K)", text);
    return -EINVAL;
  }
  if (config.role & CS_ROLE_SENDER) {
    int one = 1;
    if (setsockopt(config.fd, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one))) {
      int e = errno;
      FormatInto(err, err_size,
                 "open: setsockopt(SO_ZEROCOPY): %s (MSG_ZEROCOPY needs a "
                 "TCP socket and Linux 4.14+)",
                 ErrnoText(e).c_str());
      return -e;
    }
  }
  return 0;
}

int Endpoint::Setup(const cs_endpoint_config& config, const Options& o,
                    char* err, size_t err_size) {
  int rc = ReserveScratch(config, is_sender(), &scratch, err, err_size);
  if (rc < 0) return rc;
  min_size = o.min_size;
  hooks.on_enobufs = OnEnobufs;
  hooks.on_pollerr = OnPollErr;
  hooks.ctx = this;
  if (!is_sender()) return 0;
  socket_key = SocketKey(config.fd);
  try {
    std::lock_guard<std::mutex> lock(g_sockets_mu);
    SocketRecord* record = nullptr;
    for (SocketRecord& r : g_sockets) {
      if (r.key == socket_key) record = &r;
    }
    if (record != nullptr && record->sender_open) {
      FormatInto(err, err_size,
                 "open: fd %d already has an open zero_copy sending "
                 "endpoint; MSG_ZEROCOPY completions cannot be shared",
                 config.fd);
      return -EBUSY;
    }
    if (record == nullptr) {
      if (g_sockets.size() >= kMaxSocketRecords) {
        g_sockets.erase(g_sockets.begin());  // the oldest socket
      }
      g_sockets.push_back(SocketRecord{socket_key, 0, false});
      record = &g_sockets.back();
    }
    record->sender_open = true;
    next_id = done_below = record->next_id;
    registered = true;
  } catch (...) {
    FormatInto(err, err_size, "open: out of memory");
    return -ENOMEM;
  }
  return 0;
}

void Endpoint::OnClose() {
  // The kernel may still read the host's pages: wait for them, bounded.
  Deadline deadline(io_timeout_ms < 0 ? kUnboundedCloseWaitMs : io_timeout_ms);
  try {
    while (IssuedIds(this) != done_below) {
      int left = deadline.LeftMs();
      if (left == 0 || AwaitCompletions(this, left) <= 0) break;
    }
  } catch (...) {
    // Out of memory while merging ranges: nothing more can be tracked.
  }
  if (registered) {
    try {
      std::lock_guard<std::mutex> lock(g_sockets_mu);
      for (SocketRecord& r : g_sockets) {
        if (r.key == socket_key) {
          r.next_id = IssuedIds(this);
          r.sender_open = false;
        }
      }
    } catch (...) {
      // Locking failed: the record stays marked open.
    }
  }
}

int SendOne(Endpoint* ep, const cs_message& msg) {
  uint64_t len = 0;
  for (uint32_t f = 0; f < msg.field_count; ++f) len += msg.fields[f].iov_len;
  bool zerocopy = len > 0 && len >= ep->min_size;
  uint64_t calls_before = ep->send_counters.send_calls;
  ep->in_zerocopy_send = zerocopy;
  ep->calls_base = calls_before;
  int rc =
      SendFieldsAll(ep->fd, msg.fields, msg.field_count,
                    zerocopy ? MSG_ZEROCOPY : 0, ep->io_timeout_ms,
                    &ep->scratch, &ep->send_counters, &ep->error, &ep->hooks);
  uint64_t calls = ep->send_counters.send_calls - calls_before;
  ep->in_zerocopy_send = false;
  if (zerocopy) {
    ep->next_id += calls;
  } else {
    ep->plain_sends += calls;
  }
  // Even a failed message keeps its pages pinned until its calls complete.
  if (zerocopy && calls > 0 && ep->next_id > ep->done_below) {
    ep->pending.push_back(Pending{msg.tag, ep->next_id});
  } else {
    ep->ready.push_back(msg.tag);
  }
  return rc;
}

int Endpoint::SendMessage(const cs_message& msg) { return SendOne(this, msg); }

int Endpoint::ReapReleased(uint64_t* tags, uint32_t max, int timeout_ms) {
  if (max > 0 && tags == nullptr) {
    return error.Set(-EINVAL, "reap: tags is NULL");
  }
  if (max == 0) return 0;
  try {
    if (ready.size() < max && !pending.empty()) {
      int rc = DrainErrorQueue(this);
      if (rc < 0) return rc;
    }
    if (ready.empty() && !pending.empty() && timeout_ms != 0) {
      Deadline deadline(timeout_ms < 0 ? io_timeout_ms : timeout_ms);
      while (ready.empty()) {
        int left = deadline.LeftMs();
        if (left == 0) break;
        int rc = AwaitCompletions(this, left);
        if (rc < 0) return rc;
        if (rc == 0) break;
      }
    }
  } catch (...) {
    return error.Set(-ENOMEM, "reap: out of memory");
  }
  uint32_t n = 0;
  while (n < max && !ready.empty()) {
    tags[n++] = ready.front();
    ready.pop_front();
  }
  return (int)n;
}

int Endpoint::Receive(cs_recv_args* args) {
  // Only an endpoint that sends may consume the socket's error queue.
  const IoHooks* io_hooks = is_sender() ? &hooks : nullptr;
  try {
    return RecvExact(fd, args->buf, args->len, io_timeout_ms, &error, io_hooks);
  } catch (...) {
    return error.Set(-ENOMEM, "recv: out of memory");
  }
}

void Endpoint::ListCounters(CounterList* c) const {
  c->AddSendCounters(send_counters);
  c->Add("zerocopy_completions", completions);
  c->Add("zerocopy_copied", copied);
  c->Add("enobufs_retries", enobufs_retries);
  c->Add("plain_sends", plain_sends);
}

const cs_transport kTransport = MakeTransport<Endpoint>(
    "zero_copy", "1.0",
    "MSG_ZEROCOPY sendmsg() over the fields; buffers released on completion",
    CS_CAP_SCATTER_GATHER | CS_CAP_ASYNC_RELEASE | CS_CAP_ZERO_COPY_SEND |
        CS_CAP_RECV,
    Probe);

}  // namespace
}  // namespace copyscope::transports

COPYSCOPE_TRANSPORT_ENTRY(copyscope::transports::kTransport);
