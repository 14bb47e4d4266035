#include "tests/conformance/stream.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "harness/engine/payload.h"

namespace copyscope::conformance {
namespace {

namespace payload = ::copyscope::engine::payload;

// What a free buffer is overwritten with.
constexpr uint8_t kScribble = 0xEE;
// What a discarding receiver's buffer holds before, and must hold after.
constexpr uint8_t kUntouched = 0xA5;

uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

bool SetBuffer(int fd, int option, int bytes) {
  return bytes <= 0 ||
         setsockopt(fd, SOL_SOCKET, option, &bytes, sizeof(bytes)) == 0;
}

bool SetNonBlocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

std::string Errno(const char* what) {
  return absl::StrCat(what, ": ", strerror(errno));
}

// One message's buffers: separately allocated fields.
struct Slot {
  std::vector<std::unique_ptr<uint8_t[]>> fields;
  std::vector<struct iovec> iov;

  void Scribble() {
    for (const struct iovec& v : iov) memset(v.iov_base, kScribble, v.iov_len);
  }
};

// The byte at `offset` of a message held in order by segments.
uint8_t ByteAt(const std::vector<struct iovec>& segments, uint64_t offset) {
  for (const struct iovec& s : segments) {
    if (offset < s.iov_len)
      return static_cast<const uint8_t*>(s.iov_base)[offset];
    offset -= s.iov_len;
  }
  return 0;
}

// Checks every byte of received message `index` (in buf, or in place in
// segments) against the pattern it was sent with; "" or the first wrong
// byte.
std::string Compare(uint32_t index, uint64_t key, size_t len,
                    const uint8_t* buf,
                    const std::vector<struct iovec>& segments) {
  uint64_t bad = payload::kIntact;
  uint8_t got = 0;
  if (!segments.empty()) {
    size_t total = 0;
    for (const struct iovec& s : segments) {
      if (s.iov_base == nullptr && s.iov_len > 0) {
        return absl::StrFormat("message %u: a segment of %zu bytes at NULL",
                               index, s.iov_len);
      }
      if (s.iov_len > len - total) {
        return absl::StrFormat(
            "message %u: segments hold more than the %zu bytes sent", index,
            len);
      }
      total += s.iov_len;
    }
    if (total != len) {
      return absl::StrFormat("message %u: segments hold %zu bytes, sent %zu",
                             index, total, len);
    }
    bad = payload::CheckFields(key, segments.data(), segments.size());
    if (bad != payload::kIntact) got = ByteAt(segments, bad);
  } else {
    const size_t at = payload::Check(key, 0, buf, len);
    if (at != len) {
      bad = at;
      got = buf[at];
    }
  }
  if (bad == payload::kIntact) return "";
  uint8_t sent = 0;
  payload::Fill(key, bad, &sent, 1);
  return absl::StrFormat(
      "message %u: byte %u of %zu is 0x%02x, sent 0x%02x%s", index, bad, len,
      got, sent,
      got == kScribble
          ? " (the overwrite pattern: a buffer was released too early?)"
          : "");
}

// A message a discarding plugin received (CS_CAP_RECV_DISCARDS): no
// segments, and the buffer as it was before; "" or what is wrong.
std::string Untouched(uint32_t index, const std::vector<uint8_t>& buf,
                      const std::vector<struct iovec>& segments) {
  if (!segments.empty()) {
    return absl::StrFormat(
        "message %u: a discarding recv() returned %zu segments", index,
        segments.size());
  }
  for (size_t i = 0; i < buf.size(); ++i) {
    if (buf[i] != kUntouched) {
      return absl::StrFormat(
          "message %u: a discarding recv() wrote byte %zu of its buffer", index,
          i);
    }
  }
  return "";
}

}  // namespace

// ---------------------------------------------------------------------------

TcpLink::~TcpLink() {
  CloseFd(&fds_[0], false);
  CloseFd(&fds_[1], false);
}

std::string TcpLink::Connect(const Options& options) {
  if (options.family == AF_UNIX) {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
      return Errno("socketpair(AF_UNIX)");
    }
    fds_[0] = fds[0];
    fds_[1] = fds[1];
    if (!SetBuffer(fds_[1], SO_RCVBUF, options.recv_buffer) ||
        !SetBuffer(fds_[0], SO_SNDBUF, options.send_buffer)) {
      return Errno("SO_SNDBUF/SO_RCVBUF");
    }
    if (options.non_blocking &&
        (!SetNonBlocking(fds_[0]) || !SetNonBlocking(fds_[1]))) {
      return Errno("O_NONBLOCK");
    }
    return "";
  }
  // TCP over IPv4 or IPv6 loopback.
  const bool v6 = options.family == AF_INET6;
  sockaddr_storage addr = {};
  socklen_t len;
  if (v6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&addr);
    in6->sin6_family = AF_INET6;
    in6->sin6_addr = in6addr_loopback;
    len = sizeof(*in6);
  } else {
    auto* in = reinterpret_cast<sockaddr_in*>(&addr);
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof(*in);
  }
  const int domain = v6 ? AF_INET6 : AF_INET;
  int listener = socket(domain, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0) return Errno(v6 ? "socket(AF_INET6)" : "socket");
  auto* sa = reinterpret_cast<sockaddr*>(&addr);
  std::string error;
  if (!SetBuffer(listener, SO_RCVBUF, options.recv_buffer)) {
    error = Errno("SO_RCVBUF");
  } else if (bind(listener, sa, len) != 0 || listen(listener, 1) != 0 ||
             getsockname(listener, sa, &len) != 0) {
    error = Errno(v6 ? "listen on ::1" : "listen on 127.0.0.1");
  } else if ((fds_[0] = socket(domain, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
             !SetBuffer(fds_[0], SO_SNDBUF, options.send_buffer) ||
             connect(fds_[0], sa, len) != 0) {
    error = Errno(v6 ? "connect to ::1" : "connect");
  } else if ((fds_[1] = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC)) <
             0) {
    error = Errno("accept");
  } else if (options.non_blocking &&
             (!SetNonBlocking(fds_[0]) || !SetNonBlocking(fds_[1]))) {
    error = Errno("O_NONBLOCK");
  }
  close(listener);
  return error;
}

