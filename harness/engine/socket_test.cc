#include "harness/engine/socket.h"

#include <sys/socket.h>
#include <sys/stat.h>
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

using config::Family;

// One byte each way over a connected pair of `family` at `address`.
void RoundTrip(Family family, const std::string& address) {
  CancelSignal cancel;
  absl::StatusOr<Listener> l = ListenStream(family, address);
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_NE(l->port, 0);
  absl::StatusOr<UniqueFd> client =
      ConnectStream(family, address, l->port, cancel, absl::Seconds(10));
  ASSERT_TRUE(client.ok()) << client.status();
  absl::StatusOr<UniqueFd> server =
      AcceptTcp(l->fd.get(), cancel, absl::Seconds(10));
  ASSERT_TRUE(server.ok()) << server.status();
  int domain = -1;
  socklen_t len = sizeof(domain);
  ASSERT_EQ(getsockopt(client->get(), SOL_SOCKET, SO_DOMAIN, &domain, &len), 0);
  EXPECT_EQ(domain, family == Family::kUnix    ? AF_UNIX
                    : family == Family::kInet6 ? AF_INET6
                                               : AF_INET);
  ASSERT_EQ(write(server->get(), "hi", 2), 2);
  char buf[2];
  ASSERT_EQ(read(client->get(), buf, 2), 2);  // blocking socket
  EXPECT_EQ(std::string(buf, 2), "hi");
  ASSERT_EQ(write(client->get(), "!", 1), 1);
  ASSERT_EQ(read(server->get(), buf, 1), 1);
  EXPECT_EQ(buf[0], '!');
}

TEST(SocketFamilyTest, InetListensAndConnects) {
  RoundTrip(Family::kInet, "127.0.0.1");
}

TEST(SocketFamilyTest, Inet6ListensAndConnectsOnLoopback) {
  UniqueFd probe(socket(AF_INET6, SOCK_STREAM, 0));
  if (!probe.valid()) GTEST_SKIP() << "IPv6 is not available here";
  RoundTrip(Family::kInet6, "::1");
}

TEST(SocketFamilyTest, Inet6RejectsAnIpv4Address) {
  EXPECT_EQ(ListenStream(Family::kInet6, "127.0.0.1").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SocketFamilyTest, UnixListensConnectsAndCleansUp) {
  absl::StatusOr<std::string> dir = MakeUnixSocketDir();
  ASSERT_TRUE(dir.ok()) << dir.status();
  struct stat st;
  ASSERT_EQ(stat(dir->c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  RoundTrip(Family::kUnix, *dir);
  {
    absl::StatusOr<Listener> a = ListenStream(Family::kUnix, *dir);
    ASSERT_TRUE(a.ok()) << a.status();
    absl::StatusOr<Listener> b = ListenStream(Family::kUnix, *dir);
    ASSERT_TRUE(b.ok()) << b.status();
    EXPECT_NE(a->port, b->port);  // the next free name
    EXPECT_EQ(access(a->path.path().c_str(), F_OK), 0);
  }  // closed: their files are gone
  EXPECT_EQ(rmdir(dir->c_str()), 0) << "socket files left in " << *dir;
  ASSERT_EQ(mkdir(dir->c_str(), 0700), 0);
  absl::StatusOr<Listener> left = ListenStream(Family::kUnix, *dir);
  ASSERT_TRUE(left.ok());
  left->fd.reset();
  const std::string path = left->path.release();  // the file stays
  EXPECT_EQ(access(path.c_str(), F_OK), 0);
  RemoveUnixSocketDir(*dir);
  EXPECT_NE(access(dir->c_str(), F_OK), 0);
}

TEST(SocketFamilyTest, UnixConnectToNothingFails) {
  absl::StatusOr<std::string> dir = MakeUnixSocketDir();
  ASSERT_TRUE(dir.ok()) << dir.status();
  CancelSignal cancel;
  absl::StatusOr<UniqueFd> c =
      ConnectStream(Family::kUnix, *dir, 7, cancel, absl::Seconds(1));
  EXPECT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find(*dir + "/7"), std::string::npos)
      << c.status();
  RemoveUnixSocketDir(*dir);
}

TEST(SocketFamilyTest, UnixRejectsARelativeOrLongPath) {
  EXPECT_EQ(ListenStream(Family::kUnix, "relative").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      ListenStream(Family::kUnix, "/" + std::string(200, 'x')).status().code(),
      absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace copyscope::engine
