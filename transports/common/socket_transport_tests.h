// Unit tests every in-tree socket transport passes, written once. A
// transport's <name>_test.cc includes this file (which defines gtest TESTs
// against the copyscope_transport_entry linked into that test binary) and
// adds its own specific tests (in_tree_transport() links it into every
// transport's test), with the helpers below for what transports' tests
// share:
//
//   #include "transports/common/socket_transport_tests.h"
//   TEST(TwoCopy, DescribesItself) {
//     ExpectDescriptor("two_copy", CS_CAP_RECV, /*option_keys=*/{});
//   }
//
// The checks here are exact about errno values and error messages, which the
// cross-plugin conformance suite (tests/conformance) cannot be.
// The checks that move bytes (suite SocketTransport) are skipped, with the
// probe's reason, where the transport's probe() says it cannot run here.
//
// A transport whose recv() discards what it receives (CS_CAP_RECV_DISCARDS)
// cannot show the bytes it got: where the others' received bytes are
// compared with those sent, its receive buffer (zeroed before) must still
// be all zeros, and its framing is proven by what follows (a second
// message, an EPIPE after exactly the bytes sent).
#ifndef COPYSCOPE_TRANSPORTS_COMMON_SOCKET_TRANSPORT_TESTS_H_
#define COPYSCOPE_TRANSPORTS_COMMON_SOCKET_TRANSPORT_TESTS_H_

#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "plugins/copyscope_transport.h"
#include "transports/common/test_util.h"

namespace copyscope::transports::unit {

inline const cs_transport* Transport() {
  return copyscope_transport_entry(&HostV1());
}

// Whether the transport's recv() drops the bytes (CS_CAP_RECV_DISCARDS).
inline bool Discards() {
  return (Transport()->capabilities & CS_CAP_RECV_DISCARDS) != 0;
}

// A receive buffer `got` (all zeros before the receive) holds `sent`, or,
// for a discarding transport, is still all zeros: the kernel dropped the
// bytes without writing them. `sent` is never all zeros (Pattern()).
inline ::testing::AssertionResult Received(const std::vector<char>& sent,
                                           const std::vector<char>& got) {
  if (!Discards()) {
    if (got == sent) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "received bytes differ";
  }
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i] != 0) {
      return ::testing::AssertionFailure()
             << "a discarding receiver wrote byte " << i << " of its buffer";
    }
  }
  return ::testing::AssertionSuccess();
}

// The fixture of a transport's own tests where its probe() may say it cannot
// run here (an old kernel, io_uring disabled): they are skipped, with why.
//
//   using UringRecv = ProbedTransportTest;
//   TEST_F(UringRecv, SomethingSpecific) { ... }
class ProbedTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char why[256];
    if (Transport()->probe(why, sizeof(why)) != 0) GTEST_SKIP() << why;
  }
};

// The descriptor has this name, exactly these capabilities, and these
// option keys in this order.
inline void ExpectDescriptor(const char* name, uint64_t capabilities,
                             const std::vector<std::string>& option_keys) {
  const cs_transport* t = Transport();
  ASSERT_NE(t, nullptr);
  EXPECT_STREQ(t->name, name);
  EXPECT_EQ(t->capabilities, capabilities);
  ASSERT_EQ(t->option_count, option_keys.size());
  for (size_t i = 0; i < option_keys.size(); ++i) {
    EXPECT_EQ(t->options[i].key, option_keys[i]) << "option " << i;
  }
}

// open() of `config` with each of the option sets fails with -EINVAL and a
// message naming the set's first key.
inline void ExpectRejectsOptions(
    const cs_endpoint_config& config,
    const std::vector<std::vector<cs_option>>& bad_sets) {
  for (const std::vector<cs_option>& bad : bad_sets) {
    SCOPED_TRACE(::testing::Message() << bad[0].key << "=" << bad[0].value);
    OwnedEndpoint ep(Transport());
    EXPECT_EQ(ep.Open(WithOptions(config, bad)), -EINVAL);
    EXPECT_NE(std::string(ep.err).find(bad[0].key), std::string::npos)
        << ep.err;
  }
}

