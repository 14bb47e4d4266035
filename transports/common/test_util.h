// Fixtures for the transports' own unit tests: a connected loopback TCP pair,
// a default endpoint configuration (and one with options), an owning
// endpoint handle, test patterns, and streams of messages checked end to end.
//
//   copyscope::transports::unit::TcpPair pair;
//   ASSERT_TRUE(pair.Connect(/*buffer_bytes=*/0));
//   const cs_transport* t = copyscope_transport_entry(&HostV1());
//   OwnedEndpoint sender(t);
//   ASSERT_EQ(sender.Open(SenderConfig(pair.a, 1 << 20)), 0) << sender.err;
#ifndef COPYSCOPE_TRANSPORTS_COMMON_TEST_UTIL_H_
#define COPYSCOPE_TRANSPORTS_COMMON_TEST_UTIL_H_

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "plugins/copyscope_transport.h"

extern "C" const cs_transport* copyscope_transport_entry(const cs_host* host);

namespace copyscope::transports::unit {

inline const cs_host& HostV1() {
  static const cs_host host = {CS_HOST_STRUCT_SIZE, CS_ABI_MAJOR, CS_ABI_MINOR,
                               "transport unit test"};
  return host;
}

// A connected loopback TCP pair: a and b are the two ends.
struct TcpPair {
  int a = -1;
  int b = -1;
  TcpPair() = default;
  TcpPair(const TcpPair&) = delete;
  TcpPair& operator=(const TcpPair&) = delete;
  ~TcpPair() {
    if (a >= 0) close(a);
    if (b >= 0) close(b);
  }

  // Buffer sizes > 0 set SO_SNDBUF on a (the sending end) and SO_RCVBUF on
  // b (the receiving end) before the connection is made.
  bool Connect(int send_buffer, int recv_buffer = 0) {
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener < 0) return false;
    sockaddr_in addr = {};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    bool ok =
        SetBuffer(listener, SO_RCVBUF, recv_buffer) &&
        bind(listener, reinterpret_cast<sockaddr*>(&addr), len) == 0 &&
        listen(listener, 1) == 0 &&
        getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    if (ok) {
      a = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      ok = a >= 0 && SetBuffer(a, SO_SNDBUF, send_buffer) &&
           connect(a, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    }
    if (ok) {
      b = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
      ok = b >= 0;
    }
    close(listener);
    return ok;
  }

  static bool SetBuffer(int fd, int option, int bytes) {
    return bytes <= 0 ||
           setsockopt(fd, SOL_SOCKET, option, &bytes, sizeof(bytes)) == 0;
  }
};

inline bool SetNonBlocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

inline cs_endpoint_config Config(int fd, uint32_t role, size_t max_size,
                                 int timeout_ms = 5000) {
  cs_endpoint_config c = {};
  c.struct_size = CS_ENDPOINT_CONFIG_STRUCT_SIZE;
  c.role = role;
  c.fd = fd;
  c.io_timeout_ms = timeout_ms;
  c.max_fields = 64;
  c.max_batch = 16;
  c.max_message_size = max_size;
  return c;
}

// config with options[0..n) (which must outlive the config's use).
inline cs_endpoint_config WithOptions(cs_endpoint_config config,
                                      const std::vector<cs_option>& options) {
  config.options = options.data();
  config.option_count = static_cast<uint32_t>(options.size());
  return config;
}
inline cs_endpoint_config WithOptions(cs_endpoint_config config,
                                      const cs_option& option) {
  config.options = &option;
  config.option_count = 1;
  return config;
}

// An endpoint that closes itself.
struct OwnedEndpoint {
  const cs_transport* t;
  cs_endpoint* ep = nullptr;
  char err[256] = "";

  explicit OwnedEndpoint(const cs_transport* transport) : t(transport) {}
  OwnedEndpoint(const OwnedEndpoint&) = delete;
  OwnedEndpoint& operator=(const OwnedEndpoint&) = delete;
  ~OwnedEndpoint() { Close(); }

  int Open(const cs_endpoint_config& config) {
    return t->open(&config, &ep, err, sizeof(err));
  }
  void Close() {
    if (ep != nullptr) t->close(ep);
    ep = nullptr;
  }
  std::string LastError() const { return t->last_error(ep); }

