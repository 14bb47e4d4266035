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
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0));
  const cs_transport* t = Transport();
  OwnedEndpoint sender(t), receiver(t);
  ASSERT_EQ(sender.Open(Config(pair.a, CS_ROLE_SENDER, 16)), 0);
  ASSERT_EQ(receiver.Open(Config(pair.b, CS_ROLE_RECEIVER, 16)), 0);
  char big[17] = "0123456789abcdef";
  iovec iov[2] = {{big, 10}, {big + 10, 7}};
  cs_message msg = {iov, 2, 0, 0};
  EXPECT_EQ(t->send(sender.ep, &msg, 1), -EMSGSIZE);
  EXPECT_NE(sender.LastError().find("max_message_size 16"), std::string::npos)
      << sender.LastError();
  iov[1].iov_len = 6;
  ASSERT_EQ(t->send(sender.ep, &msg, 1), 0) << sender.LastError();
  char got[16];
  ASSERT_EQ(receiver.Recv(got, 16), 0) << receiver.LastError();
  EXPECT_EQ(memcmp(got, big, 16), 0);
}

TEST(TwoCopy, SenderNeedsAMaxMessageSize) {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0));
  OwnedEndpoint sender(Transport());
  EXPECT_EQ(sender.Open(Config(pair.a, CS_ROLE_SENDER, 0)), -EINVAL);
  EXPECT_NE(std::string(sender.err).find("max_message_size"),
            std::string::npos);
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
