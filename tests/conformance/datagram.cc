// The datagram variant of the conformance suite: the checks of a transport
// with CS_CAP_DATAGRAM (ABI 1.3), over a connected loopback UDP pair,
// against the datagram semantics of plugins/copyscope_transport.h. A stream
// transport skips them (its own checks are in conformance.cc).
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "harness/engine/payload.h"
#include "tests/conformance/conformance.h"
#include "tests/conformance/stream.h"

namespace copyscope::conformance {
namespace {

namespace payload = ::copyscope::engine::payload;

constexpr char kDatagramCheck[] =
    "a check of datagram transports (CS_CAP_DATAGRAM); this one takes stream "
    "sockets";

// Two UDP sockets on 127.0.0.1, each connect()ed to the other; the
// receiving one with a receive buffer of 1 MiB (as much as rmem_max allows)
// so that a check's batch is not dropped.
struct UdpLink {
  int tx = -1, rx = -1;
  UdpLink() {
    tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    rx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int big = 1 << 20;
    setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    sockaddr_in addr = {};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sockaddr_in bound[2];
    const int fds[2] = {tx, rx};
    for (int i = 0; i < 2; ++i) {
      bind(fds[i], reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
      socklen_t len = sizeof(bound[i]);
      getsockname(fds[i], reinterpret_cast<sockaddr*>(&bound[i]), &len);
    }
    connect(tx, reinterpret_cast<sockaddr*>(&bound[1]), sizeof(bound[1]));
    connect(rx, reinterpret_cast<sockaddr*>(&bound[0]), sizeof(bound[0]));
  }
  ~UdpLink() {
    close(tx);
    close(rx);
  }
};

// An endpoint on a datagram socket, closed by the destructor.
struct DatagramEndpoint {
  const cs_transport* t;
  cs_endpoint* ep = nullptr;
  char err[256] = "";
  explicit DatagramEndpoint(const cs_transport* transport) : t(transport) {}
  ~DatagramEndpoint() {
    if (ep != nullptr) t->close(ep);
  }
  int Open(int fd, uint32_t role, size_t max_size, uint32_t max_batch,
           const std::vector<cs_option>& options = {}) {
    cs_endpoint_config c = {};
    c.struct_size = CS_ENDPOINT_CONFIG_STRUCT_SIZE;
    c.role = role;
    c.fd = fd;
    c.io_timeout_ms = kIoTimeoutMs;
    c.max_fields = 8;
    c.max_batch = max_batch;
    c.max_message_size = max_size;
    c.options = options.empty() ? nullptr : options.data();
    c.option_count = static_cast<uint32_t>(options.size());
    c.flags = CS_ENDPOINT_HOST_UNBLOCKS;
    c.socket_type = CS_SOCKET_DATAGRAM;
    return t->open(&c, &ep, err, sizeof(err));
  }
  // One datagram, its bytes gathered into *out (in place or from buf).
  int Recv(size_t len, int timeout_ms, std::string* out) {
    std::vector<char> buf(len);
    cs_recv_args a = {};
    a.struct_size = CS_RECV_ARGS_STRUCT_SIZE;
    a.buf = buf.data();
    a.len = len;
    a.timeout_ms = timeout_ms;
    int rc = t->recv(ep, &a);
    if (rc != 0) return rc;
    out->clear();
    if (a.segment_count == 0) {
      if (a.received > len) return -ERANGE;
      out->assign(buf.data(), a.received);
    } else {
      for (uint32_t i = 0; i < a.segment_count; ++i) {
        out->append(static_cast<const char*>(a.segments[i].iov_base),
                    a.segments[i].iov_len);
      }
      if (out->size() != a.received) return -ERANGE;
    }
    return 0;
  }
};

// Batches of 1..4 messages of each size, in 1 or 3 fields, each with the
// --verify pattern of its index: every datagram arrives whole, alone and
// byte-exact (loopback, a batch received before the next is sent).
TEST_P(TransportConformance, DatagramOneMessageOneDatagramByteExact) {
  if (!datagram()) GTEST_SKIP() << kDatagramCheck;
  for (size_t size : {size_t{8}, size_t{64}, size_t{1000}, size_t{1472},
                      size_t{8192}, size_t{65507}}) {
    for (uint32_t fields : {1u, 3u}) {
      SCOPED_TRACE(absl::StrCat(size, " bytes in ", fields, " fields"));
      UdpLink link;
      DatagramEndpoint tx(transport()), rx(transport());
      ASSERT_EQ(tx.Open(link.tx, CS_ROLE_SENDER, size, 4), 0) << tx.err;
      ASSERT_EQ(rx.Open(link.rx, CS_ROLE_RECEIVER, size, 1), 0) << rx.err;
      const uint32_t most = size > 32768 ? 1 : 4;
      uint64_t index = 0;
      for (uint32_t batch = 1; batch <= most; ++batch) {
        std::vector<std::vector<char>> data(batch * fields);
        std::vector<iovec> iov(batch * fields);
        std::vector<cs_message> msgs(batch);
        for (uint32_t m = 0; m < batch; ++m) {
          const std::vector<size_t> parts = FieldSizes(size, fields, index + m);
          for (size_t f = 0; f < parts.size(); ++f) {
            data[m * fields + f].resize(parts[f]);
            iov[m * fields + f] = {data[m * fields + f].data(), parts[f]};
          }
          payload::FillFields(MessageKey(size, index + m), &iov[m * fields],
                              parts.size());
          msgs[m] = {&iov[m * fields], static_cast<uint32_t>(parts.size()), 0,
                     index + m};
        }
        ASSERT_EQ(transport()->send(tx.ep, msgs.data(), batch), 0)
            << transport()->last_error(tx.ep);
        for (uint32_t m = 0; m < batch; ++m, ++index) {
          std::string got;
          ASSERT_EQ(rx.Recv(size, kIoTimeoutMs, &got), 0)
              << "datagram " << index << ": " << transport()->last_error(rx.ep);
          ASSERT_EQ(got.size(), size) << "datagram " << index;
          EXPECT_EQ(payload::Check(MessageKey(size, index), 0, got.data(),
                                   got.size()),
                    got.size())
              << "datagram " << index << " differs from what was sent";
        }
      }
    }
  }
}

// recv() with args->timeout_ms returns -ETIMEDOUT when nothing comes, and
// the endpoint goes on: the next datagram arrives.
TEST_P(TransportConformance, DatagramRecvTimesOutAndGoesOn) {
  if (!datagram()) GTEST_SKIP() << kDatagramCheck;
  UdpLink link;
  DatagramEndpoint rx(transport());
  ASSERT_EQ(rx.Open(link.rx, CS_ROLE_RECEIVER, 64, 1), 0) << rx.err;
  std::string got;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(rx.Recv(64, 50, &got), -ETIMEDOUT);
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(waited, std::chrono::milliseconds(40));
  EXPECT_LT(waited, std::chrono::seconds(4));
  EXPECT_NE(std::string(transport()->last_error(rx.ep)), "");
  const char word[] = "after a timeout";
  ASSERT_EQ(send(link.tx, word, sizeof(word), 0),
            static_cast<ssize_t>(sizeof(word)));
  ASSERT_EQ(rx.Recv(64, kIoTimeoutMs, &got), 0)
      << transport()->last_error(rx.ep);
  EXPECT_EQ(got, std::string(word, sizeof(word)));
}

// UDP has no end of stream: the host's shutdown ends a blocked recv().
TEST_P(TransportConformance, DatagramBlockedRecvEndsOnShutdown) {
  if (!datagram()) GTEST_SKIP() << kDatagramCheck;
  UdpLink link;
  DatagramEndpoint rx(transport());
  ASSERT_EQ(rx.Open(link.rx, CS_ROLE_RECEIVER, 64, 1), 0) << rx.err;
  std::promise<int> done;
  std::future<int> result = done.get_future();
  std::thread receiver([&] {
    std::string got;
    done.set_value(rx.Recv(64, 0, &got));
  });
  // Whether or not the receiver is asleep yet, the shutdown must end it.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  shutdown(link.rx, SHUT_RDWR);
  if (result.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    ADD_FAILURE() << "recv still blocked 30 s after shutdown";
    close(link.rx);  // last resort, so the test can end
  }
  receiver.join();
  EXPECT_EQ(result.get(), -EPIPE);
  // A bounded recv() on the shut-down socket ends at once too, not at its
  // timeout, and not by spinning.
  std::string got;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(rx.Recv(64, 10000, &got), -EPIPE);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

// A datagram transport takes no stream socket (an ABI 1.2 host would offer
// one), and checks its options on a datagram socket as any transport does.
TEST_P(TransportConformance, DatagramRefusesStreamSocketsAndUnknownKeys) {
  if (!datagram()) GTEST_SKIP() << kDatagramCheck;
  TcpLink tcp;
  ASSERT_EQ(tcp.Connect({}), "");
  cs_endpoint_config c = {};
  c.struct_size = CS_ENDPOINT_CONFIG_STRUCT_SIZE_1_1;  // a 1.2 host's
  c.role = CS_ROLE_SENDER;
  c.fd = tcp.sender_fd();
  c.io_timeout_ms = kIoTimeoutMs;
  c.max_fields = 8;
  c.max_batch = 1;
  c.max_message_size = 64;
  cs_endpoint* ep = nullptr;
  char err[256] = "";
  EXPECT_LT(transport()->open(&c, &ep, err, sizeof(err)), 0);
  EXPECT_EQ(ep, nullptr);
  EXPECT_GT(strlen(err), 0u);
  UdpLink link;
  DatagramEndpoint tx(transport());
  const char* key = "no_such_option_for_conformance";
  EXPECT_EQ(tx.Open(link.tx, CS_ROLE_SENDER, 64, 1, {{key, "1"}}), -EINVAL);
  EXPECT_NE(std::string(tx.err).find(key), std::string::npos) << tx.err;
  for (uint32_t i = 0; i < transport()->option_count; ++i) {
    const cs_option_desc& o = transport()->options[i];
    if (o.default_value == nullptr) continue;
    DatagramEndpoint ok(transport());
    EXPECT_EQ(
        ok.Open(link.tx, CS_ROLE_SENDER, 64, 1, {{o.key, o.default_value}}), 0)
        << o.key << "=" << o.default_value << ": " << ok.err;
  }
}

}  // namespace
}  // namespace copyscope::conformance