  // Every counter, as counters() reports them.
  std::vector<cs_counter> Counters() const {
    std::vector<cs_counter> all(t->counters(ep, nullptr, 0));
    t->counters(ep, all.data(), static_cast<uint32_t>(all.size()));
    return all;
  }
  bool HasCounter(const std::string& name) const {
    for (const cs_counter& c : Counters()) {
      if (name == c.name) return true;
    }
    return false;
  }
  // The counter of that name; fails the test if absent.
  uint64_t Counter(const std::string& name) const {
    for (const cs_counter& c : Counters()) {
      if (name == c.name) return c.value;
    }
    ADD_FAILURE() << "no counter named " << name;
    return 0;
  }

  // Receives into buf. A plugin that returns the bytes in place
  // (cs_recv_args.segments) has them copied into buf, so that callers
  // compare buf either way.
  int Recv(void* buf, size_t len) {
    cs_recv_args args = {};
    args.struct_size = CS_RECV_ARGS_STRUCT_SIZE;
    args.buf = buf;
    args.len = len;
    int rc = t->recv(ep, &args);
    size_t off = 0;
    for (uint32_t i = 0; rc == 0 && i < args.segment_count; ++i) {
      if (off + args.segments[i].iov_len > len) return -EOVERFLOW;
      memcpy(static_cast<char*>(buf) + off, args.segments[i].iov_base,
             args.segments[i].iov_len);
      off += args.segments[i].iov_len;
    }
    if (rc == 0 && args.segment_count > 0 && off != len) return -EPROTO;
    return rc;
  }
};

// Connects pair (buffer sizes as TcpPair::Connect() takes them), then opens
// sender on pair->a and receiver on pair->b, both with max_message_size
// len. Fatal failures stop the test: call it in ASSERT_NO_FATAL_FAILURE().
//
//   TcpPair pair;
//   OwnedEndpoint sender(t), receiver(t);
//   ASSERT_NO_FATAL_FAILURE(
//       ConnectSenderReceiver(&pair, &sender, &receiver, 4096));
inline void ConnectSenderReceiver(TcpPair* pair, OwnedEndpoint* sender,
                                  OwnedEndpoint* receiver, size_t len,
                                  int send_buffer = 0, int recv_buffer = 0) {
  ASSERT_TRUE(pair->Connect(send_buffer, recv_buffer));
  ASSERT_EQ(sender->Open(Config(pair->a, CS_ROLE_SENDER, len)), 0)
      << sender->err;
  ASSERT_EQ(receiver->Open(Config(pair->b, CS_ROLE_RECEIVER, len)), 0)
      << receiver->err;
}

// Receives one message of len bytes through ep and returns its bytes,
// wherever the plugin put them; *segments is how many segments they came in
// (0: in the host's buffer) and *rc the recv() result.
inline std::vector<char> RecvMessage(OwnedEndpoint& ep, size_t len,
                                     uint32_t* segments, int* rc) {
  std::vector<char> buf(len, 0);
  cs_recv_args args = {};
  args.struct_size = CS_RECV_ARGS_STRUCT_SIZE;
  args.buf = buf.data();
  args.len = len;
  *rc = ep.t->recv(ep.ep, &args);
  *segments = args.segment_count;
  if (*rc != 0 || args.segment_count == 0) return buf;
  std::vector<char> out;
  for (uint32_t i = 0; i < args.segment_count; ++i) {
    const char* p = static_cast<const char*>(args.segments[i].iov_base);
    out.insert(out.end(), p, p + args.segments[i].iov_len);
  }
  return out;
}

// Deterministic, position-dependent bytes.
inline std::vector<char> Pattern(size_t len, unsigned seed) {
  std::vector<char> v(len);
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < len; ++i) {
    x = x * 1664525u + 1013904223u;
    v[i] = static_cast<char>(x >> 24);
  }
  return v;
}

// Splits buf into `fields` iovecs of uneven sizes (the last gets the rest).
inline std::vector<iovec> Split(std::vector<char>& buf, size_t fields) {
  std::vector<iovec> iov;
  size_t off = 0;
  for (size_t i = 0; i < fields && off < buf.size(); ++i) {
    size_t left = buf.size() - off;
    size_t n = i + 1 == fields ? left : (left / (fields - i)) * (i % 3 + 1) / 2;
    if (n == 0) n = 1;
    if (n > left) n = left;
    iov.push_back(iovec{buf.data() + off, n});
    off += n;
  }
  return iov;
}

