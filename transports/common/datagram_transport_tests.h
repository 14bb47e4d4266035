// Unit tests both datagram transports (udp, udp_gso) pass, written once: a
// transport's <name>_test.cc includes this file, which defines gtest TESTs
// against the copyscope_transport_entry linked into that test binary, over
// a connected loopback UDP pair.
#ifndef COPYSCOPE_TRANSPORTS_COMMON_DATAGRAM_TRANSPORT_TESTS_H_
#define COPYSCOPE_TRANSPORTS_COMMON_DATAGRAM_TRANSPORT_TESTS_H_

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "plugins/copyscope_transport.h"
#include "transports/common/test_util.h"

extern "C" const cs_transport* copyscope_transport_entry(const cs_host* host);

namespace copyscope::transports::unit {

inline const cs_transport* DatagramTransport() {
  static const cs_host host = {CS_HOST_STRUCT_SIZE, CS_ABI_MAJOR, CS_ABI_MINOR,
                               "test"};
  return copyscope_transport_entry(&host);
}

// Two UDP sockets on 127.0.0.1, each connect()ed to the other.
struct UdpPair {
  int a = -1, b = -1;
  UdpPair() {
    a = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    b = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr = {};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sockaddr_in bound[2];
    int fds[2] = {a, b};
    for (int i = 0; i < 2; ++i) {
      bind(fds[i], reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
      socklen_t len = sizeof(bound[i]);
      getsockname(fds[i], reinterpret_cast<sockaddr*>(&bound[i]), &len);
    }
    connect(a, reinterpret_cast<sockaddr*>(&bound[1]), sizeof(bound[1]));
    connect(b, reinterpret_cast<sockaddr*>(&bound[0]), sizeof(bound[0]));
  }
  ~UdpPair() {
    close(a);
    close(b);
  }
};

inline cs_endpoint_config DatagramConfig(int fd, uint32_t role, size_t max_size,
                                         uint32_t batch) {
  cs_endpoint_config c = Config(fd, role, max_size);
  c.max_batch = batch;
  c.flags = CS_ENDPOINT_HOST_UNBLOCKS;
  c.socket_type = CS_SOCKET_DATAGRAM;
  return c;
}

// recv() of one datagram into buf; its bytes (in place or in buf) in *out.
inline int RecvDatagram(const cs_transport* t, cs_endpoint* ep, size_t len,
                        std::string* out, int timeout_ms = 0) {
  std::vector<char> buf(len);
  cs_recv_args args = {};
  args.struct_size = CS_RECV_ARGS_STRUCT_SIZE;
  args.buf = buf.data();
  args.len = len;
  args.timeout_ms = timeout_ms;
  int rc = t->recv(ep, &args);
  if (rc != 0) return rc;
  out->clear();
  if (args.segment_count == 0) {
    out->assign(buf.data(), args.received);
  } else {
    for (uint32_t i = 0; i < args.segment_count; ++i) {
      out->append(static_cast<const char*>(args.segments[i].iov_base),
                  args.segments[i].iov_len);
    }
    EXPECT_EQ(out->size(), args.received);
  }
  return 0;
}

TEST(DatagramTransport, DescribesItselfAsADatagramTransport) {
  const cs_transport* t = DatagramTransport();
  ASSERT_NE(t, nullptr);
  EXPECT_NE(t->capabilities & CS_CAP_DATAGRAM, 0u);
  EXPECT_NE(t->capabilities & CS_CAP_BATCHING, 0u);
  EXPECT_GE(t->abi_minor, 3u);
}

// A batch of messages of two fields each: one datagram per message, in
// order, each of exactly the message's bytes, the fields joined.
TEST(DatagramTransport, OneDatagramPerMessageOfABatch) {
  const cs_transport* t = DatagramTransport();
  UdpPair pair;
  OwnedEndpoint tx(t), rx(t);
  ASSERT_EQ(tx.Open(DatagramConfig(pair.a, CS_ROLE_SENDER, 1472, 16)), 0)
      << tx.err;
  ASSERT_EQ(rx.Open(DatagramConfig(pair.b, CS_ROLE_RECEIVER, 1472, 16)), 0)
      << rx.err;
  constexpr int kMessages = 12;
  std::vector<std::string> heads(kMessages), tails(kMessages);
  std::vector<iovec> iov(2 * kMessages);
  std::vector<cs_message> msgs(kMessages);
  for (int i = 0; i < kMessages; ++i) {
    heads[i] = "message " + std::to_string(i) + ":";
    tails[i] = std::string(1000, static_cast<char>('a' + i));
    iov[2 * i] = {heads[i].data(), heads[i].size()};
    iov[2 * i + 1] = {tails[i].data(), tails[i].size()};
    msgs[i] = {&iov[2 * i], 2, 0, static_cast<uint64_t>(i)};
  }
  ASSERT_EQ(t->send(tx.ep, msgs.data(), kMessages), 0) << tx.LastError();
  for (int i = 0; i < kMessages; ++i) {
    std::string got;
    ASSERT_EQ(RecvDatagram(t, rx.ep, 1472, &got, 5000), 0) << rx.LastError();
    EXPECT_EQ(got, heads[i] + tails[i]) << i;
  }
  EXPECT_EQ(tx.Counter("datagrams_sent"), static_cast<uint64_t>(kMessages));
  EXPECT_EQ(rx.Counter("datagrams_received"), static_cast<uint64_t>(kMessages));
  EXPECT_LT(tx.Counter("send_calls"), static_cast<uint64_t>(kMessages));
}

// With nothing sent a bounded recv() times out and the endpoint stays
// usable; a shutdown ends a blocked recv() with -EPIPE.
TEST(DatagramTransport, TimeoutThenDatagramThenShutdown) {
  const cs_transport* t = DatagramTransport();
  UdpPair pair;
  OwnedEndpoint tx(t), rx(t);
  ASSERT_EQ(tx.Open(DatagramConfig(pair.a, CS_ROLE_SENDER, 64, 4)), 0);
  ASSERT_EQ(rx.Open(DatagramConfig(pair.b, CS_ROLE_RECEIVER, 64, 4)), 0);
  std::string got;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(RecvDatagram(t, rx.ep, 64, &got, 50), -ETIMEDOUT);
  EXPECT_GE(std::chrono::steady_clock::now() - t0,
            std::chrono::milliseconds(45));
  char word[] = "after the timeout";
  iovec iov = {word, sizeof(word)};
  cs_message m = {&iov, 1, 0, 1};
  ASSERT_EQ(t->send(tx.ep, &m, 1), 0) << tx.LastError();
  ASSERT_EQ(RecvDatagram(t, rx.ep, 64, &got, 5000), 0) << rx.LastError();
  EXPECT_EQ(got, std::string(word, sizeof(word)));
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    shutdown(pair.b, SHUT_RDWR);
  });
  EXPECT_EQ(RecvDatagram(t, rx.ep, 64, &got), -EPIPE);
  stopper.join();
  EXPECT_NE(rx.LastError(), "");
}