// Sends one message of `len` bytes in `fields` fields and returns after the
// peer received it byte for byte.
inline void RoundTrip(int send_fd, int recv_fd, size_t len, size_t fields,
                      unsigned seed) {
  const cs_transport* t = Transport();
  OwnedEndpoint sender(t), receiver(t);
  ASSERT_EQ(sender.Open(Config(send_fd, CS_ROLE_SENDER, len)), 0) << sender.err;
  ASSERT_EQ(receiver.Open(Config(recv_fd, CS_ROLE_RECEIVER, len)), 0)
      << receiver.err;
  std::vector<char> data = Pattern(len, seed);
  std::vector<char> got(len);
  int recv_rc = 1;
  std::thread reader([&] { recv_rc = receiver.Recv(got.data(), got.size()); });
  std::vector<iovec> iov = Split(data, fields);
  cs_message msg = {iov.data(), static_cast<uint32_t>(iov.size()), 0, 7};
  int send_rc = t->send(sender.ep, &msg, 1);
  if (send_rc != 0) shutdown(send_fd, SHUT_WR);  // let the reader finish
  reader.join();
  ASSERT_EQ(send_rc, 0) << sender.LastError();
  ASSERT_EQ(recv_rc, 0) << receiver.LastError();
  EXPECT_TRUE(Received(data, got));
  if (t->capabilities & CS_CAP_ASYNC_RELEASE) {
    uint64_t tag = 0;
    ASSERT_EQ(t->reap(sender.ep, &tag, 1, -1), 1) << sender.LastError();
    EXPECT_EQ(tag, 7u);
  }
}

// RoundTrip() over a Unix stream socket pair instead of loopback TCP.
inline void RoundTripOnUnixPair(size_t len, size_t fields, unsigned seed) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  RoundTrip(sv[0], sv[1], len, fields, seed);
  close(sv[0]);
  close(sv[1]);
}

// For transports that copy into a buffer sized at open (max_message_size):
// a larger message is refused with -EMSGSIZE and a message naming the
// limit, nothing is sent, and the endpoint stays usable.
inline void ExpectRefusesMessagesAboveMaxMessageSize() {
  const cs_transport* t = Transport();
  TcpPair pair;
  OwnedEndpoint sender(t), receiver(t);
  ASSERT_NO_FATAL_FAILURE(ConnectSenderReceiver(&pair, &sender, &receiver, 16));
  char big[17] = "0123456789abcdef";
  iovec iov[2] = {{big, 10}, {big + 10, 7}};
  cs_message msg = {iov, 2, 0, 0};
  EXPECT_EQ(t->send(sender.ep, &msg, 1), -EMSGSIZE);
  EXPECT_NE(sender.LastError().find("max_message_size 16"), std::string::npos)
      << sender.LastError();
  iov[1].iov_len = 6;
  ASSERT_EQ(t->send(sender.ep, &msg, 1), 0) << sender.LastError();
  std::vector<char> got(16);
  ASSERT_EQ(receiver.Recv(got.data(), 16), 0) << receiver.LastError();
  EXPECT_TRUE(Received(std::vector<char>(big, big + 16), got));
}

// For the same transports: a sender without max_message_size cannot open.
inline void ExpectSenderNeedsAMaxMessageSize() {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0));
  OwnedEndpoint sender(Transport());
  EXPECT_EQ(sender.Open(Config(pair.a, CS_ROLE_SENDER, 0)), -EINVAL);
  EXPECT_NE(std::string(sender.err).find("max_message_size"),
            std::string::npos);
}

// The tests below that move bytes run where the transport's probe() says it
// can (they are skipped with its reason elsewhere: ktls without CONFIG_TLS).
class SocketTransport : public ProbedTransportTest {};

TEST(SocketTransportDescriptor, EntryRefusesOtherAbiMajors) {
  cs_host host = HostV1();
  EXPECT_NE(copyscope_transport_entry(&host), nullptr);
  host.abi_major = CS_ABI_MAJOR + 1;
  EXPECT_EQ(copyscope_transport_entry(&host), nullptr);
  host.abi_major = 0;
  EXPECT_EQ(copyscope_transport_entry(&host), nullptr);
  EXPECT_EQ(copyscope_transport_entry(nullptr), nullptr);
}

TEST(SocketTransportDescriptor, DescriptorIsComplete) {
  const cs_transport* t = Transport();
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->struct_size, CS_TRANSPORT_STRUCT_SIZE);
  EXPECT_EQ(t->abi_major, static_cast<uint32_t>(CS_ABI_MAJOR));
  EXPECT_NE(t->capabilities & CS_CAP_RECV, 0u);
  EXPECT_GT(strlen(t->description), 0u);
  char why[256] = "x";
  int rc = t->probe(why, sizeof(why));
  if (rc == 0) {
    EXPECT_STREQ(why, "");
  } else {
    EXPECT_LT(rc, 0);
    EXPECT_GT(strlen(why), 0u);
  }
}

