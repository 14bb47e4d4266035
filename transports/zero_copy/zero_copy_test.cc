// Unit tests of zero_copy, calling copyscope_transport_entry directly.
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "transports/common/socket_transport_tests.h"

namespace copyscope::transports::unit {
namespace {

class ZeroCopy : public ::testing::Test {
 protected:
  void SetUp() override {
    char why[256];
    if (Transport()->probe(why, sizeof(why)) != 0) GTEST_SKIP() << why;
  }
};

// Sends `count` messages of `len` bytes (8 fields) while a thread receives
// and checks them; reaps every tag and checks each came back once.
void StreamAndReap(const cs_transport* t, OwnedEndpoint* sender, int recv_fd,
                   size_t len, int count) {
  OwnedEndpoint receiver(t);
  ASSERT_EQ(receiver.Open(Config(recv_fd, CS_ROLE_RECEIVER, len)), 0);
  std::vector<std::vector<char>> data;
  for (int i = 0; i < count; ++i) data.push_back(Pattern(len, 100 + i));
  int recv_failures = 0;
  std::thread reader([&] {
    std::vector<char> got(len);
    for (int i = 0; i < count; ++i) {
      if (receiver.Recv(got.data(), len) != 0 || got != data[i]) {
        ++recv_failures;
        return;
      }
    }
  });
  std::multiset<uint64_t> reaped;
  uint64_t tags[8];
  for (int i = 0; i < count; ++i) {
    std::vector<iovec> iov = Split(data[i], 8);
    cs_message msg = {iov.data(), static_cast<uint32_t>(iov.size()), 0,
                      1000u + i};
    int rc = t->send(sender->ep, &msg, 1);
    ASSERT_EQ(rc, 0) << sender->LastError();
    int n = t->reap(sender->ep, tags, 8, 0);
    ASSERT_GE(n, 0) << sender->LastError();
    reaped.insert(tags, tags + n);
  }
  while (reaped.size() < static_cast<size_t>(count)) {
    int n = t->reap(sender->ep, tags, 8, -1);
    ASSERT_GT(n, 0) << "completions missing: " << sender->LastError();
    reaped.insert(tags, tags + n);
  }
  reader.join();
  EXPECT_EQ(recv_failures, 0);
  for (int i = 0; i < count; ++i) EXPECT_EQ(reaped.count(1000u + i), 1u) << i;
  EXPECT_EQ(t->reap(sender->ep, tags, 8, -1), 0);  // nothing left
}

TEST_F(ZeroCopy, DescribesItself) {
  const cs_transport* t = Transport();
  EXPECT_STREQ(t->name, "zero_copy");
  EXPECT_EQ(t->capabilities, CS_CAP_SCATTER_GATHER | CS_CAP_ASYNC_RELEASE |
                                 CS_CAP_ZERO_COPY_SEND | CS_CAP_RECV);
  ASSERT_EQ(t->option_count, 1u);
  EXPECT_STREQ(t->options[0].key, "min_size");
}

TEST_F(ZeroCopy, CompletionsAccountForEverySendCall) {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0));
  const cs_transport* t = Transport();
  OwnedEndpoint sender(t);
  ASSERT_EQ(sender.Open(Config(pair.a, CS_ROLE_SENDER, 65536)), 0)
      << sender.err;
  StreamAndReap(t, &sender, pair.b, 65536, 48);
  uint64_t calls = sender.Counter("send_calls");
  EXPECT_GE(calls, 48u);
  EXPECT_EQ(sender.Counter("plain_sends"), 0u);
  // Every MSG_ZEROCOPY call completed; the kernel may have copied some or
  // all of them (over loopback it copies), never more than completed.
  EXPECT_EQ(sender.Counter("zerocopy_completions"), calls);
  EXPECT_LE(sender.Counter("zerocopy_copied"),
            sender.Counter("zerocopy_completions"));
}

TEST_F(ZeroCopy, NonBlockingSmallBuffersStillAccountForEveryCall) {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(4096, 16384));
  ASSERT_TRUE(SetNonBlocking(pair.a));
  ASSERT_TRUE(SetNonBlocking(pair.b));
  const cs_transport* t = Transport();
  OwnedEndpoint sender(t);
  ASSERT_EQ(sender.Open(Config(pair.a, CS_ROLE_SENDER, 262144)), 0);
  StreamAndReap(t, &sender, pair.b, 262144, 8);
  EXPECT_GE(sender.Counter("short_writes"), 1u);
  EXPECT_EQ(sender.Counter("zerocopy_completions"),
            sender.Counter("send_calls"));
}

