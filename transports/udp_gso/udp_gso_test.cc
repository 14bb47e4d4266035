// Unit tests of udp_gso: the tests both datagram transports pass
// (transports/common/datagram_transport_tests.h), and its own: a batch
// leaves as one UDP_SEGMENT sendmsg, and on loopback the receiver gets it
// back as one GRO buffer it splits into the datagrams.
#include "transports/common/datagram_transport_tests.h"

namespace copyscope::transports::unit {
namespace {

TEST(UdpGso, DescribesItself) {
  const cs_transport* t = DatagramTransport();
  EXPECT_STREQ(t->name, "udp_gso");
  char why[128];
  EXPECT_EQ(t->probe(why, sizeof(why)), 0) << why;
}

TEST(UdpGso, ABatchIsOneSegmentedSendAndOneGroBuffer) {
  const cs_transport* t = DatagramTransport();
  UdpPair pair;
  OwnedEndpoint tx(t), rx(t);
  ASSERT_EQ(tx.Open(DatagramConfig(pair.a, CS_ROLE_SENDER, 1472, 64)), 0)
      << tx.err;
  ASSERT_EQ(rx.Open(DatagramConfig(pair.b, CS_ROLE_RECEIVER, 1472, 1)), 0)
      << rx.err;
  // 50 messages: 44 fit in 65507 bytes, then the 6 left in a second call.
  constexpr int kMessages = 50;
  std::vector<std::string> data(kMessages);
  std::vector<iovec> iov(kMessages);
  std::vector<cs_message> msgs(kMessages);
  for (int i = 0; i < kMessages; ++i) {
    data[i] = std::string(1472, static_cast<char>('A' + i % 26));
    iov[i] = {data[i].data(), data[i].size()};
    msgs[i] = {&iov[i], 1, 0, static_cast<uint64_t>(i)};
  }
  ASSERT_EQ(t->send(tx.ep, msgs.data(), kMessages), 0) << tx.LastError();
  EXPECT_EQ(tx.Counter("send_calls"), 2u);
  EXPECT_EQ(tx.Counter("gso_sends"), 2u);
  EXPECT_EQ(tx.Counter("datagrams_sent"), 50u);
  for (int i = 0; i < kMessages; ++i) {
    std::string got;
    ASSERT_EQ(RecvDatagram(t, rx.ep, 1472, &got, 5000), 0) << rx.LastError();
    EXPECT_EQ(got, data[i]) << i;
  }
  // Loopback keeps a GSO packet whole up to a UDP_GRO socket.
  EXPECT_GE(rx.Counter("gro_buffers"), 1u);
  EXPECT_LE(rx.Counter("recv_calls"), 2u);
}

// A message too big for one datagram is refused, not cut.
TEST(UdpGso, AMessageLargerThanADatagramIsRefused) {
  const cs_transport* t = DatagramTransport();
  UdpPair pair;
  OwnedEndpoint tx(t);
  ASSERT_EQ(tx.Open(DatagramConfig(pair.a, CS_ROLE_SENDER, 70000, 4)), 0);
  std::string big(70000, 'b');
  iovec iov = {big.data(), big.size()};
  cs_message m = {&iov, 1, 0, 1};
  EXPECT_EQ(t->send(tx.ep, &m, 1), -EMSGSIZE);
}

}  // namespace
}  // namespace copyscope::transports::unit
