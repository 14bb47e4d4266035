// The endpoint of a datagram transport (CS_CAP_DATAGRAM, ABI 1.3), written
// once for transports/udp and transports/udp_gso: the datagram semantics of
// plugins/copyscope_transport.h on a connected UDP socket.
//
//   struct Endpoint : DatagramEndpoint<Endpoint, /*gso=*/false> {};
//   const cs_transport kTransport = MakeTransport<Endpoint>(
//       "udp", "1.0", "...", kDatagramCapabilities, ProbeNothing);
//
// Sending. A batch of messages (up to config.max_batch) leaves in as few
// system calls as the mode allows:
//   - sendmmsg (gso = false): one mmsghdr per message, its fields as the
//     iovec; the kernel copies each into its own datagram.
//   - UDP GSO (gso = true): the messages of a batch are equal-size runs;
//     each run goes out in sendmsg calls with a UDP_SEGMENT control message
//     whose segment size is the message's size, so one call hands the
//     kernel up to max_segments datagrams as one buffer (at most 65507
//     bytes, IPv4's largest UDP payload) and the stack carries it as one
//     packet until it must be cut (on loopback and veth, not before the
//     receiving socket). A message is always one datagram: the segment
//     size is the message size, never another.
// A full send buffer waits (bounded: io_timeout_ms, or the host's shutdown);
// a datagram dropped later is not an error. -ECONNREFUSED (nobody listens at
// the peer) is returned as it is.
//
// Receiving. One recvmmsg call reads up to recv_batch buffers (each of
// max_message_size bytes; with GRO 65535), then recv() hands out one
// datagram per call, in place (args->segments points into those buffers,
// valid until the next call): the kernel's copy is the only one. With
// gro = true the socket has UDP_GRO on, and a buffer that came with a
// UDP_GRO control message holds several datagrams of that size (the last may
// be shorter), split here. args->timeout_ms > 0 bounds a call's wait
// (-ETIMEDOUT, the endpoint stays usable); an empty read is the host's
// shutdown (-EPIPE).
//
// Counters: send_calls (sendmmsg/sendmsg calls), datagrams_sent,
// recv_calls (recvmmsg calls that returned datagrams), datagrams_received,
// and with GSO/GRO gso_sends (sendmsg calls with UDP_SEGMENT) and
// gro_buffers (buffers that held more than one datagram).
#ifndef COPYSCOPE_TRANSPORTS_COMMON_DATAGRAM_H_
#define COPYSCOPE_TRANSPORTS_COMMON_DATAGRAM_H_

#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <new>
#include <vector>

#include "plugins/copyscope_transport.h"
#include "transports/common/counters.h"
#include "transports/common/endpoint.h"
#include "transports/common/error_text.h"
#include "transports/common/options.h"
#include "transports/common/wait.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

namespace copyscope::transports {

// The capabilities of both datagram transports.
constexpr uint64_t kDatagramCapabilities =
    CS_CAP_SCATTER_GATHER | CS_CAP_BATCHING | CS_CAP_RECV |
    CS_CAP_RECV_IN_PLACE | CS_CAP_DATAGRAM;

// IPv4's largest UDP payload: 65535 - 20 (IP) - 8 (UDP).
constexpr size_t kMaxUdpPayload = 65507;
// The IPv4 and UDP headers in front of every datagram.
constexpr size_t kUdpIpv4Headers = 28;
// The kernel's UDP_MAX_SEGMENTS (64 until 6.9).
constexpr uint32_t kMaxGsoSegments = 64;

inline constexpr cs_option_desc kUdpOptions[] = {
    {"recv_batch", "32",
     "datagrams (buffers) one recvmmsg call may read, 1..1024"},
    {"rcvbuf", "0", "SO_RCVBUF in bytes (0: the kernel's default)"},
    {"sndbuf", "0", "SO_SNDBUF in bytes (0: the kernel's default)"},
};
inline constexpr cs_option_desc kUdpGsoOptions[] = {
    {"recv_batch", "8",
     "buffers of 64 KiB one recvmmsg call may read (each may hold many "
     "datagrams with GRO), 1..256"},
    {"max_segments", "64",
     "datagrams one UDP_SEGMENT sendmsg may carry, 1..64 (also bounded by "
     "65507 bytes a call)"},
    {"rcvbuf", "0", "SO_RCVBUF in bytes (0: the kernel's default)"},
    {"sndbuf", "0", "SO_SNDBUF in bytes (0: the kernel's default)"},
};

struct DatagramOptions {
  uint64_t recv_batch = 32;
  uint64_t max_segments = kMaxGsoSegments;
  uint64_t rcvbuf = 0;
  uint64_t sndbuf = 0;
};

template <typename Self, bool kGso>
struct DatagramEndpoint : EndpointBase<Self> {
  using Options = DatagramOptions;
  static constexpr bool kDatagram = true;
  static constexpr OptionTable kOptionTable =
      kGso ? OptionsOf(kUdpGsoOptions) : OptionsOf(kUdpOptions);

