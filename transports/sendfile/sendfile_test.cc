// Unit tests of sendfile over loopback TCP pairs, calling
// copyscope_transport_entry directly.
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <thread>
#include <vector>

#include "transports/common/socket_transport_tests.h"

namespace copyscope::transports::unit {
namespace {

TEST(Sendfile, DescribesItself) {
  ExpectDescriptor("sendfile", CS_CAP_RECV, {});
}

// sendfile() hands the memfd's pages to the socket by reference. Messages
// queued in the socket must keep their bytes while later messages are
// written: each message is written on fresh pages.
TEST(Sendfile, QueuedMessagesKeepTheirBytesWhileLaterOnesAreWritten) {
  const size_t len = 60000;
  const int count = 6;
  TcpPair pair;
  OwnedEndpoint sender(Transport()), receiver(Transport());
  ASSERT_NO_FATAL_FAILURE(
      ConnectSenderReceiver(&pair, &sender, &receiver, len, 0, 1 << 20));
  ExpectQueuedMessagesKeepTheirBytes(sender, receiver, len, count,
                                     /*fields=*/3, /*seed=*/20);
  EXPECT_EQ(sender.Counter("copied_bytes"), len * count);
  EXPECT_EQ(sender.Counter("hole_punches"), count - 1u);
}

TEST(Sendfile, RefusesMessagesAboveMaxMessageSizeAndStaysUsable) {
  ExpectRefusesMessagesAboveMaxMessageSize();
}

TEST(Sendfile, SenderNeedsAMaxMessageSize) {
  ExpectSenderNeedsAMaxMessageSize();
}

TEST(Sendfile, WorksOnAUnixSocketPair) { RoundTripOnUnixPair(300000, 5, 11); }

}  // namespace
}  // namespace copyscope::transports::unit
