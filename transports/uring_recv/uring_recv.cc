// uring_recv: receives with io_uring IORING_OP_RECV into provided buffers (a
// buffer ring registered with the kernel), multishot where the kernel has
// it (Linux 6.0+): one armed receive keeps filling buffers as data arrives.
// A message that fits in half the buffers is returned in place: the
// segments point into the provided buffers, valid until the next call, and
// those buffers go back to the kernel then. A larger message, or one caught
// by the buffers running out, is copied into the host's buffer. Sending is
// plain sendmsg() over the fields.
//
// Read-ahead: a multishot receive takes whatever the socket has, so bytes of
// later messages wait in provided buffers for the next recv(); closing the
// endpoint discards them. multishot=0 asks only for the current message's
// bytes, one receive per buffer.
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include <deque>
#include <new>
#include <vector>

#include "plugins/copyscope_transport.h"
#include "transports/common/socket_io.h"
#include "transports/common/uring_io.h"

namespace copyscope::transports {
namespace {

const cs_option_desc kOptions[] = {
    {"buf_size", "32K", "bytes per provided buffer (4K..1M)"},
    {"buf_count", "64", "provided buffers, a power of two (2..32768)"},
    {"multishot", "1",
     "1: one multishot receive keeps filling buffers (reads ahead); 0: one "
     "receive per buffer for the current message only"},
};
constexpr uint32_t kOptionCount = sizeof(kOptions) / sizeof(kOptions[0]);
constexpr uint64_t kRecvData = 1;
constexpr uint64_t kCancelData = 2;

const UringOpName kOps[] = {{IORING_OP_RECV, "IORING_OP_RECV"}};

struct Chunk {  // received bytes waiting in provided buffer `bid`
  uint16_t bid;
  uint32_t off;
  uint32_t len;
};

struct Endpoint {
  int fd = -1;
  uint32_t role = 0;
  int io_timeout_ms = -1;
  IovScratch scratch;  // sender roles
  SendCounters send_counters;
  int send_broken = 0;
  ErrorText error;