  ~DatagramEndpoint() { free(slab_); }

  static int Configure(const cs_endpoint_config& config, Options* o, char* err,
                       size_t err_size) {
    if (kGso) o->recv_batch = 8;
    if (!NumberOption(&config, "recv_batch", 1, kGso ? 256 : 1024,
                      &o->recv_batch, err, err_size) ||
        !NumberOption(&config, "rcvbuf", 0, uint64_t{1} << 31, &o->rcvbuf, err,
                      err_size) ||
        !NumberOption(&config, "sndbuf", 0, uint64_t{1} << 31, &o->sndbuf, err,
                      err_size)) {
      return -EINVAL;
    }
    if (kGso && !NumberOption(&config, "max_segments", 1, kMaxGsoSegments,
                              &o->max_segments, err, err_size)) {
      return -EINVAL;
    }
    const struct {
      uint64_t value;
      int option;
      const char* name;
    } bufs[] = {{o->rcvbuf, SO_RCVBUF, "SO_RCVBUF"},
                {o->sndbuf, SO_SNDBUF, "SO_SNDBUF"}};
    for (const auto& b : bufs) {
      if (b.value == 0) continue;
      int v = static_cast<int>(b.value);
      if (setsockopt(config.fd, SOL_SOCKET, b.option, &v, sizeof(v)) != 0) {
        int e = errno;
        FormatInto(err, err_size, "open: setsockopt(%s): %s", b.name,
                   ErrnoText(e).c_str());
        return -e;
      }
    }
    if (kGso && (config.role & CS_ROLE_RECEIVER)) {
      int one = 1;
      if (setsockopt(config.fd, IPPROTO_UDP, UDP_GRO, &one, sizeof(one)) != 0) {
        int e = errno;
        FormatInto(err, err_size, "open: setsockopt(UDP_GRO): %s",
                   ErrnoText(e).c_str());
        return -e;
      }
    }
    return 0;
  }

  int Setup(const cs_endpoint_config& config, const Options& o, char* err,
            size_t err_size) {
    max_message = config.max_message_size;
    max_segments = static_cast<uint32_t>(o.max_segments);
    try {
      if (this->is_sender()) {
        const uint32_t batch = config.max_batch > 0 ? config.max_batch : 1;
        const uint32_t fields = config.max_fields > 0 ? config.max_fields : 1;
        send_hdrs.resize(batch);
        send_iov.resize(size_t{batch} * fields);
      }
      if (this->is_receiver()) {
        buf_size = kGso ? 65535 : (max_message > 0 ? max_message : 65535);
        batch_ = static_cast<uint32_t>(o.recv_batch);
        slab_ = static_cast<char*>(
            aligned_alloc(64, (size_t{batch_} * buf_size + 63) / 64 * 64));
        if (slab_ == nullptr) throw std::bad_alloc();
        recv_hdrs.assign(batch_, mmsghdr{});
        recv_iov.resize(batch_);
        cmsg_.assign(size_t{batch_} * kCmsgSpace, 0);
        for (uint32_t i = 0; i < batch_; ++i) {
          recv_iov[i] = {slab_ + size_t{i} * buf_size, buf_size};
        }
      }
    } catch (...) {
      FormatInto(err, err_size, "open: out of memory");
      return -ENOMEM;
    }
    return 0;
  }

  // --- Sending ------------------------------------------------------------

