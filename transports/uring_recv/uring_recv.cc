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
#include "transports/common/counters.h"
#include "transports/common/endpoint.h"
#include "transports/common/error_text.h"
#include "transports/common/options.h"
#include "transports/common/probe.h"
#include "transports/common/recv_loop.h"
#include "transports/common/send_loop.h"
#include "transports/common/uring_io.h"
#include "transports/common/wait.h"

namespace copyscope::transports {
namespace {

const cs_option_desc kOptions[] = {
    {"buf_size", "32K", "bytes per provided buffer (4K..1M)"},
    {"buf_count", "64", "provided buffers, a power of two (2..32768)"},
    {"multishot", "1",
     "1: one multishot receive keeps filling buffers (reads ahead); 0: one "
     "receive per buffer for the current message only"},
};
constexpr uint64_t kRecvData = 1;
constexpr uint64_t kCancelData = 2;

const UringOpName kOps[] = {{IORING_OP_RECV, "IORING_OP_RECV"}};

struct Chunk {  // received bytes waiting in provided buffer `bid`
  uint16_t bid;
  uint32_t off;
  uint32_t len;
};

struct Endpoint : EndpointBase<Endpoint> {
  struct Options {
    uint64_t buf_size = 32 << 10, buf_count = 64, multishot = 1;
  };
  static constexpr OptionTable kOptionTable = OptionsOf(kOptions);
  // Sends are plain sendmsg(), bounded by SO_SNDTIMEO; receives wait in
  // io_uring, bounded by a timeout on the wait.
  static constexpr uint32_t kTimeoutRoles = CS_ROLE_SENDER;

  ~Endpoint() {
    if (ring_ready) {
      if (armed) {  // cancel the armed receive and wait for its end
        struct io_uring_sqe* sqe = io_uring_get_sqe(&ring);
        if (sqe != nullptr) {
          io_uring_prep_cancel64(sqe, kRecvData, 0);
          sqe->user_data = kCancelData;
          io_uring_submit(&ring);
        }
        Deadline deadline(1000);
        while (armed && deadline.LeftMs() > 0) {
          struct io_uring_cqe* cqe = nullptr;
          struct __kernel_timespec ts = {0, 100 * 1000000};
          if (io_uring_wait_cqe_timeout(&ring, &cqe, &ts) != 0) continue;
          if (cqe->user_data == kRecvData &&
              !(cqe->flags & IORING_CQE_F_MORE)) {
            armed = false;
          }
          io_uring_cqe_seen(&ring, cqe);
        }
      }
      if (br_registered) io_uring_unregister_buf_ring(&ring, 0);
      io_uring_queue_exit(&ring);
    }
    if (br != nullptr) munmap(br, br_bytes);
    if (bufs != nullptr) munmap(bufs, (size_t)buf_count * buf_size);
  }

  static int Configure(const cs_endpoint_config& config, Options* o, char* err,
                       size_t err_size) {
    if (!NumberOption(&config, "buf_size", 4096, 1 << 20, &o->buf_size, err,
                      err_size) ||
        !NumberOption(&config, "buf_count", 2, 32768, &o->buf_count, err,
                      err_size) ||
        !NumberOption(&config, "multishot", 0, 1, &o->multishot, err,
                      err_size)) {
      return -EINVAL;
    }
    if ((o->buf_count & (o->buf_count - 1)) != 0) {
      FormatInto(err, err_size, "option buf_count=%llu is not a power of two",
                 (unsigned long long)o->buf_count);
      return -EINVAL;
    }
    return 0;
  }

  int Setup(const cs_endpoint_config& config, const Options& o, char* err,
            size_t err_size) {
    int rc = ReserveScratch(config, is_sender(), &scratch, err, err_size);
    if (rc < 0 || !is_receiver()) return rc;
    buf_size = (uint32_t)o.buf_size;
    buf_count = (uint32_t)o.buf_count;
    multishot = o.multishot == 1 && KernelRelease().AtLeast(6, 0);
    // Room for a completion per buffer, and the final one.
    rc = InitUring(4, &ring, kOps, 1, err, err_size, 2 * buf_count);
    if (rc == 0) {
      ring_ready = true;
      rc = SetUpBuffers(err, err_size);
    }
    if (rc == 0) {
      try {
        segments.reserve(buf_count + 1);
        recycle.reserve(buf_count);
      } catch (...) {
        FormatInto(err, err_size, "open: out of memory");
        rc = -ENOMEM;
      }
    }
    return rc;
  }

  int SendMessage(const cs_message& msg) {
    return SendFieldsAll(fd, msg.fields, msg.field_count, 0, io_timeout_ms,
                         &scratch, &send_counters, &error);
  }