void TcpLink::CloseFd(int* fd, bool reset) {
  if (*fd < 0) return;
  if (reset) {
    struct linger lin = {1, 0};
    setsockopt(*fd, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin));
  }
  close(*fd);
  *fd = -1;
}

void TcpLink::CloseSender(bool reset) { CloseFd(&fds_[0], reset); }
void TcpLink::CloseReceiver(bool reset) { CloseFd(&fds_[1], reset); }

// ---------------------------------------------------------------------------

int Endpoint::Open(int fd, uint32_t role, size_t max_message_size,
                   uint32_t max_fields, uint32_t max_batch,
                   const std::vector<cs_option>& options) {
  Close();
  cs_endpoint_config config = {};
  config.struct_size = CS_ENDPOINT_CONFIG_STRUCT_SIZE;
  config.role = role;
  config.fd = fd;
  config.io_timeout_ms = kIoTimeoutMs;
  config.max_fields = max_fields;
  config.max_batch = max_batch;
  config.max_message_size = max_message_size;
  config.options = options.empty() ? nullptr : options.data();
  config.option_count = static_cast<uint32_t>(options.size());
  char err[512] = "";
  int rc = t_->open(&config, &ep_, err, sizeof(err));
  err[sizeof(err) - 1] = '\0';
  open_error_ = err;
  if (rc != 0) ep_ = nullptr;
  return rc;
}

void Endpoint::Close() {
  if (ep_ != nullptr) t_->close(ep_);
  ep_ = nullptr;
}

std::string Endpoint::LastError() const {
  const char* e = t_->last_error(ep_);
  return e == nullptr ? "(last_error returned NULL)" : e;
}

std::vector<std::pair<std::string, uint64_t>> Endpoint::Counters() const {
  std::vector<cs_counter> raw(t_->counters(ep_, nullptr, 0));
  uint32_t n = t_->counters(ep_, raw.data(), static_cast<uint32_t>(raw.size()));
  std::vector<std::pair<std::string, uint64_t>> out;
  for (uint32_t i = 0; i < n && i < raw.size(); ++i) {
    out.emplace_back(raw[i].name == nullptr ? "" : raw[i].name, raw[i].value);
  }
  return out;
}

int Endpoint::Recv(void* buf, size_t len, std::vector<struct iovec>* segments) {
  cs_recv_args args = {};
  args.struct_size = CS_RECV_ARGS_STRUCT_SIZE;
  args.buf = buf;
  args.len = len;
  int rc = t_->recv(ep_, &args);
  segments->clear();
  if (rc == 0 && args.segment_count > 0 && args.segments != nullptr) {
    segments->assign(args.segments, args.segments + args.segment_count);
  }
  return rc;
}