  int SendBatch(const cs_message* messages, uint32_t count) {
    int rc = CheckMessages(messages, count, max_message, &this->error);
    if (rc < 0) return rc;
    if (count > send_hdrs.size()) {
      return this->error.Set(-EINVAL,
                             "send: %u messages, more than max_batch %zu",
                             count, send_hdrs.size());
    }
    rc = kGso ? SendGso(messages, count) : SendMmsg(messages, count);
    if (rc < 0 && rc != -EMSGSIZE) this->broken = rc;
    return rc;
  }

  // The fields of messages[first..first+n) into send_iov, one msghdr each.
  // Returns the bytes of the first message, or a negative errno.
  ssize_t Load(const cs_message* messages, uint32_t first, uint32_t n,
               bool one_header) {
    size_t iov = 0;
    ssize_t first_len = -1;
    for (uint32_t m = 0; m < n; ++m) {
      const cs_message& msg = messages[first + m];
      const size_t start = iov;
      size_t len = 0;
      for (uint32_t f = 0; f < msg.field_count; ++f) {
        if (msg.fields[f].iov_len == 0) continue;
        if (iov == send_iov.size()) {
          return this->error.Set(-EINVAL,
                                 "send: more fields than max_fields allows");
        }
        send_iov[iov++] = msg.fields[f];
        len += msg.fields[f].iov_len;
      }
      if (len > kMaxUdpPayload) {
        return this->error.Set(-EMSGSIZE,
                               "send: a %zu-byte message does not fit in one "
                               "UDP datagram (at most %zu bytes)",
                               len, kMaxUdpPayload);
      }
      if (m == 0) first_len = static_cast<ssize_t>(len);
      if (!one_header) {
        msghdr& h = send_hdrs[m].msg_hdr;
        memset(&h, 0, sizeof(h));
        h.msg_iov = &send_iov[start];
        h.msg_iovlen = iov - start;
      }
    }
    loaded_iov = iov;
    return first_len;
  }

  int SendMmsg(const cs_message* messages, uint32_t count) {
    ssize_t first = Load(messages, 0, count, /*one_header=*/false);
    if (first < 0) return static_cast<int>(first);
    uint32_t done = 0;
    while (done < count) {
      int n = sendmmsg(this->fd, &send_hdrs[done], count - done, MSG_NOSIGNAL);
      if (n > 0) {
        ++counters.send_calls;
        counters.datagrams_sent += static_cast<uint64_t>(n);
        done += static_cast<uint32_t>(n);
        continue;
      }
      int rc = AfterSendError(n == 0 ? EIO : errno, done, count);
      if (rc < 0) return rc;
    }
    return 0;
  }

  // Runs of equal-size messages, up to max_segments and 65507 bytes a call.
  int SendGso(const cs_message* messages, uint32_t count) {
    uint32_t done = 0;
    while (done < count) {
      const size_t len = MessageLength(messages[done]);
      const uint32_t by_bytes =
          len == 0 ? 1 : static_cast<uint32_t>(kMaxUdpPayload / len);
      uint32_t n = 1;
      const uint32_t most =
          std::min<uint32_t>(count - done, std::min(max_segments, by_bytes));
      while (n < most && MessageLength(messages[done + n]) == len) ++n;
      ssize_t first = Load(messages, done, n, /*one_header=*/true);
      if (first < 0) return static_cast<int>(first);
      msghdr h;
      memset(&h, 0, sizeof(h));
      h.msg_iov = send_iov.data();
      h.msg_iovlen = loaded_iov;
      alignas(cmsghdr) char control[CMSG_SPACE(sizeof(uint16_t))];
      if (n > 1) {
        memset(control, 0, sizeof(control));
        h.msg_control = control;
        h.msg_controllen = sizeof(control);
        cmsghdr* c = CMSG_FIRSTHDR(&h);
        c->cmsg_level = SOL_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        const uint16_t segment = static_cast<uint16_t>(len);
        memcpy(CMSG_DATA(c), &segment, sizeof(segment));
      }
      for (;;) {
        ssize_t sent = sendmsg(this->fd, &h, MSG_NOSIGNAL);
        if (sent >= 0) {
          ++counters.send_calls;
          if (n > 1) ++counters.gso_sends;
          counters.datagrams_sent += n;
          done += n;
          break;
        }
        const int e = errno;
        if (n > 1 && (e == EMSGSIZE || e == EINVAL)) {
          // GSO never fragments: every segment must fit the path MTU.
          int mtu = 0;
          socklen_t mtu_len = sizeof(mtu);
          if (getsockopt(this->fd, IPPROTO_IP, IP_MTU, &mtu, &mtu_len) == 0 &&
              len + kUdpIpv4Headers > static_cast<size_t>(mtu)) {
            return this->error.Set(
                -e,
                "send: %s: UDP_SEGMENT does not fragment, so each datagram "
                "must fit the path MTU: %zu bytes + %zu header bytes > MTU "
                "%d; use sizes up to %zu",
                ErrnoText(e).c_str(), len, kUdpIpv4Headers, mtu,
                static_cast<size_t>(mtu) - kUdpIpv4Headers);
          }
        }
        int rc = AfterSendError(e, done, count);
        if (rc < 0) return rc;
      }
    }
    return 0;
  }