// A datagram longer than the host's buffer is -EMSGSIZE, not a cut one.
TEST(DatagramTransport, ALongerDatagramIsAnError) {
  const cs_transport* t = DatagramTransport();
  UdpPair pair;
  OwnedEndpoint rx(t);
  ASSERT_EQ(rx.Open(DatagramConfig(pair.b, CS_ROLE_RECEIVER, 100, 1)), 0);
  std::string big(100, 'x');
  ASSERT_EQ(send(pair.a, big.data(), big.size(), 0), 100);
  std::string got;
  EXPECT_EQ(RecvDatagram(t, rx.ep, 64, &got, 5000), -EMSGSIZE);
}

// Stream sockets are refused: the host of 1.2 would offer one.
TEST(DatagramTransport, RefusesAStreamSocket) {
  const cs_transport* t = DatagramTransport();
  TcpPair tcp;
  ASSERT_TRUE(tcp.Connect(0));
  OwnedEndpoint ep(t);
  cs_endpoint_config c = Config(tcp.a, CS_ROLE_SENDER, 64);
  EXPECT_EQ(ep.Open(c), -EPROTOTYPE);
  EXPECT_NE(std::string(ep.err).find("datagram socket"), std::string::npos)
      << ep.err;
}

}  // namespace copyscope::transports::unit

#endif  // COPYSCOPE_TRANSPORTS_COMMON_DATAGRAM_TRANSPORT_TESTS_H_
