// Unit tests of udp: the tests both datagram transports pass
// (transports/common/datagram_transport_tests.h), and udp's own.
#include "transports/common/datagram_transport_tests.h"

namespace copyscope::transports::unit {
namespace {

TEST(Udp, DescribesItself) {
  const cs_transport* t = DatagramTransport();
  EXPECT_STREQ(t->name, "udp");
  ASSERT_EQ(t->option_count, 3u);
  EXPECT_STREQ(t->options[0].key, "recv_batch");
}

// A batch of 44 datagrams of 1472 bytes (64 KiB) is one sendmmsg call,
// and one recvmmsg reads as many as are queued, up to recv_batch.
TEST(Udp, ABatchIsOneSendmmsg) {
  const cs_transport* t = DatagramTransport();
  UdpPair pair;
  OwnedEndpoint tx(t), rx(t);
  ASSERT_EQ(tx.Open(DatagramConfig(pair.a, CS_ROLE_SENDER, 1472, 44)), 0);
  cs_option batch = {"recv_batch", "64"};
  cs_endpoint_config rc = DatagramConfig(pair.b, CS_ROLE_RECEIVER, 1472, 1);
  rc.options = &batch;
  rc.option_count = 1;
  ASSERT_EQ(rx.Open(rc), 0) << rx.err;
  std::vector<char> data(1472 * 44, 'u');
  std::vector<iovec> iov(44);
  std::vector<cs_message> msgs(44);
  for (int i = 0; i < 44; ++i) {
    iov[i] = {data.data() + 1472 * i, 1472};
    msgs[i] = {&iov[i], 1, 0, static_cast<uint64_t>(i)};
  }
  ASSERT_EQ(t->send(tx.ep, msgs.data(), 44), 0) << tx.LastError();
  EXPECT_EQ(tx.Counter("send_calls"), 1u);
  for (int i = 0; i < 44; ++i) {
    std::string got;
    ASSERT_EQ(RecvDatagram(t, rx.ep, 1472, &got, 5000), 0) << rx.LastError();
    EXPECT_EQ(got.size(), 1472u);
  }
  EXPECT_EQ(rx.Counter("recv_calls"), 1u);
}

}  // namespace
}  // namespace copyscope::transports::unit