TEST_F(SocketTransport, MovesMessagesByteExact) {
  for (size_t len : {1ul, 1000ul, 65536ul + 3, 1ul << 20}) {
    for (size_t fields : {1ul, 8ul, 64ul}) {
      SCOPED_TRACE(::testing::Message()
                   << len << " bytes, " << fields << " fields");
      TcpPair pair;
      ASSERT_TRUE(pair.Connect(0));
      RoundTrip(pair.a, pair.b, len, fields, static_cast<unsigned>(len));
    }
  }
}

TEST_F(SocketTransport, ShortWritesOnNonBlockingSmallBuffers) {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(4096, 16384));
  ASSERT_TRUE(SetNonBlocking(pair.a));
  ASSERT_TRUE(SetNonBlocking(pair.b));
  const cs_transport* t = Transport();
  const size_t len = 256 * 1024;
  OwnedEndpoint sender(t);
  ASSERT_EQ(sender.Open(Config(pair.a, CS_ROLE_SENDER, len)), 0) << sender.err;
  std::vector<char> data = Pattern(len, 4), got(len);
  OwnedEndpoint receiver(t);
  ASSERT_EQ(receiver.Open(Config(pair.b, CS_ROLE_RECEIVER, len)), 0);
  int recv_rc = 1;
  std::thread reader([&] { recv_rc = receiver.Recv(got.data(), len); });
  std::vector<iovec> iov = Split(data, 8);
  cs_message msg = {iov.data(), static_cast<uint32_t>(iov.size()), 0, 1};
  EXPECT_EQ(t->send(sender.ep, &msg, 1), 0) << sender.LastError();
  reader.join();
  EXPECT_EQ(recv_rc, 0) << receiver.LastError();
  EXPECT_TRUE(Received(data, got));
  // A non-blocking send larger than the socket buffer returns what fit.
  EXPECT_GE(sender.Counter("short_writes"), 1u);
  EXPECT_GT(sender.Counter("send_calls"), sender.Counter("short_writes"));
}

TEST_F(SocketTransport, SendTimesOutWhenPeerDoesNotRead) {
  for (bool non_blocking : {false, true}) {
    SCOPED_TRACE(non_blocking ? "non-blocking" : "blocking");
    TcpPair pair;
    ASSERT_TRUE(pair.Connect(4096, 16384));
    if (non_blocking) {
      ASSERT_TRUE(SetNonBlocking(pair.a));
    }
    const cs_transport* t = Transport();
    const size_t len = 4 << 20;
    OwnedEndpoint sender(t);
    ASSERT_EQ(sender.Open(Config(pair.a, CS_ROLE_SENDER, len, 50)), 0);
    std::vector<char> data(len, 'x');
    iovec iov = {data.data(), len};
    cs_message msg = {&iov, 1, 0, 1};
    EXPECT_EQ(t->send(sender.ep, &msg, 1), -ETIMEDOUT);
    EXPECT_NE(sender.LastError().find("io_timeout_ms=50"), std::string::npos)
        << sender.LastError();
    // The endpoint is broken now: the next send reports the same error.
    EXPECT_EQ(t->send(sender.ep, &msg, 1), -ETIMEDOUT);
  }
}

TEST_F(SocketTransport, RecvTimesOutWithoutData) {
  for (bool non_blocking : {false, true}) {
    SCOPED_TRACE(non_blocking ? "non-blocking" : "blocking");
    TcpPair pair;
    ASSERT_TRUE(pair.Connect(0));
    if (non_blocking) {
      ASSERT_TRUE(SetNonBlocking(pair.b));
    }
    OwnedEndpoint receiver(Transport());
    ASSERT_EQ(receiver.Open(Config(pair.b, CS_ROLE_RECEIVER, 64, 20)), 0);
    ASSERT_EQ(write(pair.a, "abc", 3), 3);
    char buf[64];
    EXPECT_EQ(receiver.Recv(buf, sizeof(buf)), -ETIMEDOUT);
    EXPECT_NE(receiver.LastError().find("io_timeout_ms=20"), std::string::npos)
        << receiver.LastError();
  }
}