TEST_F(ZeroCopy, MinSizeSendsSmallMessagesWithoutZeroCopy) {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0));
  const cs_transport* t = Transport();
  cs_option opt = {"min_size", "4K"};
  cs_endpoint_config config = Config(pair.a, CS_ROLE_SENDER, 8192);
  config.options = &opt;
  config.option_count = 1;
  OwnedEndpoint sender(t);
  ASSERT_EQ(sender.Open(config), 0) << sender.err;
  StreamAndReap(t, &sender, pair.b, 100, 10);  // below min_size
  EXPECT_EQ(sender.Counter("plain_sends"), sender.Counter("send_calls"));
  EXPECT_EQ(sender.Counter("zerocopy_completions"), 0u);
  StreamAndReap(t, &sender, pair.b, 8192, 4);  // above
  EXPECT_EQ(sender.Counter("zerocopy_completions"),
            sender.Counter("send_calls") - sender.Counter("plain_sends"));
}

TEST_F(ZeroCopy, RejectsABadMinSize) {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0));
  cs_option opt = {"min_size", "ten"};
  cs_endpoint_config config = Config(pair.a, CS_ROLE_SENDER, 64);
  config.options = &opt;
  config.option_count = 1;
  OwnedEndpoint sender(Transport());
  EXPECT_EQ(sender.Open(config), -EINVAL);
  EXPECT_NE(std::string(sender.err).find("min_size='ten'"), std::string::npos)
      << sender.err;
  cs_option unknown = {"batch", "3"};
  config.options = &unknown;
  EXPECT_EQ(sender.Open(config), -EINVAL);
  EXPECT_STREQ(sender.err, "unknown option 'batch' (known: min_size)");
}

TEST_F(ZeroCopy, RefusesAUnixSocketWithAClearMessage) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  OwnedEndpoint sender(Transport());
  EXPECT_LT(sender.Open(Config(sv[0], CS_ROLE_SENDER, 64)), 0);
  EXPECT_NE(std::string(sender.err).find("SO_ZEROCOPY"), std::string::npos)
      << sender.err;
  close(sv[0]);
  close(sv[1]);
}

// The kernel numbers MSG_ZEROCOPY calls per socket, not per endpoint: a
// second endpoint on the same socket continues the count, and two sending
// endpoints at once are refused.
TEST_F(ZeroCopy, EndpointsOnOneSocketShareTheCallNumbering) {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0));
  const cs_transport* t = Transport();
  OwnedEndpoint first(t), second(t);
  ASSERT_EQ(first.Open(Config(pair.a, CS_ROLE_SENDER, 32768)), 0);
  EXPECT_EQ(second.Open(Config(pair.a, CS_ROLE_SENDER, 32768)), -EBUSY);
  EXPECT_NE(std::string(second.err).find("already"), std::string::npos);
  StreamAndReap(t, &first, pair.b, 32768, 5);
  first.Close();
  ASSERT_EQ(second.Open(Config(pair.a, CS_ROLE_SENDER, 32768)), 0)
      << second.err;
  StreamAndReap(t, &second, pair.b, 32768, 5);
  EXPECT_EQ(second.Counter("zerocopy_completions"),
            second.Counter("send_calls"));
}

TEST_F(ZeroCopy, ReapWithNothingPendingReturnsZero) {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0));
  const cs_transport* t = Transport();
  OwnedEndpoint sender(t);
  ASSERT_EQ(sender.Open(Config(pair.a, CS_ROLE_SENDER, 64)), 0);
  uint64_t tag;
  EXPECT_EQ(t->reap(sender.ep, &tag, 1, -1), 0);
  EXPECT_EQ(t->reap(sender.ep, &tag, 0, -1), 0);
  EXPECT_EQ(t->reap(sender.ep, nullptr, 1, 0), -EINVAL);
}

}  // namespace
}  // namespace copyscope::transports::unit