  int Receive(cs_recv_args* args);

  void ListCounters(CounterList* c) const {
    c->AddSendCounters(send_counters);
    c->Add("recv_calls", recv_calls);
    c->Add("recv_completions", recv_completions);
    c->Add("in_place_messages", in_place_messages);
    c->Add("copied_bytes", copied_bytes);
    c->Add("enobufs", enobufs);
  }

  char* BufferAt(uint16_t bid) { return bufs + (size_t)bid * buf_size; }

  // Registers a ring of buf_count provided buffers (group 0). Returns 0 or
  // a negative errno with err set.
  int SetUpBuffers(char* err, size_t err_size) {
    br_bytes = buf_count * sizeof(struct io_uring_buf);
    void* r = mmap(nullptr, br_bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    void* b = mmap(nullptr, (size_t)buf_count * buf_size,
                   PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r == MAP_FAILED || b == MAP_FAILED) {
      if (r != MAP_FAILED) munmap(r, br_bytes);
      if (b != MAP_FAILED) munmap(b, (size_t)buf_count * buf_size);
      FormatInto(err, err_size,
                 "open: out of memory for %u buffers of %u bytes", buf_count,
                 buf_size);
      return -ENOMEM;
    }
    br = static_cast<struct io_uring_buf_ring*>(r);
    bufs = static_cast<char*>(b);
    struct io_uring_buf_reg reg;
    memset(&reg, 0, sizeof(reg));
    reg.ring_addr = (uintptr_t)r;
    reg.ring_entries = buf_count;
    reg.bgid = 0;
    int rc = io_uring_register_buf_ring(&ring, &reg, 0);
    if (rc < 0) {
      FormatInto(err, err_size,
                 "open: registering a provided buffer ring: %s (needs Linux "
                 "5.19+; kernel %s)",
                 ErrnoText(-rc).c_str(), KernelRelease().text);
      return rc;
    }
    br_registered = true;
    io_uring_buf_ring_init(br);
    int mask = io_uring_buf_ring_mask(buf_count);
    for (uint32_t i = 0; i < buf_count; ++i) {
      io_uring_buf_ring_add(br, BufferAt((uint16_t)i), buf_size, (uint16_t)i,
                            mask, (int)i);
    }
    io_uring_buf_ring_advance(br, (int)buf_count);
    return 0;
  }

  // Gives buffers back to the kernel.
  void Recycle(const uint16_t* bids, size_t n) {
    int mask = io_uring_buf_ring_mask(buf_count);
    for (size_t i = 0; i < n; ++i) {
      io_uring_buf_ring_add(br, BufferAt(bids[i]), buf_size, bids[i], mask,
                            (int)i);
    }
    if (n > 0) io_uring_buf_ring_advance(br, (int)n);
  }

  // Submits a receive: multishot, or one buffer's worth of at most `want`.
  int Arm(size_t want) {
    struct io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    if (sqe == nullptr) return error.Set(-EBUSY, "recv: no free SQE");
    if (multishot) {
      io_uring_prep_recv_multishot(sqe, fd, nullptr, 0, 0);
    } else {
      io_uring_prep_recv(sqe, fd, nullptr, want < buf_size ? want : buf_size,
                         0);
    }
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = 0;
    sqe->user_data = kRecvData;
    int rc;
    do {
      rc = io_uring_submit(&ring);
    } while (rc == -EINTR);
    if (rc < 0) {
      return error.Set(rc, "recv: io_uring_submit: %s", ErrnoText(-rc).c_str());
    }
    armed = true;
    ++recv_calls;
    return 0;
  }

  // Handles one completion of the receive.
  void Complete(const struct io_uring_cqe* cqe) {
    if (cqe->user_data != kRecvData) return;
    if (!(cqe->flags & IORING_CQE_F_MORE)) armed = false;
    if (cqe->res > 0 && (cqe->flags & IORING_CQE_F_BUFFER)) {
      ++recv_completions;
      uint16_t bid = (uint16_t)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
      queue.push_back(Chunk{bid, 0, (uint32_t)cqe->res});
    } else if (cqe->res == 0) {
      eof = true;
    } else if (cqe->res == -ENOBUFS) {
      ++enobufs;  // re-armed once buffers are back
      dry = true;
    } else if (cqe->res < 0 && cqe->res != -ECANCELED && sock_error == 0) {
      sock_error = cqe->res;
    }
  }

  // Copies up to n queued bytes into dst and gives their buffers back.
  size_t CopyOut(char* dst, size_t n) {
    size_t done = 0;
    uint16_t freed[64];
    size_t nfreed = 0;
    while (done < n && !queue.empty()) {
      Chunk& c = queue.front();
      size_t take = c.len < n - done ? c.len : n - done;
      memcpy(dst + done, BufferAt(c.bid) + c.off, take);
      done += take;
      c.off += (uint32_t)take;
      c.len -= (uint32_t)take;
      if (c.len == 0) {
        freed[nfreed++] = c.bid;
        queue.pop_front();
        if (nfreed == 64) {
          Recycle(freed, nfreed);
          nfreed = 0;
        }
      }
    }
    Recycle(freed, nfreed);
    copied_bytes += done;
    return done;
  }

  size_t Queued() const {
    size_t n = 0;
    for (const Chunk& c : queue) n += c.len;
    return n;
  }

  IovScratch scratch;  // sender roles
  SendCounters send_counters;

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
  uint64_t in_place_messages = 0;  // returned in provided buffers
  uint64_t copied_bytes = 0;       // bytes copied into the host's buffer
  uint64_t enobufs = 0;            // the buffer ring ran dry
};

int Probe(char* why, size_t why_size) {
  FormatInto(why, why_size, "%s", "");
  Endpoint* ep = new (std::nothrow) Endpoint;
  if (ep == nullptr) return -ENOMEM;
  int rc = InitUring(2, &ep->ring, kOps, 1, why, why_size);
  if (rc == 0) {
    ep->ring_ready = true;
    ep->buf_count = 2;
    ep->buf_size = 4096;
    rc = ep->SetUpBuffers(why, why_size);
    if (rc < 0 && strncmp(why, "open: ", 6) == 0) {  // not opening here
      memmove(why, why + 6, strlen(why + 6) + 1);
    }
  }
  delete ep;
  return rc;
}

int Endpoint::Receive(cs_recv_args* args) {
  int rc = 0;
  // The last call's segments are no longer needed: give their buffers back.
  Recycle(recycle.data(), recycle.size());
  recycle.clear();

  const size_t len = args->len;
  char* dst = static_cast<char*>(args->buf);
  // In place while half the buffers can hold the message; otherwise, or
  // once the buffers run dry before it is in, copy into args->buf.
  bool in_place = len <= (size_t)buf_size * (buf_count / 2);
  size_t copied = 0;
  size_t have = Queued();
  Deadline deadline(io_timeout_ms);
  while (copied + have < len) {
    if (dry && in_place) in_place = false;  // copying frees buffers
    if (!in_place && have > 0) {
      copied += CopyOut(dst + copied, len - copied);
      have = 0;
    }
    if (sock_error != 0 || eof) break;
    if (!armed) {
      dry = false;
      rc = Arm(len - copied - have);
      if (rc < 0) return rc;
    }
    struct io_uring_cqe* cqe = nullptr;
    rc = WaitCqe(&ring, &cqe, deadline);
    if (rc == -EINTR) continue;
    if (rc == -ETIME) {
      return NoProgress(&error, "recv", io_timeout_ms, copied + have, len);
    }
    if (rc < 0) {
      return error.Set(rc, "recv: waiting for io_uring: %s",
                       ErrnoText(-rc).c_str());
    }
    do {  // everything posted so far
      Complete(cqe);
      io_uring_cqe_seen(&ring, cqe);
    } while (io_uring_peek_cqe(&ring, &cqe) == 0);
    have = Queued();
  }
  if (copied + have < len) {  // end of stream or an error: partial message
    size_t got = copied + CopyOut(dst + copied, have);
    return RecvEnded(-sock_error, got, len, &error);
  }
  if (!in_place) {
    CopyOut(dst + copied, len - copied);
    return 0;
  }
  // In place: segments over the queued chunks, in order.
  segments.clear();
  size_t need = len;
  while (need > 0) {
    Chunk& c = queue.front();
    size_t take = c.len < need ? c.len : need;
    segments.push_back({BufferAt(c.bid) + c.off, take});
    need -= take;
    c.off += (uint32_t)take;
    c.len -= (uint32_t)take;
    if (c.len == 0) {
      recycle.push_back(c.bid);
      queue.pop_front();
    }
  }
  ++in_place_messages;
  args->segments = segments.data();
  args->segment_count = (uint32_t)segments.size();
  return 0;
}

const cs_transport kTransport = MakeTransport<Endpoint>(
    "uring_recv", "1.0",
    "io_uring multishot receive into provided buffers, returned in place; "
    "sends with sendmsg()",
    CS_CAP_SCATTER_GATHER | CS_CAP_RECV | CS_CAP_RECV_IN_PLACE, Probe);

}  // namespace
}  // namespace copyscope::transports

COPYSCOPE_TRANSPORT_ENTRY(copyscope::transports::kTransport);
