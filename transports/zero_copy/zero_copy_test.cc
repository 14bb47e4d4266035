// Unit tests of zero_copy, calling copyscope_transport_entry directly.
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "transports/common/socket_transport_tests.h"

namespace copyscope::transports::unit {
namespace {

using ZeroCopy = ProbedTransportTest;

TEST_F(ZeroCopy, DescribesItself) {
  ExpectDescriptor("zero_copy",
                   CS_CAP_SCATTER_GATHER | CS_CAP_ASYNC_RELEASE |
                       CS_CAP_ZERO_COPY_SEND | CS_CAP_RECV,
                   {"min_size"});
}

TEST_F(ZeroCopy, CompletionsAccountForEverySendCall) {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0));
  const cs_transport* t = Transport();
  OwnedEndpoint sender(t);
  ASSERT_EQ(sender.Open(Config(pair.a, CS_ROLE_SENDER, 65536)), 0)
      << sender.err;
  StreamBatches(t, &sender, pair.a, pair.b, 65536, 8, 48, 1);
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
  StreamBatches(t, &sender, pair.a, pair.b, 262144, 8, 8, 1);
  EXPECT_GE(sender.Counter("short_writes"), 1u);
  EXPECT_EQ(sender.Counter("zerocopy_completions"),
            sender.Counter("send_calls"));
}

TEST_F(ZeroCopy, MinSizeSendsSmallMessagesWithoutZeroCopy) {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0));
  const cs_transport* t = Transport();
  cs_option opt = {"min_size", "4K"};
  OwnedEndpoint sender(t);
  ASSERT_EQ(sender.Open(WithOptions(Config(pair.a, CS_ROLE_SENDER, 8192), opt)),
            0)
      << sender.err;
  StreamBatches(t, &sender, pair.a, pair.b, 100, 8, 10, 1);  // below min_size
  EXPECT_EQ(sender.Counter("plain_sends"), sender.Counter("send_calls"));
  EXPECT_EQ(sender.Counter("zerocopy_completions"), 0u);
  StreamBatches(t, &sender, pair.a, pair.b, 8192, 8, 4, 1);  // above
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
  StreamBatches(t, &first, pair.a, pair.b, 32768, 8, 5, 1);
  first.Close();
  ASSERT_EQ(second.Open(Config(pair.a, CS_ROLE_SENDER, 32768)), 0)
      << second.err;
  StreamBatches(t, &second, pair.a, pair.b, 32768, 8, 5, 1);
  EXPECT_EQ(second.Counter("zerocopy_completions"),
            second.Counter("send_calls"));
}

bool SetOptmemMax(int value) {
  int fd = open("/proc/sys/net/core/optmem_max", O_WRONLY | O_CLOEXEC);
  std::string text = std::to_string(value);
  bool ok = fd >= 0 && write(fd, text.data(), text.size()) ==
                           static_cast<ssize_t>(text.size());
  if (fd >= 0) close(fd);
  return ok;
}

// Runs body on a thread of its own moved into a new network namespace with
// loopback up, where net.core.optmem_max can be changed (it is per
// namespace). Returns "" or why that could not be arranged.
std::string InPrivateNetns(const std::function<void()>& body) {
  std::string why;
  std::thread worker([&] {
    if (unshare(CLONE_NEWNET) != 0) {
      why = std::string("unshare(CLONE_NEWNET): ") + strerror(errno);
      return;
    }
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr = {};
    strcpy(ifr.ifr_name, "lo");
    bool up = s >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0;
    ifr.ifr_flags |= IFF_UP;
    up = up && ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
    if (s >= 0) close(s);
    if (!up || !SetOptmemMax(0)) {
      why = "cannot bring up lo or set optmem_max in a new namespace";
      return;
    }
    body();
  });
  worker.join();
  return why;
}

// The smallest optmem_max (in steps of 64) that lets one MSG_ZEROCOPY
// send() through, measured with plain system calls; 0 if none up to 64 KiB.
int SmallestOptmemForOneSend() {
  for (int v = 64; v <= 65536; v += 64) {
    if (!SetOptmemMax(v)) return 0;
    TcpPair pair;
    if (!pair.Connect(0)) return 0;
    int one = 1;
    setsockopt(pair.a, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one));
    char byte = 'x';
    if (send(pair.a, &byte, 1, MSG_ZEROCOPY) == 1) return v;
  }
  return 0;
}

// With room for one completion notification only, the second MSG_ZEROCOPY
// call fails with ENOBUFS while the first one's notification sits unread in
// the error queue; reading it frees the memory and the call is retried.
TEST_F(ZeroCopy, EnobufsIsRetriedAfterReadingCompletions) {
  std::string why = InPrivateNetns([] {
    int optmem = SmallestOptmemForOneSend();
    ASSERT_GT(optmem, 0);
    ASSERT_TRUE(SetOptmemMax(optmem));
    const cs_transport* t = Transport();
    TcpPair pair;
    OwnedEndpoint sender(t), receiver(t);
    ASSERT_NO_FATAL_FAILURE(
        ConnectSenderReceiver(&pair, &sender, &receiver, 4096));
    std::vector<char> data = Pattern(4096, 9), got(4096);
    iovec iov = {data.data(), data.size()};
    cs_message first = {&iov, 1, 0, 1}, second = {&iov, 1, 0, 2};
    ASSERT_EQ(t->send(sender.ep, &first, 1), 0) << sender.LastError();
    // Wait (bounded) until the first notification is queued, unread.
    struct pollfd pfd = {pair.a, 0, 0};
    ASSERT_EQ(poll(&pfd, 1, 5000), 1);
    ASSERT_NE(pfd.revents & POLLERR, 0);
    ASSERT_EQ(t->send(sender.ep, &second, 1), 0) << sender.LastError();
    EXPECT_GE(sender.Counter("enobufs_retries"), 1u) << "optmem_max " << optmem;
    for (int i = 0; i < 2; ++i) {
      ASSERT_EQ(receiver.Recv(got.data(), got.size()), 0);
      EXPECT_TRUE(got == data);
    }
    std::set<uint64_t> tags;
    uint64_t tag;
    while (tags.size() < 2 && t->reap(sender.ep, &tag, 1, -1) == 1) {
      tags.insert(tag);
    }
    EXPECT_EQ(tags, (std::set<uint64_t>{1, 2}));
  });
  if (!why.empty()) GTEST_SKIP() << why;
}

// With no option memory at all and nothing of ours in flight, the plugin
// backs off until io_timeout_ms and then explains what to raise.
TEST_F(ZeroCopy, EnobufsWithNothingInFlightGivesUpAfterTheTimeout) {
  std::string why = InPrivateNetns([] {
    TcpPair pair;
    ASSERT_TRUE(pair.Connect(0));
    const cs_transport* t = Transport();
    OwnedEndpoint sender(t);
    ASSERT_EQ(sender.Open(Config(pair.a, CS_ROLE_SENDER, 4096, 30)), 0);
    std::vector<char> data(4096, 'q');
    iovec iov = {data.data(), data.size()};
    cs_message msg = {&iov, 1, 0, 1};
    EXPECT_EQ(t->send(sender.ep, &msg, 1), -ENOBUFS);
    EXPECT_NE(sender.LastError().find("optmem_max"), std::string::npos)
        << sender.LastError();
    EXPECT_GE(sender.Counter("enobufs_retries"), 1u);
  });
  if (!why.empty()) GTEST_SKIP() << why;
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
