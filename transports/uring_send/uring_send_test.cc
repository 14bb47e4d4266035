// Unit tests of uring_send over loopback TCP pairs, calling
// copyscope_transport_entry directly.
#include <errno.h>
#include <limits.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <thread>
#include <vector>

#include "transports/common/async_transport_tests.h"
#include "transports/common/socket_transport_tests.h"

namespace copyscope::transports::unit {
namespace {

using UringSend = ProbedTransportTest;

TEST_F(UringSend, DescribesItself) {
  ExpectDescriptor("uring_send",
                   CS_CAP_SCATTER_GATHER | CS_CAP_ASYNC_RELEASE |
                       CS_CAP_BATCHING | CS_CAP_RECV,
                   {"queue_depth"});
  EXPECT_STREQ(Transport()->options[0].default_value, "64");
}

TEST_F(UringSend, RejectsBadQueueDepths) {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0));
  ExpectRejectsOptions(Config(pair.a, CS_ROLE_SENDER, 64),
                       {{{"queue_depth", "0"}},
                        {{"queue_depth", "4097"}},
                        {{"queue_depth", "x"}},
                        {{"queue_depth", "-1"}},
                        {{"queue_depth", ""}}});
}

// One send() call carries a whole batch in one submission.
TEST_F(UringSend, ABatchIsOneSubmission) {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0));
  const cs_transport* t = Transport();
  OwnedEndpoint sender(t);
  ASSERT_EQ(sender.Open(Config(pair.a, CS_ROLE_SENDER, 1000)), 0);
  StreamBatches(t, &sender, pair.a, pair.b, 1000, 4, 16, 16);
  EXPECT_EQ(sender.Counter("submit_calls"), 1u);
  EXPECT_EQ(sender.Counter("send_calls"), 16u);
  EXPECT_EQ(sender.Counter("short_writes"), 0u);
}

// queue_depth=1: one send in flight at a time, each waiting for the last.
TEST_F(UringSend, QueueDepthOneStillKeepsOrder) {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(4096, 4096));
  const cs_transport* t = Transport();
  cs_option o = {"queue_depth", "1"};
  OwnedEndpoint sender(t);
  ASSERT_EQ(sender.Open(WithOptions(Config(pair.a, CS_ROLE_SENDER, 50000), o)),
            0)
      << sender.err;
  StreamBatches(t, &sender, pair.a, pair.b, 50000, 3, 40, 8);
  EXPECT_EQ(sender.Counter("send_calls"), 40u);
  EXPECT_EQ(sender.Counter("submit_calls"), 40u);
}

// More fields than one SENDMSG takes go out as several linked submissions.
TEST_F(UringSend, MessagesBeyondIovMaxAreSplitAndRefusedAboveQueueDepth) {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0));
  const cs_transport* t = Transport();
  const size_t fields = 2 * IOV_MAX + 5;
  cs_option o = {"queue_depth", "2"};
  cs_endpoint_config c =
      WithOptions(Config(pair.a, CS_ROLE_SENDER, fields * 3), o);
  c.max_fields = static_cast<uint32_t>(fields);
  OwnedEndpoint sender(t);
  ASSERT_EQ(sender.Open(c), 0) << sender.err;
  std::vector<char> data = Pattern(fields * 3, 8);
  std::vector<iovec> iov;
  for (size_t i = 0; i < fields; ++i) iov.push_back({&data[i * 3], 3});
  cs_message msg = {iov.data(), static_cast<uint32_t>(fields), 0, 5};
  // Three submissions do not fit a queue of two: refused, nothing sent.
  EXPECT_EQ(t->send(sender.ep, &msg, 1), -EMSGSIZE);
  EXPECT_NE(sender.LastError().find("queue_depth=2"), std::string::npos)
      << sender.LastError();
  msg.field_count = 2 * IOV_MAX;  // two submissions: fine
  ASSERT_EQ(t->send(sender.ep, &msg, 1), 0) << sender.LastError();
  OwnedEndpoint receiver(t);
  ASSERT_EQ(receiver.Open(Config(pair.b, CS_ROLE_RECEIVER, fields * 3)), 0);
  std::vector<char> got(2 * IOV_MAX * 3);
  ASSERT_EQ(receiver.Recv(got.data(), got.size()), 0) << receiver.LastError();
  EXPECT_EQ(memcmp(got.data(), data.data(), got.size()), 0);
  uint64_t tag = 0;
  ASSERT_EQ(t->reap(sender.ep, &tag, 1, -1), 1);
  EXPECT_EQ(tag, 5u);
  EXPECT_EQ(sender.Counter("send_calls"), 2u);
}

TEST_F(UringSend, ErrorsInCompletionsBreakTheEndpoint) {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0));
  const cs_transport* t = Transport();
  OwnedEndpoint sender(t);
  ASSERT_EQ(sender.Open(Config(pair.a, CS_ROLE_SENDER, 4096)), 0);
  ASSERT_EQ(shutdown(pair.a, SHUT_WR), 0);
  std::vector<char> data(4096, 'z');
  iovec iov = {data.data(), data.size()};
  cs_message msg = {&iov, 1, 0, 3};
  ASSERT_EQ(t->send(sender.ep, &msg, 1), 0);  // submitted; fails in the kernel
  uint64_t tag = 0;
  // The failed send's buffer is free: its tag comes back, then the error.
  ASSERT_EQ(t->reap(sender.ep, &tag, 1, -1), 1);
  EXPECT_EQ(tag, 3u);
  EXPECT_EQ(t->reap(sender.ep, &tag, 1, -1), -EPIPE);
  EXPECT_NE(sender.LastError().find("Broken pipe"), std::string::npos)
      << sender.LastError();
  EXPECT_EQ(t->send(sender.ep, &msg, 1), -EPIPE);
}

}  // namespace
}  // namespace copyscope::transports::unit