// ---------------------------------------------------------------------------

uint64_t MessageKey(uint64_t seed, uint64_t index) {
  return payload::Key(seed, payload::kServerToClient, index);
}

std::vector<size_t> FieldSizes(size_t len, uint32_t fields, uint64_t seed) {
  size_t n = std::max<size_t>(1, std::min<size_t>(fields, len));
  uint64_t state = seed ^ 0xF1E1D5ull;
  std::vector<uint64_t> weights(n);
  uint64_t total = 0;
  for (uint64_t& w : weights) total += (w = 1 + SplitMix64(&state) % 16);
  std::vector<size_t> sizes(n, 1);
  size_t spare = len - n, used = n;
  for (size_t i = 0; i + 1 < n; ++i) {
    size_t extra = static_cast<size_t>(spare * weights[i] / total);
    sizes[i] += extra;
    used += extra;
  }
  sizes[n - 1] += len - used;
  return sizes;
}

int PlainRecvAll(int fd, void* buf, size_t len) {
  uint8_t* p = static_cast<uint8_t*>(buf);
  size_t got = 0;
  while (got < len) {
    ssize_t n = recv(fd, p + got, len - got, 0);
    if (n > 0) {
      got += static_cast<size_t>(n);
    } else if (n == 0) {
      return -EPIPE;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      struct pollfd pfd = {fd, POLLIN, 0};
      int r = poll(&pfd, 1, kIoTimeoutMs);
      if (r == 0) return -ETIMEDOUT;
      if (r < 0 && errno != EINTR) return -errno;
    } else if (errno != EINTR) {
      return -errno;
    }
  }
  return 0;
}

