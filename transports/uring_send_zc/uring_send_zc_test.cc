// Unit tests of uring_send_zc over loopback TCP pairs, calling
// copyscope_transport_entry directly.
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "transports/common/async_transport_tests.h"
#include "transports/common/probe.h"
#include "transports/common/socket_transport_tests.h"

namespace copyscope::transports::unit {
namespace {

using UringSendZc = ProbedTransportTest;

TEST_F(UringSendZc, DescribesItself) {
  ExpectDescriptor("uring_send_zc",
                   CS_CAP_SCATTER_GATHER | CS_CAP_ASYNC_RELEASE |
                       CS_CAP_ZERO_COPY_SEND | CS_CAP_BATCHING | CS_CAP_RECV,
                   {"queue_depth", "fixed_buffers", "fixed_slots"});
}

TEST_F(UringSendZc, RejectsBadOptions) {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0));
  ExpectRejectsOptions(Config(pair.a, CS_ROLE_SENDER, 64),
                       {{{"fixed_buffers", "2"}},
                        {{"fixed_buffers", "yes"}},
                        {{"fixed_slots", "0"}},
                        {{"fixed_slots", "16385"}},
                        {{"queue_depth", "0"}}});
}

// Every send is released by its notification, and only then.
TEST_F(UringSendZc, EveryTagWaitsForItsNotification) {
  const cs_transport* t = Transport();
  const size_t len = 65536;
  TcpPair pair;
  OwnedEndpoint sender(t), receiver(t);
  ASSERT_NO_FATAL_FAILURE(
      ConnectSenderReceiver(&pair, &sender, &receiver, len));
  const int count = 40;
  std::vector<std::vector<char>> data;
  for (int i = 0; i < count; ++i) data.push_back(Pattern(len, 50 + i));
  int bad = -1;
  std::thread reader([&] {
    std::vector<char> got(len);
    for (int i = 0; i < count && bad < 0; ++i) {
      if (receiver.Recv(got.data(), len) != 0 || got != data[i]) bad = i;
    }
  });
  size_t reaped = 0;
  uint64_t tags[count];
  for (int i = 0; i < count; ++i) {
    std::vector<iovec> iov = Split(data[i], 8);
    cs_message msg = {iov.data(), static_cast<uint32_t>(iov.size()), 0,
                      static_cast<uint64_t>(i)};
    ASSERT_EQ(t->send(sender.ep, &msg, 1), 0) << sender.LastError();
    int n = t->reap(sender.ep, tags, count, 0);
    ASSERT_GE(n, 0);
    reaped += n;
    // Never more tags back than notifications seen.
    EXPECT_LE(reaped, sender.Counter("zerocopy_completions"));
  }
  while (reaped < count) {
    int n = t->reap(sender.ep, tags, count, -1);
    ASSERT_GT(n, 0) << sender.LastError();
    reaped += n;
    EXPECT_LE(reaped, sender.Counter("zerocopy_completions"));
  }
  reader.join();
  EXPECT_EQ(bad, -1);
  EXPECT_EQ(sender.Counter("send_calls"), static_cast<uint64_t>(count));
  EXPECT_EQ(sender.Counter("zerocopy_completions"),
            static_cast<uint64_t>(count));
}

// Where the kernel reports usage, over loopback it reports a copy: the
// receiving socket gets its own copy of pages it cannot share.
TEST_F(UringSendZc, ReportsCopiedSendsWhereTheKernelCan) {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0));
  const cs_transport* t = Transport();
  OwnedEndpoint sender(t);
  ASSERT_EQ(sender.Open(Config(pair.a, CS_ROLE_SENDER, 32768)), 0);
  if (!sender.HasCounter("zerocopy_copied")) {
    EXPECT_FALSE(KernelRelease().AtLeast(6, 2))
        << "Linux 6.2+ reports usage, but the counter is missing";
    GTEST_SKIP() << "kernel " << KernelRelease().text
                 << " does not report zero-copy usage";
  }
  StreamBatches(t, &sender, pair.a, pair.b, 32768, 1, 20, 4);
  EXPECT_EQ(sender.Counter("zerocopy_completions"), 20u);
  EXPECT_EQ(sender.Counter("zerocopy_copied"), 20u);
}

// fixed_buffers=1: each distinct buffer is registered once, fields that lie
// inside a registered buffer reuse it, and a full table is an error that
// leaves the endpoint usable.
TEST_F(UringSendZc, FixedBuffersRegisterEachBufferOnce) {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0));
  const cs_transport* t = Transport();
  OwnedEndpoint sender(t), receiver(t);
  std::vector<cs_option> opts = {{"fixed_buffers", "1"}, {"fixed_slots", "3"}};
  ASSERT_EQ(
      sender.Open(WithOptions(Config(pair.a, CS_ROLE_SENDER, 8192), opts)), 0)
      << sender.err;
  ASSERT_EQ(receiver.Open(Config(pair.b, CS_ROLE_RECEIVER, 8192)), 0);
  std::vector<char> a = Pattern(4096, 1), b = Pattern(4096, 2),
                    c = Pattern(4096, 3), d = Pattern(4096, 4);
  std::vector<char> got(8192);
  uint64_t tags[4];
  auto send_and_check = [&](std::vector<iovec> iov, uint64_t tag) {
    cs_message msg = {iov.data(), static_cast<uint32_t>(iov.size()), 0, tag};
    ASSERT_EQ(t->send(sender.ep, &msg, 1), 0) << sender.LastError();
    size_t len = 0;
    std::vector<char> want;
    for (const iovec& v : iov) {
      want.insert(want.end(), static_cast<char*>(v.iov_base),
                  static_cast<char*>(v.iov_base) + v.iov_len);
      len += v.iov_len;
    }
    ASSERT_EQ(receiver.Recv(got.data(), len), 0) << receiver.LastError();
    EXPECT_EQ(memcmp(got.data(), want.data(), len), 0);
    ASSERT_EQ(t->reap(sender.ep, tags, 4, -1), 1) << sender.LastError();
    EXPECT_EQ(tags[0], tag);
  };
  send_and_check({{a.data(), 4096}, {b.data(), 4096}}, 1);
  EXPECT_EQ(sender.Counter("fixed_buffers"), 2u);
  send_and_check({{b.data() + 100, 1000}, {a.data() + 7, 4089}}, 2);
  EXPECT_EQ(sender.Counter("fixed_buffers"), 2u);  // inside a and b
  send_and_check({{c.data(), 4096}}, 3);
  EXPECT_EQ(sender.Counter("fixed_buffers"), 3u);
  iovec iov = {d.data(), 4096};
  cs_message msg = {&iov, 1, 0, 4};
  EXPECT_EQ(t->send(sender.ep, &msg, 1), -ENOSPC);
  EXPECT_NE(sender.LastError().find("more than 3 distinct buffers"),
            std::string::npos)
      << sender.LastError();
  send_and_check({{c.data(), 10}, {a.data(), 20}}, 5);  // still usable
  EXPECT_EQ(sender.Counter("send_calls"), 7u);  // one send per fixed field
}

TEST_F(UringSendZc, NoCopiedCounterOnAReceiver) {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0));
  OwnedEndpoint receiver(Transport());
  ASSERT_EQ(receiver.Open(Config(pair.b, CS_ROLE_RECEIVER, 64)), 0);
  EXPECT_FALSE(receiver.HasCounter("zerocopy_copied"));
  EXPECT_FALSE(receiver.HasCounter("fixed_buffers"));
}

}  // namespace
}  // namespace copyscope::transports::unit
