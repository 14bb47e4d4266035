// Unit tests of uring_recv over loopback TCP pairs, calling
// copyscope_transport_entry directly.
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "transports/common/socket_transport_tests.h"

namespace copyscope::transports::unit {
namespace {

using UringRecv = ProbedTransportTest;

void WriteAll(int fd, const std::vector<char>& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    ASSERT_GT(n, 0);
    done += n;
  }
}

TEST_F(UringRecv, DescribesItself) {
  ExpectDescriptor("uring_recv",
                   CS_CAP_SCATTER_GATHER | CS_CAP_RECV | CS_CAP_RECV_IN_PLACE,
                   {"buf_size", "buf_count", "multishot"});
}

TEST_F(UringRecv, RejectsBadOptions) {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0));
  ExpectRejectsOptions(Config(pair.b, CS_ROLE_RECEIVER, 64),
                       {{{"buf_count", "3"}},
                        {{"buf_count", "1"}},
                        {{"buf_size", "100"}},
                        {{"multishot", "2"}}});
}

// Small messages come back in the provided buffers; one multishot receive
// collects many of them.
TEST_F(UringRecv, SmallMessagesComeBackInPlace) {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0));
  OwnedEndpoint receiver(Transport());
  ASSERT_EQ(receiver.Open(Config(pair.b, CS_ROLE_RECEIVER, 1000)), 0)
      << receiver.err;
  std::vector<std::vector<char>> data;
  for (int i = 0; i < 20; ++i) data.push_back(Pattern(1000, i));
  for (const auto& d : data) WriteAll(pair.a, d);
  for (int i = 0; i < 20; ++i) {
    uint32_t segments = 0;
    int rc = 1;
    std::vector<char> got = RecvMessage(receiver, 1000, &segments, &rc);
    ASSERT_EQ(rc, 0) << receiver.LastError();
    EXPECT_GE(segments, 1u);
    EXPECT_TRUE(got == data[i]) << i;
  }
  EXPECT_EQ(receiver.Counter("in_place_messages"), 20u);
  EXPECT_EQ(receiver.Counter("copied_bytes"), 0u);
  EXPECT_LE(receiver.Counter("recv_calls"),
            receiver.Counter("recv_completions"));
}

TEST_F(UringRecv, LargeMessagesAreCopiedIntoTheHostBuffer) {
  const cs_transport* t = Transport();
  const size_t len = (1 << 20) + 4096;  // > half of 64 buffers of 32 KiB
  TcpPair pair;
  OwnedEndpoint sender(t), receiver(t);
  ASSERT_NO_FATAL_FAILURE(
      ConnectSenderReceiver(&pair, &sender, &receiver, len));
  std::vector<char> data = Pattern(len, 3);
  std::thread writer([&] {
    std::vector<iovec> iov = Split(data, 8);
    cs_message msg = {iov.data(), static_cast<uint32_t>(iov.size()), 0, 0};
    t->send(sender.ep, &msg, 1);
  });
  uint32_t segments = 9;
  int rc = 1;
  std::vector<char> got = RecvMessage(receiver, len, &segments, &rc);
  writer.join();
  ASSERT_EQ(rc, 0) << receiver.LastError();
  EXPECT_EQ(segments, 0u);
  EXPECT_TRUE(got == data);
  EXPECT_EQ(receiver.Counter("copied_bytes"), len);
}

// With two 4 KiB buffers, read-ahead fills both; a message that needs more
// than what is queued then switches to copying, which frees buffers.
TEST_F(UringRecv, BuffersRunningDryFallBackToACopy) {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0));
  std::vector<cs_option> opts = {{"buf_count", "2"}, {"buf_size", "4K"}};
  OwnedEndpoint receiver(Transport());
  ASSERT_EQ(
      receiver.Open(WithOptions(Config(pair.b, CS_ROLE_RECEIVER, 4096), opts)),
      0)
      << receiver.err;
  std::vector<char> a = Pattern(100, 1), b = Pattern(4096, 2),
                    c = Pattern(4096, 3);
  WriteAll(pair.a, a);
  WriteAll(pair.a, b);
  WriteAll(pair.a, c);
  uint32_t segments = 0;
  int rc = 1;
  EXPECT_TRUE(RecvMessage(receiver, 100, &segments, &rc) == a);
  ASSERT_EQ(rc, 0) << receiver.LastError();
  EXPECT_EQ(segments, 1u);
  EXPECT_TRUE(RecvMessage(receiver, 4096, &segments, &rc) == b);
  ASSERT_EQ(rc, 0) << receiver.LastError();
  EXPECT_EQ(segments, 2u);  // the end of buffer 0, the start of buffer 1
  EXPECT_TRUE(RecvMessage(receiver, 4096, &segments, &rc) == c);
  ASSERT_EQ(rc, 0) << receiver.LastError();
  EXPECT_EQ(segments, 0u);  // copied: the buffers had run dry
  EXPECT_GE(receiver.Counter("enobufs"), 1u);
}

TEST_F(UringRecv, SingleShotReadsOnlyTheCurrentMessage) {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0));
  std::vector<cs_option> opts = {{"multishot", "0"}};
  OwnedEndpoint receiver(Transport());
  ASSERT_EQ(
      receiver.Open(WithOptions(Config(pair.b, CS_ROLE_RECEIVER, 3000), opts)),
      0);
  std::vector<char> a = Pattern(3000, 1), b = Pattern(3000, 2);
  WriteAll(pair.a, a);
  WriteAll(pair.a, b);
  uint32_t segments = 0;
  int rc = 1;
  EXPECT_TRUE(RecvMessage(receiver, 3000, &segments, &rc) == a);
  ASSERT_EQ(rc, 0) << receiver.LastError();
  receiver.Close();  // the second message is still in the socket
  std::vector<char> rest(3000);
  ASSERT_EQ(recv(pair.b, rest.data(), rest.size(), MSG_WAITALL), 3000);
  EXPECT_TRUE(rest == b);
}

}  // namespace
}  // namespace copyscope::transports::unit