  // Receiver roles.
  struct io_uring ring;
  bool ring_ready = false;
  struct io_uring_buf_ring* br = nullptr;
  size_t br_bytes = 0;
  bool br_registered = false;
  char* bufs = nullptr;
  uint32_t buf_size = 0, buf_count = 0;
  bool multishot = true;
  bool armed = false;
  bool dry = false;  // the last receive ended for want of buffers
  bool eof = false;
  int sock_error = 0;             // a failed receive's -errno
  std::deque<Chunk> queue;        // received, not yet handed out
  std::vector<uint16_t> recycle;  // handed out by the last call
  std::vector<struct iovec> segments;
  uint64_t recv_calls = 0;  // receives submitted
  uint64_t recv_completions = 0;
  uint64_t in_place = 0;      // messages returned in provided buffers
  uint64_t copied_bytes = 0;  // bytes copied into the host's buffer
  uint64_t enobufs = 0;       // the buffer ring ran dry
};

Endpoint* Ep(cs_endpoint* ep) { return reinterpret_cast<Endpoint*>(ep); }
const Endpoint* Ep(const cs_endpoint* ep) {
  return reinterpret_cast<const Endpoint*>(ep);
}

char* BufferAt(Endpoint* ep, uint16_t bid) {
  return ep->bufs + (size_t)bid * ep->buf_size;
}

// Registers a ring of count provided buffers (group 0). Returns 0 or a
// negative errno with err set.
int SetUpBuffers(Endpoint* ep, char* err, size_t err_size) {
  ep->br_bytes = ep->buf_count * sizeof(struct io_uring_buf);
  void* br = mmap(nullptr, ep->br_bytes, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  void* bufs = mmap(nullptr, (size_t)ep->buf_count * ep->buf_size,
                    PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (br == MAP_FAILED || bufs == MAP_FAILED) {
    if (br != MAP_FAILED) munmap(br, ep->br_bytes);
    if (bufs != MAP_FAILED) munmap(bufs, (size_t)ep->buf_count * ep->buf_size);
    FormatInto(err, err_size, "open: out of memory for %u buffers of %u bytes",
               ep->buf_count, ep->buf_size);
    return -ENOMEM;
  }
  ep->br = static_cast<struct io_uring_buf_ring*>(br);
  ep->bufs = static_cast<char*>(bufs);
  struct io_uring_buf_reg reg;
  memset(&reg, 0, sizeof(reg));
  reg.ring_addr = (uintptr_t)br;
  reg.ring_entries = ep->buf_count;
  reg.bgid = 0;
  int rc = io_uring_register_buf_ring(&ep->ring, &reg, 0);
  if (rc < 0) {
    char buf[96];
    FormatInto(err, err_size,
               "open: registering a provided buffer ring: %s (needs Linux "
               "5.19+; kernel %s)",
               ErrnoName(-rc, buf, sizeof(buf)), KernelRelease().text);
    return rc;
  }
  ep->br_registered = true;
  io_uring_buf_ring_init(ep->br);
  int mask = io_uring_buf_ring_mask(ep->buf_count);
  for (uint32_t i = 0; i < ep->buf_count; ++i) {
    io_uring_buf_ring_add(ep->br, BufferAt(ep, (uint16_t)i), ep->buf_size,
                          (uint16_t)i, mask, (int)i);
  }
  io_uring_buf_ring_advance(ep->br, (int)ep->buf_count);
  return 0;
}

// Gives buffers back to the kernel.
void Recycle(Endpoint* ep, const uint16_t* bids, size_t n) {
  int mask = io_uring_buf_ring_mask(ep->buf_count);
  for (size_t i = 0; i < n; ++i) {
    io_uring_buf_ring_add(ep->br, BufferAt(ep, bids[i]), ep->buf_size, bids[i],
                          mask, (int)i);
  }
  if (n > 0) io_uring_buf_ring_advance(ep->br, (int)n);
}

void Free(Endpoint* ep) {
  if (ep->ring_ready) {
    if (ep->armed) {  // cancel the armed receive and wait for its end
      struct io_uring_sqe* sqe = io_uring_get_sqe(&ep->ring);
      if (sqe != nullptr) {
        io_uring_prep_cancel64(sqe, kRecvData, 0);
        sqe->user_data = kCancelData;
        io_uring_submit(&ep->ring);
      }
      int64_t deadline = MonotonicMs() + 1000;
      while (ep->armed && MonotonicMs() < deadline) {
        struct io_uring_cqe* cqe = nullptr;
        struct __kernel_timespec ts = {0, 100 * 1000000};
        if (io_uring_wait_cqe_timeout(&ep->ring, &cqe, &ts) != 0) continue;
        if (cqe->user_data == kRecvData && !(cqe->flags & IORING_CQE_F_MORE)) {
          ep->armed = false;
        }
        io_uring_cqe_seen(&ep->ring, cqe);
      }
    }
    if (ep->br_registered) io_uring_unregister_buf_ring(&ep->ring, 0);
    io_uring_queue_exit(&ep->ring);
  }
  if (ep->br != nullptr) munmap(ep->br, ep->br_bytes);
  if (ep->bufs != nullptr) {
    munmap(ep->bufs, (size_t)ep->buf_count * ep->buf_size);
  }
  delete ep;
}

int Probe(char* why, size_t why_size) {
  FormatInto(why, why_size, "%s", "");
  Endpoint* ep = new (std::nothrow) Endpoint;
  if (ep == nullptr) return -ENOMEM;
  int rc = InitUring(2, &ep->ring, kOps, 1, why, why_size);
  if (rc == 0) {
    ep->ring_ready = true;
    ep->buf_count = 2;
    ep->buf_size = 4096;
    rc = SetUpBuffers(ep, why, why_size);
    if (rc < 0 && strncmp(why, "open: ", 6) == 0) {  // not opening here
      memmove(why, why + 6, strlen(why + 6) + 1);
    }
  }
  Free(ep);
  return rc;
}

bool NumberOption(const cs_endpoint_config* config, const char* key,
                  uint64_t lo, uint64_t hi, uint64_t* out, char* err,
                  size_t err_size) {
  const char* text = FindOption(config, key);
  if (text == nullptr || ParseUintOption(text, lo, hi, out)) return true;
  FormatInto(err, err_size, "option %s='%s' is not a number in %llu..%llu", key,
             text, (unsigned long long)lo, (unsigned long long)hi);
  return false;
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
  uint64_t buf_size = 32 << 10, buf_count = 64, multishot = 1;
  if (!NumberOption(config, "buf_size", 4096, 1 << 20, &buf_size, err,
                    err_size) ||
      !NumberOption(config, "buf_count", 2, 32768, &buf_count, err, err_size) ||
      !NumberOption(config, "multishot", 0, 1, &multishot, err, err_size)) {
    return -EINVAL;
  }
  if ((buf_count & (buf_count - 1)) != 0) {
    FormatInto(err, err_size, "option buf_count=%llu is not a power of two",
               (unsigned long long)buf_count);
    return -EINVAL;
  }
  // Sends are plain sendmsg(), bounded by SO_SNDTIMEO; receives wait in
  // io_uring, bounded by a timeout on the wait.
  rc = ApplySocketTimeouts(config->fd, config->role & CS_ROLE_SENDER,
                           config->io_timeout_ms, err, err_size);
  if (rc < 0) return rc;

  Endpoint* ep = new (std::nothrow) Endpoint;
  if (ep == nullptr || ((config->role & CS_ROLE_SENDER) &&
                        !ep->scratch.Reserve(config->max_fields))) {
    delete ep;
    FormatInto(err, err_size, "open: out of memory");
    return -ENOMEM;
  }
  ep->fd = config->fd;
  ep->role = config->role;
  ep->io_timeout_ms = config->io_timeout_ms;
  if (config->role & CS_ROLE_RECEIVER) {
    ep->buf_size = (uint32_t)buf_size;
    ep->buf_count = (uint32_t)buf_count;
    ep->multishot = multishot == 1 && KernelRelease().AtLeast(6, 0);
    // Room for a completion per buffer, and the final one.
    rc = InitUring(4, &ep->ring, kOps, 1, err, err_size, 2 * ep->buf_count);
    if (rc == 0) {
      ep->ring_ready = true;
      rc = SetUpBuffers(ep, err, err_size);
    }
    if (rc == 0) {
      try {
        ep->segments.reserve(ep->buf_count + 1);
        ep->recycle.reserve(ep->buf_count);
      } catch (...) {
        FormatInto(err, err_size, "open: out of memory");
        rc = -ENOMEM;
      }
    }
    if (rc < 0) {
      Free(ep);
      return rc;
    }
  }
  *out = reinterpret_cast<cs_endpoint*>(ep);
  return 0;
}

void Close(cs_endpoint* handle) {
  Endpoint* ep = Ep(handle);
  if (ep != nullptr) Free(ep);
}

int Send(cs_endpoint* handle, const cs_message* messages, uint32_t count) {
  Endpoint* ep = Ep(handle);
  if (ep == nullptr) return -EINVAL;
  if (ep->send_broken != 0) return ep->send_broken;
  if ((ep->role & CS_ROLE_SENDER) == 0) {
    return ep->error.Set(-EINVAL, "send: endpoint was opened as a receiver");
  }
  int rc = CheckMessages(messages, count, 0, &ep->error);
  if (rc < 0) return rc;
  for (uint32_t m = 0; m < count; ++m) {
    rc = SendFieldsAll(ep->fd, messages[m].fields, messages[m].field_count, 0,
                       ep->io_timeout_ms, &ep->scratch, &ep->send_counters,
                       &ep->error);
    if (rc < 0) {
      ep->send_broken = rc;
      return rc;
    }
  }
  return 0;
}

int Reap(cs_endpoint* handle, uint64_t* tags, uint32_t max, int timeout_ms) {
  (void)tags;
  (void)max;
  (void)timeout_ms;
  return handle == nullptr ? -EINVAL : 0;  // sends are synchronous
}

// Submits a receive: multishot, or one buffer's worth of at most `want`.
int Arm(Endpoint* ep, size_t want) {
  struct io_uring_sqe* sqe = io_uring_get_sqe(&ep->ring);
  if (sqe == nullptr) return ep->error.Set(-EBUSY, "recv: no free SQE");
  if (ep->multishot) {
    io_uring_prep_recv_multishot(sqe, ep->fd, nullptr, 0, 0);
  } else {
    io_uring_prep_recv(sqe, ep->fd, nullptr,
                       want < ep->buf_size ? want : ep->buf_size, 0);
  }
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = 0;
  sqe->user_data = kRecvData;
  int rc;
  do {
    rc = io_uring_submit(&ep->ring);
  } while (rc == -EINTR);
  if (rc < 0) {
    char buf[96];
    return ep->error.Set(rc, "recv: io_uring_submit: %s",
                         ErrnoName(-rc, buf, sizeof(buf)));
  }
  ep->armed = true;
  ++ep->recv_calls;
  return 0;
}

// Handles one completion of the receive.
void Complete(Endpoint* ep, const struct io_uring_cqe* cqe) {
  if (cqe->user_data != kRecvData) return;
  if (!(cqe->flags & IORING_CQE_F_MORE)) ep->armed = false;
  if (cqe->res > 0 && (cqe->flags & IORING_CQE_F_BUFFER)) {
    ++ep->recv_completions;
    uint16_t bid = (uint16_t)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
    ep->queue.push_back(Chunk{bid, 0, (uint32_t)cqe->res});
  } else if (cqe->res == 0) {
    ep->eof = true;
  } else if (cqe->res == -ENOBUFS) {
    ++ep->enobufs;  // re-armed once buffers are back
    ep->dry = true;
  } else if (cqe->res < 0 && cqe->res != -ECANCELED && ep->sock_error == 0) {
    ep->sock_error = cqe->res;
  }
}

// Copies up to n queued bytes into dst and gives their buffers back.
size_t CopyOut(Endpoint* ep, char* dst, size_t n) {
  size_t done = 0;
  uint16_t freed[64];
  size_t nfreed = 0;
  while (done < n && !ep->queue.empty()) {
    Chunk& c = ep->queue.front();
    size_t take = c.len < n - done ? c.len : n - done;
    memcpy(dst + done, BufferAt(ep, c.bid) + c.off, take);
    done += take;
    c.off += (uint32_t)take;
    c.len -= (uint32_t)take;
    if (c.len == 0) {
      freed[nfreed++] = c.bid;
      ep->queue.pop_front();
      if (nfreed == 64) {
        Recycle(ep, freed, nfreed);
        nfreed = 0;
      }
    }
  }
  Recycle(ep, freed, nfreed);
  ep->copied_bytes += done;
  return done;
}

size_t Queued(const Endpoint* ep) {
  size_t n = 0;
  for (const Chunk& c : ep->queue) n += c.len;
  return n;
}

int Recv(cs_endpoint* handle, cs_recv_args* args) {
  Endpoint* ep = Ep(handle);
  if (ep == nullptr) return -EINVAL;
  if ((ep->role & CS_ROLE_RECEIVER) == 0) {
    return ep->error.Set(-EINVAL, "recv: endpoint was opened as a sender");
  }
  int rc = CheckRecvArgs(args, &ep->error);
  if (rc < 0) return rc;
  // The last call's segments are no longer needed: give their buffers back.
  Recycle(ep, ep->recycle.data(), ep->recycle.size());
  ep->recycle.clear();

  const size_t len = args->len;
  char* dst = static_cast<char*>(args->buf);
  // In place while half the buffers can hold the message; otherwise, or
  // once the buffers run dry before it is in, copy into args->buf.
  bool in_place = len <= (size_t)ep->buf_size * (ep->buf_count / 2);
  size_t copied = 0;
  size_t have = Queued(ep);
  int64_t deadline =
      ep->io_timeout_ms < 0 ? -1 : MonotonicMs() + ep->io_timeout_ms;
  while (copied + have < len) {
    if (ep->dry && in_place) in_place = false;  // copying frees buffers
    if (!in_place && have > 0) {
      copied += CopyOut(ep, dst + copied, len - copied);
      have = 0;
    }
    if (ep->sock_error != 0 || ep->eof) break;
    if (!ep->armed) {
      ep->dry = false;
      rc = Arm(ep, len - copied - have);
      if (rc < 0) return rc;
    }
    struct io_uring_cqe* cqe = nullptr;
    if (deadline < 0) {
      rc = io_uring_wait_cqe(&ep->ring, &cqe);
    } else {
      int64_t left = deadline - MonotonicMs();
      if (left < 0) left = 0;
      struct __kernel_timespec ts = {left / 1000, (left % 1000) * 1000000};
      rc = io_uring_wait_cqe_timeout(&ep->ring, &cqe, &ts);
    }
    if (rc == -EINTR) continue;
    if (rc == -ETIME) {
      return ep->error.Set(-ETIMEDOUT,
                           "recv: peer made no progress within "
                           "io_timeout_ms=%d (%zu of %zu bytes done)",
                           ep->io_timeout_ms, copied + have, len);
    }
    if (rc < 0) {
      char buf[96];
      return ep->error.Set(rc, "recv: waiting for io_uring: %s",
                           ErrnoName(-rc, buf, sizeof(buf)));
    }
    do {  // everything posted so far
      Complete(ep, cqe);
      io_uring_cqe_seen(&ep->ring, cqe);
    } while (io_uring_peek_cqe(&ep->ring, &cqe) == 0);
    have = Queued(ep);
  }
  if (copied + have < len) {  // end of stream or an error: partial message
    size_t got = copied + CopyOut(ep, dst + copied, have);
    if (ep->sock_error != 0 && ep->sock_error != -ECONNRESET) {
      char buf[96];
      return ep->error.Set(ep->sock_error, "recv: %s (after %zu of %zu bytes)",
                           ErrnoName(-ep->sock_error, buf, sizeof(buf)), got,
                           len);
    }
    return ep->error.Set(-EPIPE,
                         "recv: peer %s the connection after %zu of "
                         "%zu bytes",
                         ep->sock_error != 0 ? "reset" : "closed", got, len);
  }
  if (!in_place) {
    CopyOut(ep, dst + copied, len - copied);
    return 0;
  }
  // In place: segments over the queued chunks, in order.
  ep->segments.clear();
  size_t need = len;
  while (need > 0) {
    Chunk& c = ep->queue.front();
    size_t take = c.len < need ? c.len : need;
    ep->segments.push_back({BufferAt(ep, c.bid) + c.off, take});
    need -= take;
    c.off += (uint32_t)take;
    c.len -= (uint32_t)take;
    if (c.len == 0) {
      ep->recycle.push_back(c.bid);
      ep->queue.pop_front();
    }
  }
  ++ep->in_place;
  args->segments = ep->segments.data();
  args->segment_count = (uint32_t)ep->segments.size();
  return 0;
}

uint32_t Counters(const cs_endpoint* handle, cs_counter* out, uint32_t max) {
  const Endpoint* ep = Ep(handle);
  if (ep == nullptr) return 0;
  const cs_counter counters[] = {
      {"send_calls", ep->send_counters.send_calls},
      {"short_writes", ep->send_counters.short_writes},
      {"recv_calls", ep->recv_calls},
      {"recv_completions", ep->recv_completions},
      {"in_place_messages", ep->in_place},
      {"copied_bytes", ep->copied_bytes},
      {"enobufs", ep->enobufs},
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
    "uring_recv",
    "1.0",
    "io_uring multishot receive into provided buffers, returned in place; "
    "sends with sendmsg()",
    CS_CAP_SCATTER_GATHER | CS_CAP_RECV | CS_CAP_RECV_IN_PLACE,
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