std::string RunStream(const cs_transport* t, const StreamSpec& spec) {
  if (t->send == nullptr) return "the plugin has no send()";
  TcpLink link;
  std::string error = link.Connect(spec.link);
  if (!error.empty()) return error;
  const bool async = (t->capabilities & CS_CAP_ASYNC_RELEASE) != 0;
  const bool plugin_recv =
      (t->capabilities & CS_CAP_RECV) != 0 && t->recv != nullptr;
  const bool discards = plugin_recv && (t->capabilities & CS_CAP_RECV_DISCARDS);
  const std::vector<size_t> sizes =
      FieldSizes(spec.message_size, spec.fields, spec.seed);
  const uint32_t max_batch = std::max<uint32_t>(1, spec.max_batch);

  Endpoint sender(t), receiver(t);
  int rc = sender.Open(link.sender_fd(), CS_ROLE_SENDER, spec.message_size,
                       static_cast<uint32_t>(sizes.size()), max_batch);
  if (rc != 0)
    return absl::StrCat("open(sender): ", rc, ": ", sender.open_error());
  if (plugin_recv) {
    rc = receiver.Open(link.receiver_fd(), CS_ROLE_RECEIVER, spec.message_size,
                       static_cast<uint32_t>(sizes.size()), max_batch);
    if (rc != 0) {
      return absl::StrCat("open(receiver): ", rc, ": ", receiver.open_error());
    }
  }

  // The receiver's gate (see receiver_waits_for_first_send).
  std::mutex gate_mu;
  std::condition_variable gate_cv;
  bool gate_open = !spec.receiver_waits_for_first_send;
  auto open_gate = [&] {
    std::lock_guard<std::mutex> lock(gate_mu);
    gate_open = true;
    gate_cv.notify_all();
  };

  std::string recv_failure;
  std::thread receiving([&] {
    {
      std::unique_lock<std::mutex> lock(gate_mu);
      gate_cv.wait(lock, [&] { return gate_open; });
    }
    std::vector<uint8_t> buf(spec.message_size);
    std::vector<struct iovec> segments;
    for (uint32_t i = 0; i < spec.messages && recv_failure.empty(); ++i) {
      // A discarding plugin receives every other message (never the
      // last); the others, read plainly, prove its framing and the sender.
      const bool discard = discards && i % 2 == 0 && i + 1 < spec.messages;
      const bool through_plugin = plugin_recv && (!discards || discard);
      if (discard) memset(buf.data(), kUntouched, buf.size());
      int r = through_plugin
                  ? receiver.Recv(buf.data(), buf.size(), &segments)
                  : PlainRecvAll(link.receiver_fd(), buf.data(), buf.size());
      if (r != 0) {
        recv_failure = absl::StrCat(
            "recv() of message ", i, " returned ", r,
            through_plugin ? absl::StrCat(": ", receiver.LastError()) : "");
        break;
      }
      recv_failure = discard ? Untouched(i, buf, segments)
                             : Compare(i, MessageKey(spec.seed, i), buf.size(),
                                       buf.data(), segments);
    }
    if (!recv_failure.empty()) {
      // Unblock the sender at once.
      receiver.Close();
      link.CloseReceiver(/*reset=*/true);
    }
  });

  // The sender's buffer pool: a slot is refilled only once it is free.
  std::vector<Slot> slots(2 * max_batch + 2);
  for (Slot& s : slots) {
    for (size_t n : sizes) {
      s.fields.emplace_back(new uint8_t[n]);
      s.iov.push_back({s.fields.back().get(), n});
    }
  }
  std::deque<uint32_t> free_slots;
  for (uint32_t i = 0; i < slots.size(); ++i) free_slots.push_back(i);
  std::map<uint64_t, uint32_t> outstanding;  // tag -> slot
  std::set<uint64_t> reaped;
  std::string send_failure;

  auto reap = [&](int timeout_ms) -> int {
    uint64_t tags[16];
    int n = t->reap(sender.get(), tags, 16, timeout_ms);
    if (n < 0) {
      send_failure =
          absl::StrCat("reap() returned ", n, ": ", sender.LastError());
      return n;
    }
    for (int i = 0; i < n; ++i) {
      auto it = outstanding.find(tags[i]);
      if (it == outstanding.end()) {
        send_failure =
            absl::StrCat("reap() returned tag ", tags[i],
                         reaped.count(tags[i]) ? " a second time"
                                               : ", which was not in use");
        return -1;
      }
      slots[it->second].Scribble();  // the buffer is the host's again
      free_slots.push_back(it->second);
      reaped.insert(tags[i]);
      outstanding.erase(it);
    }
    return n;
  };

  uint32_t sent = 0;
  for (uint32_t batch = 0; sent < spec.messages; ++batch) {
    uint32_t count = std::min(1 + batch % max_batch, spec.messages - sent);
    while (free_slots.size() < count && send_failure.empty()) {
      if (reap(-1) == 0) {
        send_failure =
            absl::StrCat("reap() returned no tag within io_timeout_ms while ",
                         outstanding.size(), " messages were in use");
      }
    }
    if (!send_failure.empty()) break;
    std::vector<cs_message> messages(count);
    std::vector<uint32_t> used;
    for (uint32_t i = 0; i < count; ++i) {
      uint32_t s = free_slots.front();
      free_slots.pop_front();
      payload::FillFields(MessageKey(spec.seed, sent + i), slots[s].iov.data(),
                          slots[s].iov.size());
      messages[i] = {slots[s].iov.data(),
                     static_cast<uint32_t>(slots[s].iov.size()), 0,
                     static_cast<uint64_t>(sent + i)};
      used.push_back(s);
    }
    rc = t->send(sender.get(), messages.data(), count);
    if (rc != 0) {
      send_failure =
          absl::StrCat("send() of messages ", sent, "..", sent + count - 1,
                       " returned ", rc, ": ", sender.LastError());
      break;
    }
    for (uint32_t i = 0; i < count; ++i) {
      if (async) {
        outstanding[sent + i] = used[i];
      } else {
        slots[used[i]].Scribble();  // free as soon as send() returned
        free_slots.push_back(used[i]);
      }
    }
    sent += count;
    if (async && reap(0) < 0) break;
    open_gate();
    if (spec.after_send) {
      send_failure = spec.after_send(sender);
      if (!send_failure.empty()) break;
    }
  }
  while (send_failure.empty() && !outstanding.empty()) {
    if (reap(-1) == 0) {
      send_failure = absl::StrCat(outstanding.size(),
                                  " tags never came back from reap() (each "
                                  "wait bounded by io_timeout_ms)");
    }
  }
  if (send_failure.empty()) reap(0);  // must find nothing more
  if (!send_failure.empty()) shutdown(link.sender_fd(), SHUT_RDWR);
  open_gate();
  receiving.join();

  if (!recv_failure.empty() && !send_failure.empty()) {
    return absl::StrCat("receiver: ", recv_failure, "; sender: ", send_failure);
  }
  return recv_failure.empty() ? send_failure : recv_failure;
}

}  // namespace copyscope::conformance
