// Unit tests of splice over loopback TCP pairs, calling
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

TEST(Splice, DescribesItself) {
  ExpectDescriptor("splice", CS_CAP_RECV, {"pipe_size"});
}

// splice() hands the pipe's pages to the socket by reference. Messages
// queued in the socket must keep their bytes while later ones are staged:
// each chunk is copied onto fresh pages.
TEST(Splice, QueuedMessagesKeepTheirBytesWhileLaterOnesAreStaged) {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0, 1 << 20));
  const cs_transport* t = Transport();
  const size_t len = 60000;
  const int count = 6;
  cs_option pipe_size = {"pipe_size", "16K"};  // several chunks a message
  OwnedEndpoint sender(t), receiver(t);
  ASSERT_EQ(
      sender.Open(WithOptions(Config(pair.a, CS_ROLE_SENDER, len), pipe_size)),
      0)
      << sender.err;
  ASSERT_EQ(receiver.Open(Config(pair.b, CS_ROLE_RECEIVER, len)), 0);
  ExpectQueuedMessagesKeepTheirBytes(sender, receiver, len, count,
                                     /*fields=*/7, /*seed=*/40);
  const uint64_t chunks_per_message = (len + 16383) / 16384;
  EXPECT_EQ(sender.Counter("copied_bytes"), len * count);
  EXPECT_EQ(sender.Counter("vmsplice_calls"), chunks_per_message * count);
  EXPECT_EQ(sender.Counter("pages_dropped"), (len + 4095) / 4096 * count);
}

TEST(Splice, RejectsBadPipeSizes) {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0));
  ExpectRejectsOptions(Config(pair.a, CS_ROLE_SENDER, 64),
                       {{{"pipe_size", "0"}},
                        {{"pipe_size", "x"}},
                        {{"pipe_size", "2G"}},
                        {{"pipe_size", "-4"}}});
}

TEST(Splice, OnePagePipeStillMovesALargeMessage) {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0));
  cs_option o = {"pipe_size", "1"};  // rounded up to one page
  OwnedEndpoint sender(Transport()), receiver(Transport());
  ASSERT_EQ(sender.Open(WithOptions(Config(pair.a, CS_ROLE_SENDER, 100000), o)),
            0)
      << sender.err;
  ASSERT_EQ(receiver.Open(Config(pair.b, CS_ROLE_RECEIVER, 100000)), 0);
  std::vector<char> data = Pattern(100000, 5), got(100000);
  std::thread reader([&] { receiver.Recv(got.data(), got.size()); });
  std::vector<iovec> iov = Split(data, 3);
  cs_message msg = {iov.data(), static_cast<uint32_t>(iov.size()), 0, 0};
  int rc = Transport()->send(sender.ep, &msg, 1);
  if (rc != 0) shutdown(pair.a, SHUT_WR);
  reader.join();
  ASSERT_EQ(rc, 0) << sender.LastError();
  EXPECT_TRUE(got == data);
  EXPECT_EQ(sender.Counter("vmsplice_calls"), (100000 + 4095) / 4096u);
}

TEST(Splice, WorksOnAUnixSocketPair) { RoundTripOnUnixPair(300000, 5, 11); }

}  // namespace
}  // namespace copyscope::transports::unit
