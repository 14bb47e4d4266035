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
  ExpectDescriptor("two_copy", CS_CAP_RECV, {});
}

TEST(TwoCopy, RefusesMessagesAboveMaxMessageSizeAndStaysUsable) {
  ExpectRefusesMessagesAboveMaxMessageSize();
}

TEST(TwoCopy, SenderNeedsAMaxMessageSize) {
  ExpectSenderNeedsAMaxMessageSize();
}

TEST(TwoCopy, GathersSeveralFieldsButSendsASingleFieldAsItIs) {
  const cs_transport* t = Transport();
  TcpPair pair;
  OwnedEndpoint sender(t), receiver(t);
  ASSERT_NO_FATAL_FAILURE(
      ConnectSenderReceiver(&pair, &sender, &receiver, 4096));
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

TEST(TwoCopy, WorksOnAUnixSocketPair) { RoundTripOnUnixPair(300000, 5, 11); }

}  // namespace
}  // namespace copyscope::transports::unit
