// Unit tests of two_copy, calling copyscope_transport_entry directly.
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <thread>
#include <vector>

#include "transports/common/socket_transport_tests.h"

namespace copyscope::transports::unit {
namespace {

TEST(TwoCopy, DescribesItself) {
  const cs_transport* t = Transport();
  EXPECT_STREQ(t->name, "two_copy");
  EXPECT_EQ(t->capabilities, CS_CAP_RECV);
  EXPECT_EQ(t->option_count, 0u);
}

TEST(TwoCopy, RefusesMessagesAboveMaxMessageSizeAndStaysUsable) {
  ExpectRefusesMessagesAboveMaxMessageSize();
}

TEST(TwoCopy, SenderNeedsAMaxMessageSize) {
  ExpectSenderNeedsAMaxMessageSize();
}

TEST(TwoCopy, GathersSeveralFieldsButSendsASingleFieldAsItIs) {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0));
  const cs_transport* t = Transport();
  OwnedEndpoint sender(t), receiver(t);
  ASSERT_EQ(sender.Open(Config(pair.a, CS_ROLE_SENDER, 4096)), 0);
  ASSERT_EQ(receiver.Open(Config(pair.b, CS_ROLE_RECEIVER, 4096)), 0);
  std::vector<char> data = Pattern(4096, 7);
  std::vector<iovec> one = Split(data, 1);
  std::vector<iovec> four = Split(data, 4);
  cs_message single = {one.data(), 1, 0, 0};
  cs_message several = {four.data(), 4, 0, 1};
  std::vector<char> got(4096);
  for (const cs_message* m : {&single, &several, &single}) {
    ASSERT_EQ(t->send(sender.ep, m, 1), 0) << sender.LastError();
    ASSERT_EQ(receiver.Recv(got.data(), got.size()), 0) << receiver.LastError();
    EXPECT_EQ(got, data);
  }
  EXPECT_EQ(sender.Counter("single_field_sends"), 2u);
}

TEST(TwoCopy, WorksOnAUnixSocketPair) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  RoundTrip(sv[0], sv[1], 300000, 5, 11);
  close(sv[0]);
  close(sv[1]);
}

}  // namespace
}  // namespace copyscope::transports::unit
