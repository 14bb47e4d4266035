// Unit tests of discard_recv, calling copyscope_transport_entry directly.
// The shared tests (socket_transport_tests.h) expect its receive buffer
// untouched where they compare the bytes of other transports.
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "transports/common/socket_transport_tests.h"

namespace copyscope::transports::unit {
namespace {

TEST(DiscardRecv, DescribesItself) {
  ExpectDescriptor("discard_recv", CS_CAP_RECV | CS_CAP_RECV_DISCARDS, {});
}

TEST(DiscardRecv, RefusesMessagesAboveMaxMessageSizeAndStaysUsable) {
  ExpectRefusesMessagesAboveMaxMessageSize();
}

TEST(DiscardRecv, SenderNeedsAMaxMessageSize) {
  ExpectSenderNeedsAMaxMessageSize();
}

// recv() takes exactly one message off the stream and writes nothing: the
// buffer stays as it was, and the next message, read with a plain recv(),
// starts at its first byte.
TEST(DiscardRecv, DropsExactlyOneMessageWithoutWritingTheBuffer) {
  const cs_transport* t = Transport();
  TcpPair pair;
  OwnedEndpoint sender(t), receiver(t);
  const size_t len = 65536 + 3;
  ASSERT_NO_FATAL_FAILURE(
      ConnectSenderReceiver(&pair, &sender, &receiver, len));
  std::vector<char> first = Pattern(len, 1), second = Pattern(len, 2);
  std::vector<iovec> a = Split(first, 4), b = Split(second, 1);
  cs_message msgs[2] = {{a.data(), 4, 0, 0}, {b.data(), 1, 0, 1}};
  ASSERT_EQ(t->send(sender.ep, msgs, 2), 0) << sender.LastError();
  std::vector<char> got(len, 0x5A);
  ASSERT_EQ(receiver.Recv(got.data(), len), 0) << receiver.LastError();
  EXPECT_EQ(got, std::vector<char>(len, 0x5A)) << "the buffer was written";
  EXPECT_EQ(receiver.Counter("discarded_bytes"), len);
  std::vector<char> next(len);
  size_t at = 0;
  while (at < len) {
    ssize_t n = recv(pair.b, next.data() + at, len - at, 0);
    ASSERT_GT(n, 0);
    at += static_cast<size_t>(n);
  }
  EXPECT_TRUE(next == second) << "the discard took more or less than a message";
  EXPECT_EQ(sender.Counter("single_field_sends"), 1u);
}

// On a Unix stream socket MSG_TRUNC would not discard (the kernel copies),
// so the receiver refuses it rather than measure a copy as a discard.
TEST(DiscardRecv, RefusesToReceiveOnAUnixSocket) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  OwnedEndpoint receiver(Transport()), sender(Transport());
  EXPECT_EQ(receiver.Open(Config(sv[1], CS_ROLE_RECEIVER, 64)),
            -EPROTONOSUPPORT);
  EXPECT_NE(std::string(receiver.err).find("only on a TCP socket"),
            std::string::npos)
      << receiver.err;
  EXPECT_EQ(sender.Open(Config(sv[0], CS_ROLE_SENDER, 64)), 0) << sender.err;
  close(sv[0]);
  close(sv[1]);
}

}  // namespace
}  // namespace copyscope::transports::unit