// Sends `count` messages of len bytes (each in `fields` fields) before the
// receiver reads any, then checks every one arrives intact: a sender that
// hands pages to the socket by reference must not write over queued ones.
inline void ExpectQueuedMessagesKeepTheirBytes(OwnedEndpoint& sender,
                                               OwnedEndpoint& receiver,
                                               size_t len, int count,
                                               size_t fields, unsigned seed) {
  const cs_transport* t = sender.t;
  std::vector<std::vector<char>> data;
  for (int i = 0; i < count; ++i) data.push_back(Pattern(len, seed + i));
  for (int i = 0; i < count; ++i) {  // all queued before the peer reads
    std::vector<iovec> iov = Split(data[i], fields);
    cs_message msg = {iov.data(), static_cast<uint32_t>(iov.size()), 0, 0};
    ASSERT_EQ(t->send(sender.ep, &msg, 1), 0) << sender.LastError();
  }
  std::vector<char> got(len);
  for (int i = 0; i < count; ++i) {
    ASSERT_EQ(receiver.Recv(got.data(), len), 0) << receiver.LastError();
    EXPECT_TRUE(got == data[i]) << "message " << i << " was overwritten";
  }
}

// Sends `count` messages of `len` bytes in `fields` fields, `batch` per
// send() call, through `pair` while a thread receives and checks them in
// order; reaps every tag and checks each came back exactly once.
inline void StreamBatches(const cs_transport* t, OwnedEndpoint* sender,
                          int send_fd, int recv_fd, size_t len, size_t fields,
                          int count, int batch) {
  OwnedEndpoint receiver(t);
  ASSERT_EQ(receiver.Open(Config(recv_fd, CS_ROLE_RECEIVER, len)), 0)
      << receiver.err;
  std::vector<std::vector<char>> data;
  std::vector<std::vector<iovec>> iov;
  for (int i = 0; i < count; ++i) data.push_back(Pattern(len, 300 + i));
  for (int i = 0; i < count; ++i) iov.push_back(Split(data[i], fields));
  int bad_message = -1;
  std::string recv_error;
  std::thread reader([&] {
    std::vector<char> got(len);
    for (int i = 0; i < count; ++i) {
      if (receiver.Recv(got.data(), len) != 0) {
        recv_error = receiver.LastError();
        bad_message = i;
        return;
      }
      if (got != data[i]) {
        bad_message = i;
        return;
      }
    }
  });
  std::multiset<uint64_t> reaped;
  std::vector<uint64_t> tags(count);
  std::string failure;
  int sent = 0;
  while (sent < count && failure.empty()) {
    std::vector<cs_message> msgs;
    for (int i = sent; i < count && i < sent + batch; ++i) {
      msgs.push_back(cs_message{iov[i].data(),
                                static_cast<uint32_t>(iov[i].size()), 0,
                                static_cast<uint64_t>(i)});
    }
    int rc =
        t->send(sender->ep, msgs.data(), static_cast<uint32_t>(msgs.size()));
    int n = rc == 0 ? t->reap(sender->ep, tags.data(), count, 0) : rc;
    if (n < 0) {
      failure = "send/reap: " + sender->LastError();
    } else {
      sent += static_cast<int>(msgs.size());
      reaped.insert(tags.begin(), tags.begin() + n);
    }
  }
  while (failure.empty() && reaped.size() < static_cast<size_t>(count)) {
    int n = t->reap(sender->ep, tags.data(), count, -1);
    if (n <= 0) {
      failure = "completions missing: " + sender->LastError();
    } else {
      reaped.insert(tags.begin(), tags.begin() + n);
    }
  }
  if (!failure.empty()) shutdown(send_fd, SHUT_WR);  // let the reader finish
  reader.join();
  ASSERT_EQ(failure, "");
  EXPECT_EQ(bad_message, -1) << recv_error;
  for (int i = 0; i < count; ++i) EXPECT_EQ(reaped.count(i), 1u) << i;
  EXPECT_EQ(t->reap(sender->ep, tags.data(), count, 0), 0);  // none left
}

}  // namespace copyscope::transports::unit

#endif  // COPYSCOPE_TRANSPORTS_COMMON_TEST_UTIL_H_