TEST_F(SocketTransport, RecvReportsEpipeWhenPeerClosesEarly) {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0));
  OwnedEndpoint receiver(Transport());
  ASSERT_EQ(receiver.Open(Config(pair.b, CS_ROLE_RECEIVER, 20)), 0);
  ASSERT_EQ(write(pair.a, "0123456789", 10), 10);
  shutdown(pair.a, SHUT_WR);
  std::vector<char> buf(20);
  EXPECT_EQ(receiver.Recv(buf.data(), 20), -EPIPE);
  EXPECT_NE(receiver.LastError().find("after 10 of 20 bytes"),
            std::string::npos)
      << receiver.LastError();
  const char sent[] = "0123456789";
  std::vector<char> want(sent, sent + 10);
  want.resize(20);  // the bytes that came, then the buffer as it was
  EXPECT_TRUE(Received(want, buf));
  EXPECT_EQ(receiver.Recv(buf.data(), 20), -EPIPE);  // and before the first
}

TEST_F(SocketTransport, SendToClosedPeerFailsWithoutSigpipe) {
  signal(SIGPIPE, SIG_DFL);  // a missing MSG_NOSIGNAL would kill the test
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0));
  const cs_transport* t = Transport();
  OwnedEndpoint sender(t);
  ASSERT_EQ(sender.Open(Config(pair.a, CS_ROLE_SENDER, 4096)), 0);
  close(pair.b);
  pair.b = -1;
  std::vector<char> data(4096, 'y');
  iovec iov = {data.data(), data.size()};
  cs_message msg = {&iov, 1, 0, 0};
  int rc = 0;
  // The first send may still be accepted; the peer answers it with a reset.
  for (int i = 0; i < 100 && rc == 0; ++i) rc = t->send(sender.ep, &msg, 1);
  EXPECT_TRUE(rc == -EPIPE || rc == -ECONNRESET) << rc;
  EXPECT_FALSE(sender.LastError().empty());
}

TEST_F(SocketTransport, RejectsBadConfigurations) {
  const cs_transport* t = Transport();
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0));
  OwnedEndpoint ep(t);
  cs_option unknown = {"frobnicate", "1"};
  cs_endpoint_config c =
      WithOptions(Config(pair.a, CS_ROLE_SENDER, 64), unknown);
  EXPECT_EQ(ep.Open(c), -EINVAL);
  // The message names the keys the descriptor lists.
  std::string known;
  for (uint32_t i = 0; i < t->option_count; ++i) {
    known += (i == 0 ? "" : ", ") + std::string(t->options[i].key);
  }
  EXPECT_EQ(std::string(ep.err), "unknown option 'frobnicate' (known: " +
                                     (known.empty() ? "none" : known) + ")");
  EXPECT_EQ(ep.ep, nullptr);

  c = Config(-1, CS_ROLE_SENDER, 64);
  EXPECT_EQ(ep.Open(c), -EBADF);
  EXPECT_GT(strlen(ep.err), 0u);

  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  c = Config(devnull, CS_ROLE_SENDER, 64);
  EXPECT_EQ(ep.Open(c), -ENOTSOCK) << ep.err;
  close(devnull);

  c = Config(pair.a, 7, 64);
  EXPECT_EQ(ep.Open(c), -EINVAL);
  c = Config(pair.a, CS_ROLE_SENDER, 64);
  c.struct_size = 8;
  EXPECT_EQ(ep.Open(c), -EINVAL);
  EXPECT_EQ(t->open(nullptr, &ep.ep, ep.err, sizeof(ep.err)), -EINVAL);
}

TEST_F(SocketTransport, RejectsBadCallArguments) {
  const cs_transport* t = Transport();
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0));
  OwnedEndpoint receiver(t);
  ASSERT_EQ(receiver.Open(Config(pair.b, CS_ROLE_RECEIVER, 64)), 0);
  char buf[8];
  EXPECT_EQ(receiver.Recv(buf, 0), -EINVAL);
  EXPECT_FALSE(receiver.LastError().empty());
  EXPECT_EQ(receiver.Recv(nullptr, 8), -EINVAL);
  cs_recv_args args = {};
  args.struct_size = 4;
  args.buf = buf;
  args.len = 8;
  EXPECT_EQ(t->recv(receiver.ep, &args), -EINVAL);
  iovec iov = {buf, sizeof(buf)};
  cs_message msg = {&iov, 1, 0, 0};
  EXPECT_EQ(t->send(receiver.ep, &msg, 1), -EINVAL);  // a receiver

  OwnedEndpoint sender(t);
  ASSERT_EQ(sender.Open(Config(pair.a, CS_ROLE_SENDER, 64)), 0);
  // Invalid messages are refused before anything is sent, so the endpoint
  // stays usable.
  cs_message bad[2] = {{&iov, 1, 0, 0}, {&iov, 0, 0, 0}};
  EXPECT_EQ(t->send(sender.ep, bad, 2), -EINVAL);
  EXPECT_NE(sender.LastError().find("message 1"), std::string::npos)
      << sender.LastError();
  EXPECT_EQ(sender.Recv(buf, 8), -EINVAL);  // a sender
  EXPECT_EQ(t->send(sender.ep, nullptr, 1), -EINVAL);
  EXPECT_EQ(t->send(sender.ep, nullptr, 0), 0);
}

