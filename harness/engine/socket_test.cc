#include "harness/engine/socket.h"

#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "gtest/gtest.h"

namespace copyscope::engine {
namespace {

TEST(SocketTest, ListenConnectAcceptOnAnEphemeralPort) {
  CancelSignal cancel;
  absl::StatusOr<Listener> l = ListenTcp("127.0.0.1");
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_NE(l->port, 0);
  absl::StatusOr<UniqueFd> client =
      ConnectTcp("127.0.0.1", l->port, cancel, absl::Seconds(10));
  ASSERT_TRUE(client.ok()) << client.status();
  absl::StatusOr<UniqueFd> server =
      AcceptTcp(l->fd.get(), cancel, absl::Seconds(10));
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_EQ(write(server->get(), "hi", 2), 2);
  char buf[2];
  ASSERT_EQ(read(client->get(), buf, 2), 2);  // blocking socket
  EXPECT_EQ(std::string(buf, 2), "hi");
}

TEST(SocketTest, AcceptTimesOut) {
  CancelSignal cancel;
  absl::StatusOr<Listener> l = ListenTcp("127.0.0.1");
  ASSERT_TRUE(l.ok());
  absl::StatusOr<UniqueFd> s =
      AcceptTcp(l->fd.get(), cancel, absl::Milliseconds(20));
  EXPECT_EQ(s.status().code(), absl::StatusCode::kDeadlineExceeded);
}

TEST(SocketTest, CancelWakesAWaitingAccept) {
  CancelSignal cancel;
  absl::StatusOr<Listener> l = ListenTcp("127.0.0.1");
  ASSERT_TRUE(l.ok());
  absl::Status result;
  std::thread waiter([&] {
    result = AcceptTcp(l->fd.get(), cancel, absl::Hours(1)).status();
  });
  cancel.Cancel();
  waiter.join();
  EXPECT_EQ(result.code(), absl::StatusCode::kCancelled);
  EXPECT_TRUE(cancel.cancelled());
}

TEST(SocketTest, ConnectionRefusedIsAnError) {
  CancelSignal cancel;
  uint16_t port;
  {
    absl::StatusOr<Listener> l = ListenTcp("127.0.0.1");
    ASSERT_TRUE(l.ok());
    port = l->port;
  }  // closed: nothing listens there now
  absl::StatusOr<UniqueFd> c =
      ConnectTcp("127.0.0.1", port, cancel, absl::Seconds(10));
  EXPECT_FALSE(c.ok());
}

TEST(SocketTest, BadAddress) {
  EXPECT_EQ(ListenTcp("not-an-ip").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace copyscope::engine
