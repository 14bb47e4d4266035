// Unit tests for transports whose send() only submits (CS_CAP_ASYNC_RELEASE
// with asynchronous submission, e.g. io_uring): buffers come back through
// reap(), and a peer that stops reading surfaces as a timeout in a later
// send() rather than in the one that submitted. Including it includes
// socket_transport_tests.h too, two of whose tests expect send() itself to
// block and short writes to be seen; in_tree_transport(send_only_submits =
// True) links this library and filters those two out:
//
//   #include "transports/common/async_transport_tests.h"
//   TEST_F(UringSend, SomethingSpecific) { ... }
#ifndef COPYSCOPE_TRANSPORTS_COMMON_ASYNC_TRANSPORT_TESTS_H_
#define COPYSCOPE_TRANSPORTS_COMMON_ASYNC_TRANSPORT_TESTS_H_

#include <errno.h>
#include <sys/socket.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "plugins/copyscope_transport.h"
#include "transports/common/socket_transport_tests.h"
#include "transports/common/test_util.h"

namespace copyscope::transports::unit {

// The smallest receive buffer the tests use. Zero-copy sends over loopback
// crawl (the sender waits on probe timers) when the receiver's window is
// smaller than one zero-copy segment, as it is with 8 KiB buffers.
constexpr int kSmallReceiveBuffer = 16384;

TEST(AsyncTransport, BatchesKeepOrderThroughSmallNonBlockingBuffers) {
  for (bool non_blocking : {false, true}) {
    SCOPED_TRACE(non_blocking ? "non-blocking" : "blocking");
    TcpPair pair;
    ASSERT_TRUE(pair.Connect(4096, kSmallReceiveBuffer));
    if (non_blocking) {
      ASSERT_TRUE(SetNonBlocking(pair.a));
      ASSERT_TRUE(SetNonBlocking(pair.b));
    }
    const cs_transport* t = Transport();
    OwnedEndpoint sender(t);
    ASSERT_EQ(sender.Open(Config(pair.a, CS_ROLE_SENDER, 20000)), 0)
        << sender.err;
    StreamBatches(t, &sender, pair.a, pair.b, 20000, 8, 120, 16);
  }
}

TEST(AsyncTransport, BufferIsHeldUntilTheKernelIsDone) {
  const cs_transport* t = Transport();
  const size_t len = 1 << 20;  // far more than both socket buffers hold
  TcpPair pair;
  OwnedEndpoint sender(t), receiver(t);
  ASSERT_NO_FATAL_FAILURE(ConnectSenderReceiver(&pair, &sender, &receiver, len,
                                                4096, kSmallReceiveBuffer));
  std::vector<char> data = Pattern(len, 9), got(len);
  iovec iov = {data.data(), len};
  cs_message msg = {&iov, 1, 0, 42};
  ASSERT_EQ(t->send(sender.ep, &msg, 1), 0) << sender.LastError();
  uint64_t tag = 0;
  EXPECT_EQ(t->reap(sender.ep, &tag, 1, 0), 0);  // the kernel still needs it
  ASSERT_EQ(receiver.Recv(got.data(), len), 0) << receiver.LastError();
  EXPECT_TRUE(got == data);
  ASSERT_EQ(t->reap(sender.ep, &tag, 1, -1), 1) << sender.LastError();
  EXPECT_EQ(tag, 42u);
}

TEST(AsyncTransport, StalledPeerTimesOutInTheNextSend) {
  for (bool non_blocking : {false, true}) {
    SCOPED_TRACE(non_blocking ? "non-blocking" : "blocking");
    TcpPair pair;
    ASSERT_TRUE(pair.Connect(4096, 4096));
    if (non_blocking) {
      ASSERT_TRUE(SetNonBlocking(pair.a));
    }
    const cs_transport* t = Transport();
    const size_t len = 1 << 20;  // far more than both socket buffers hold
    OwnedEndpoint sender(t);
    ASSERT_EQ(sender.Open(Config(pair.a, CS_ROLE_SENDER, len, 50)), 0);
    std::vector<char> data(len, 'x');
    iovec iov = {data.data(), len};
    cs_message msg = {&iov, 1, 0, 1};
    ASSERT_EQ(t->send(sender.ep, &msg, 1), 0) << sender.LastError();
    uint64_t tag = 0;
    EXPECT_EQ(t->reap(sender.ep, &tag, 1, -1), 0);  // io_timeout_ms passed
    msg.tag = 2;
    EXPECT_EQ(t->send(sender.ep, &msg, 1), -ETIMEDOUT);
    EXPECT_NE(sender.LastError().find("io_timeout_ms=50"), std::string::npos)
        << sender.LastError();
    // The endpoint is broken now: the next send reports the same error.
    EXPECT_EQ(t->send(sender.ep, &msg, 1), -ETIMEDOUT);
    sender.Close();  // cancels the stalled send; returns within its bound
  }
}

}  // namespace copyscope::transports::unit

#endif  // COPYSCOPE_TRANSPORTS_COMMON_ASYNC_TRANSPORT_TESTS_H_