// Request-response: each side sends and receives on one endpoint
// (CS_ROLE_BOTH); buffers held after send() all come back, each once.
TEST_F(SocketTransport, RequestResponseOnOneEndpointEachSide) {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0));
  const cs_transport* t = Transport();
  OwnedEndpoint a(t), b(t);
  ASSERT_EQ(a.Open(Config(pair.a, CS_ROLE_BOTH, 512)), 0) << a.err;
  ASSERT_EQ(b.Open(Config(pair.b, CS_ROLE_BOTH, 512)), 0) << b.err;
  std::vector<char> ping = Pattern(512, 1), pong = Pattern(512, 2);
  std::vector<char> got(512);
  iovec ping_iov = {ping.data(), ping.size()};
  iovec pong_iov = {pong.data(), pong.size()};
  const int kRounds = 50;
  int reaped[2] = {0, 0};  // by a (tag 1), by b (tag 2)
  // Reaps what ep has released into *n; false when nothing came.
  auto reap = [&](OwnedEndpoint& ep, uint64_t want, int* n, int timeout_ms) {
    uint64_t tags[8];
    int released = t->reap(ep.ep, tags, 8, timeout_ms);
    EXPECT_GE(released, 0) << ep.LastError();
    for (int k = 0; k < released; ++k) EXPECT_EQ(tags[k], want);
    if (released > 0) *n += released;
    return released > 0;
  };
  for (int i = 0; i < kRounds; ++i) {
    cs_message m = {&ping_iov, 1, 0, 1};
    ASSERT_EQ(t->send(a.ep, &m, 1), 0) << a.LastError();
    ASSERT_EQ(b.Recv(got.data(), got.size()), 0) << b.LastError();
    ASSERT_TRUE(Received(ping, got)) << "round " << i;
    m = {&pong_iov, 1, 0, 2};
    ASSERT_EQ(t->send(b.ep, &m, 1), 0) << b.LastError();
    ASSERT_EQ(a.Recv(got.data(), got.size()), 0) << a.LastError();
    ASSERT_TRUE(Received(pong, got)) << "round " << i;
    if (t->capabilities & CS_CAP_ASYNC_RELEASE) {
      reap(a, 1, &reaped[0], 0);
      reap(b, 2, &reaped[1], 0);
    }
  }
  if (t->capabilities & CS_CAP_ASYNC_RELEASE) {
    while (reaped[0] < kRounds && reap(a, 1, &reaped[0], -1)) {
    }
    while (reaped[1] < kRounds && reap(b, 2, &reaped[1], -1)) {
    }
    EXPECT_EQ(reaped[0], kRounds);
    EXPECT_EQ(reaped[1], kRounds);
  }
}

TEST_F(SocketTransport, CountersStartAtZeroAndAreCapped) {
  const cs_transport* t = Transport();
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0));
  OwnedEndpoint sender(t);
  ASSERT_EQ(sender.Open(Config(pair.a, CS_ROLE_SENDER, 64)), 0);
  uint32_t n = t->counters(sender.ep, nullptr, 0);
  ASSERT_GE(n, 2u);
  std::vector<cs_counter> all(n + 1, cs_counter{nullptr, 99});
  EXPECT_EQ(t->counters(sender.ep, all.data(), 1), n);
  EXPECT_EQ(all[1].name, nullptr);  // max respected
  EXPECT_EQ(t->counters(sender.ep, all.data(), n + 1), n);
  for (uint32_t i = 0; i < n; ++i) EXPECT_EQ(all[i].value, 0u) << all[i].name;
  EXPECT_EQ(sender.Counter("send_calls"), 0u);
  EXPECT_EQ(sender.Counter("short_writes"), 0u);
}

}  // namespace copyscope::transports::unit

#endif  // COPYSCOPE_TRANSPORTS_COMMON_SOCKET_TRANSPORT_TESTS_H_
