// Unit tests of tcp_zerocopy_recv over loopback TCP pairs, calling
// copyscope_transport_entry directly.
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "transports/common/socket_transport_tests.h"

namespace copyscope::transports::unit {
namespace {

using TcpZerocopyRecv = ProbedTransportTest;

TEST_F(TcpZerocopyRecv, DescribesItself) {
  ExpectDescriptor("tcp_zerocopy_recv",
                   CS_CAP_SCATTER_GATHER | CS_CAP_RECV | CS_CAP_RECV_IN_PLACE,
                   {});
}

// A plain send() over loopback leaves nothing mappable: every byte copied.
TEST_F(TcpZerocopyRecv, PlainSendsOverLoopbackAreCopied) {
  const cs_transport* t = Transport();
  const size_t len = 256 * 1024;
  TcpPair pair;
  OwnedEndpoint sender(t), receiver(t);
  ASSERT_NO_FATAL_FAILURE(
      ConnectSenderReceiver(&pair, &sender, &receiver, len));
  std::vector<char> data = Pattern(len, 1);
  std::thread writer([&] {
    iovec iov = {data.data(), len};
    cs_message msg = {&iov, 1, 0, 0};
    t->send(sender.ep, &msg, 1);
  });
  uint32_t segments = 0;
  int rc = 1;
  std::vector<char> got = RecvMessage(receiver, len, &segments, &rc);
  writer.join();
  ASSERT_EQ(rc, 0) << receiver.LastError();
  EXPECT_TRUE(got == data);
  EXPECT_EQ(receiver.Counter("mapped_bytes") + receiver.Counter("copied_bytes"),
            len);
  if (receiver.Counter("mapped_bytes") == 0) {
    EXPECT_EQ(segments, 0u);  // nothing mapped: all in the host's buffer
  }
}

// A MSG_ZEROCOPY sender over loopback leaves whole order-0 pages (the
// receive path copies the sender's pages into fresh ones): the kernel maps
// them, and the message comes back in mapped and copied pieces.
TEST_F(TcpZerocopyRecv, PageSizedPiecesAreMappedInPlace) {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0, 1 << 20));
  int one = 1;
  ASSERT_EQ(setsockopt(pair.a, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)), 0);
  const size_t len = 256 * 1024;
  OwnedEndpoint receiver(Transport());
  ASSERT_EQ(receiver.Open(Config(pair.b, CS_ROLE_RECEIVER, len)), 0);
  std::vector<std::vector<char>> data = {Pattern(len, 7), Pattern(len, 8)};
  for (auto& d : data) {
    char* page_aligned = static_cast<char*>(aligned_alloc(4096, len));
    memcpy(page_aligned, d.data(), len);
    size_t sent = 0;
    while (sent < len) {
      ssize_t n = send(pair.a, page_aligned + sent, len - sent, MSG_ZEROCOPY);
      ASSERT_GT(n, 0) << strerror(errno);
      sent += n;
    }
    free(page_aligned);  // the loopback receive path copied the pages
  }
  for (int i = 0; i < 2; ++i) {
    uint32_t segments = 0;
    int rc = 1;
    std::vector<char> got = RecvMessage(receiver, len, &segments, &rc);
    ASSERT_EQ(rc, 0) << receiver.LastError();
    EXPECT_TRUE(got == data[i]) << "message " << i;
  }
  EXPECT_EQ(receiver.Counter("mapped_bytes") + receiver.Counter("copied_bytes"),
            2 * len);
  RecordProperty("mapped_bytes",
                 static_cast<int>(receiver.Counter("mapped_bytes")));
  if (receiver.Counter("mapped_bytes") == 0) {
    GTEST_SKIP() << "this kernel mapped no page over loopback";
  }
  EXPECT_EQ(receiver.Counter("mapped_bytes") % 4096, 0u);
}

TEST_F(TcpZerocopyRecv, RefusesAUnixSocketWithAClearMessage) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  OwnedEndpoint receiver(Transport());
  EXPECT_LT(receiver.Open(Config(sv[1], CS_ROLE_RECEIVER, 64)), 0);
  EXPECT_NE(std::string(receiver.err).find("mmap"), std::string::npos)
      << receiver.err;
  close(sv[0]);
  close(sv[1]);
}

}  // namespace
}  // namespace copyscope::transports::unit