  static size_t MessageLength(const cs_message& m) {
    size_t len = 0;
    for (uint32_t f = 0; f < m.field_count; ++f) len += m.fields[f].iov_len;
    return len;
  }

  // 0: retry the call; else the error.
  int AfterSendError(int e, uint32_t done, uint32_t count) {
    if (e == EINTR) return 0;
    if (e == EAGAIN || e == EWOULDBLOCK) {
      return WaitAfterEagain(this->fd, POLLOUT, this->io_timeout_ms, "send",
                             done, count, nullptr, &this->error);
    }
    return this->error.Set(-e, "send: %s (after %u of %u datagrams)",
                           ErrnoText(e).c_str(), done, count);
  }

  // --- Receiving ----------------------------------------------------------

  int Receive(cs_recv_args* args) {
    if (next_ == split_end_) {
      if (!NextBuffer()) {
        int rc = Fill(CS_RECV_ARGS_TIMEOUT_MS(args));
        if (rc < 0) return rc;
      }
      if (truncated_) {
        truncated_ = false;
        next_ = split_end_;
        return this->error.Set(
            -EMSGSIZE, "recv: a datagram longer than %zu bytes", buf_size);
      }
    }
    const size_t left = static_cast<size_t>(split_end_ - next_);
    const size_t len = left < seg_size_ ? left : seg_size_;
    char* at = next_;
    next_ += len;
    if (len == 0) {
      return this->error.Set(-EPIPE, "recv: the socket was shut down");
    }
    if (len > args->len) {
      return this->error.Set(-EMSGSIZE,
                             "recv: a %zu-byte datagram, more than the %zu "
                             "the host asked for",
                             len, args->len);
    }
    ++counters.datagrams_received;
    segment_ = {at, len};
    args->segments = &segment_;
    args->segment_count = 1;
    CS_RECV_ARGS_SET_RECEIVED(args, len);
    return 0;
  }

  // Moves to the next buffer of the last recvmmsg; false when none is left.
  bool NextBuffer() {
    if (buffer_ >= filled_) return false;
    const mmsghdr& h = recv_hdrs[buffer_];
    char* base = slab_ + size_t{buffer_} * buf_size;
    size_t len = h.msg_len;
    seg_size_ = len;
    if (kGso) {
      for (cmsghdr* c = CMSG_FIRSTHDR(&h.msg_hdr); c != nullptr;
           c = CMSG_NXTHDR(const_cast<msghdr*>(&h.msg_hdr), c)) {
        if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
          int gso = 0;
          memcpy(&gso, CMSG_DATA(c), sizeof(gso));
          if (gso > 0 && static_cast<size_t>(gso) < len) {
            seg_size_ = static_cast<size_t>(gso);
            ++counters.gro_buffers;
          }
        }
      }
    }
    truncated_ = (h.msg_hdr.msg_flags & MSG_TRUNC) != 0;
    next_ = base;
    split_end_ = base + len;
    if (len == 0) split_end_ = base + 1, seg_size_ = 0;  // end of stream
    ++buffer_;
    return true;
  }

  // One recvmmsg (waiting up to timeout_ms when > 0), then the first buffer.
  int Fill(int timeout_ms) {
    for (;;) {
      int revents = 0;
      if (timeout_ms > 0) {
        int r = revents = PollFor(this->fd, POLLIN | POLLRDHUP, timeout_ms);
        if (r < 0) return this->error.SetErrno(-r, "recv: poll");
        if (r == 0) {
          ++counters.recv_timeouts;
          return this->error.Set(-ETIMEDOUT, "recv: no datagram within %d ms",
                                 timeout_ms);
        }
      }
      for (uint32_t i = 0; i < batch_; ++i) {
        msghdr& m = recv_hdrs[i].msg_hdr;
        memset(&m, 0, sizeof(m));
        m.msg_iov = &recv_iov[i];
        m.msg_iovlen = 1;
        if (kGso) {
          m.msg_control = &cmsg_[size_t{i} * kCmsgSpace];
          m.msg_controllen = kCmsgSpace;
        }
        recv_hdrs[i].msg_len = 0;
      }
      int n = recvmmsg(this->fd, recv_hdrs.data(), batch_,
                       timeout_ms > 0 ? MSG_DONTWAIT : MSG_WAITFORONE, nullptr);
      if (n > 0) {
        ++counters.recv_calls;
        filled_ = static_cast<uint32_t>(n);
        buffer_ = 0;
        NextBuffer();
        return 0;
      }
      if (n == 0) {  // nothing (cannot happen with vlen >= 1): the end
        return this->error.Set(-EPIPE, "recv: the socket was shut down");
      }
      const int e = errno;
      if (e == EINTR) continue;
      if (e == EAGAIN || e == EWOULDBLOCK) {
        // Nothing queued and the socket shut down: the end (a shut-down UDP
        // socket polls readable for ever).
        if (revents & (POLLRDHUP | POLLHUP)) {
          return this->error.Set(-EPIPE, "recv: the socket was shut down");
        }
        if (timeout_ms > 0) continue;  // readable, then taken: poll again
        int rc = WaitAfterEagain(this->fd, POLLIN, this->io_timeout_ms, "recv",
                                 0, 1, nullptr, &this->error);
        if (rc < 0) return rc;
        continue;
      }
      return this->error.Set(-e, "recv: %s", ErrnoText(e).c_str());
    }
  }

  void ListCounters(CounterList* c) const {
    c->Add("send_calls", counters.send_calls);
    c->Add("datagrams_sent", counters.datagrams_sent);
    c->Add("recv_calls", counters.recv_calls);
    c->Add("datagrams_received", counters.datagrams_received);
    c->Add("recv_timeouts", counters.recv_timeouts);
    if (kGso) {
      c->Add("gso_sends", counters.gso_sends);
      c->Add("gro_buffers", counters.gro_buffers);
    }
  }

  struct {
    uint64_t send_calls = 0;
    uint64_t datagrams_sent = 0;
    uint64_t recv_calls = 0;
    uint64_t datagrams_received = 0;
    uint64_t recv_timeouts = 0;
    uint64_t gso_sends = 0;
    uint64_t gro_buffers = 0;
  } counters;

  static constexpr size_t kCmsgSpace = CMSG_SPACE(sizeof(int));

  size_t max_message = 0;
  uint32_t max_segments = kMaxGsoSegments;
  std::vector<mmsghdr> send_hdrs;
  std::vector<iovec> send_iov;
  size_t loaded_iov = 0;
  // Receiving: batch_ buffers of buf_size bytes in slab_.
  size_t buf_size = 0;
  uint32_t batch_ = 1;
  char* slab_ = nullptr;
  std::vector<mmsghdr> recv_hdrs;
  std::vector<iovec> recv_iov;
  std::vector<char> cmsg_;
  uint32_t filled_ = 0;   // buffers the last recvmmsg filled
  uint32_t buffer_ = 0;   // the next of them to split
  char* next_ = nullptr;  // the next datagram of the current buffer
  char* split_end_ = nullptr;
  size_t seg_size_ = 0;
  bool truncated_ = false;
  iovec segment_ = {nullptr, 0};
};

}  // namespace copyscope::transports

#endif  // COPYSCOPE_TRANSPORTS_COMMON_DATAGRAM_H_
