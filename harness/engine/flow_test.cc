// Sender and Receiver against transports built in the test: what a plugin
// hands back through reap() and recv() is checked, never trusted.
#include "harness/engine/flow.h"

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "harness/engine/fake_transport_testing.h"

namespace copyscope::engine {
namespace {

class FlowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds_), 0);
  }
  void TearDown() override {
    close(fds_[0]);
    close(fds_[1]);
  }

  absl::StatusOr<Endpoint> Open(const cs_transport& t, uint32_t role) {
    EndpointSpec spec;
    spec.transport = &t;
    spec.transport_name = "fake";
    spec.role = role;
    spec.fd = role == CS_ROLE_SENDER ? fds_[0] : fds_[1];
    spec.max_message_size = 4096;
    return Endpoint::Open(spec);
  }

  // Sends `sends` messages from a pool of 4 through t (async), then drains:
  // the status of the first failure.
  absl::Status SendAndDrain(const cs_transport& t, int sends) {
    absl::StatusOr<Endpoint> ep = Open(t, CS_ROLE_SENDER);
    if (!ep.ok()) return ep.status();
    MessagePool pool(64, 1, 4);
    Sender tx(*ep, pool, /*async=*/true, "fake server");
    for (int i = 0; i < sends; ++i) {
      absl::Status s = tx.SendOne();
      if (!s.ok()) return s;
    }
    return tx.Drain();
  }

  // One RecvOne() through t's recv; its status.
  absl::Status RecvOnce(const cs_transport& t) {
    absl::StatusOr<Endpoint> ep = Open(t, CS_ROLE_RECEIVER);
    if (!ep.ok()) return ep.status();
    Receiver rx(*ep, 4096, "fake client");
    EXPECT_TRUE(rx.ok());
    int rc = rx.RecvOne();
    return rc == 0 ? absl::OkStatus() : rx.Error(rc);
  }

  int fds_[2] = {-1, -1};
};

TEST_F(FlowTest, AWellBehavedAsyncTransportDrains) {
  cs_transport t = FakeTransportAsync();
  EXPECT_TRUE(SendAndDrain(t, 10).ok());
}

TEST_F(FlowTest, ReapReturningMoreTagsThanAskedFails) {
  cs_transport t = FakeTransportAsync();
  t.reap = [](cs_endpoint* ep, uint64_t* tags, uint32_t max, int) {
    FakeReap(ep, tags, max, 0);
    return static_cast<int>(max) + 1;  // wrote max, claims one more
  };
  absl::Status s = SendAndDrain(t, 1);
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(s.message(),
            "fake server: reap() returned 5 tags, more than the "
            "4 asked");
}

TEST_F(FlowTest, ReapReturningATagNeverIssuedFails) {
  cs_transport t = FakeTransportAsync();
  t.reap = [](cs_endpoint*, uint64_t* tags, uint32_t, int) {
    tags[0] = 12345;
    return 1;
  };
  absl::Status s = SendAndDrain(t, 1);
  EXPECT_EQ(s.message(),
            "fake server: reap() returned tag 12345 that is not in flight");
}

TEST_F(FlowTest, ReapReturningAPoolTagThatWasNotSentFails) {
  cs_transport t = FakeTransportAsync();
  // One message went out (tag 0); tag 2 is the pool's but is not in use.
  t.reap = [](cs_endpoint*, uint64_t* tags, uint32_t, int) {
    tags[0] = 2;
    return 1;
  };
  absl::Status s = SendAndDrain(t, 1);
  EXPECT_EQ(s.message(),
            "fake server: reap() returned tag 2 that is not in flight");
}

TEST_F(FlowTest, ReapReturningATagTwiceFails) {
  cs_transport t = FakeTransportAsync();
  // Within one call.
  t.reap = [](cs_endpoint*, uint64_t* tags, uint32_t, int) {
    tags[0] = 0;
    tags[1] = 0;
    return 2;
  };
  EXPECT_EQ(SendAndDrain(t, 1).message(),
            "fake server: reap() returned tag 0 that is not in flight");
  // In two calls: tags 0 and 1 are out, tag 0 comes back each time.
  t.reap = [](cs_endpoint*, uint64_t* tags, uint32_t, int) {
    tags[0] = 0;
    return 1;
  };
  EXPECT_EQ(SendAndDrain(t, 2).message(),
            "fake server: reap() returned tag 0 that is not in flight");
}

// recv() results that a test sets before each call.
struct iovec g_segments[4];
const struct iovec* g_segment_array = nullptr;
uint32_t g_segment_count = 0;

int RecvInPlace(cs_endpoint*, cs_recv_args* args) {
  args->segments = g_segment_array;
  args->segment_count = g_segment_count;
  return 0;
}

TEST_F(FlowTest, InPlaceSegmentsMustHoldExactlyTheMessage) {
  cs_transport t = FakeTransport();
  t.recv = RecvInPlace;
  static char memory[8192];
  g_segment_array = g_segments;

  g_segments[0] = {memory, 1000};
  g_segments[1] = {memory + 1000, 3096};
  g_segment_count = 2;
  EXPECT_TRUE(RecvOnce(t).ok());

  g_segment_count = 4097;
  EXPECT_EQ(RecvOnce(t).message(),
            "fake client: recv() returned 4097 segments for a 4096-byte "
            "message");

  g_segment_count = 2;
  g_segment_array = nullptr;
  EXPECT_EQ(RecvOnce(t).message(),
            "fake client: recv() returned 2 segments at NULL for a 4096-byte "
            "message");
  g_segment_array = g_segments;

  g_segments[1] = {nullptr, 3096};
  EXPECT_EQ(RecvOnce(t).message(),
            "fake client: recv() returned segment 1 at NULL for a 4096-byte "
            "message");

  g_segments[1] = {memory + 1000, 3000};
  EXPECT_EQ(RecvOnce(t).message(),
            "fake client: recv() returned segments of 4000 bytes for a "
            "4096-byte message");

  // Lengths whose sum wraps around: caught before it does.
  g_segments[1] = {memory + 1000, SIZE_MAX - 500};
  g_segments[2] = {memory, 1597};
  g_segment_count = 3;
  EXPECT_EQ(RecvOnce(t).message(),
            "fake client: recv() returned segments of more than 4096 bytes "
            "for a 4096-byte message");
}

TEST_F(FlowTest, APluginErrorStaysThePluginsOwn) {
  cs_transport t = FakeTransport();
  t.recv = [](cs_endpoint* ep, cs_recv_args*) {
    return FakeFail(Fake(ep), -ECONNABORTED, "recv");
  };
  absl::Status s = RecvOnce(t);
  EXPECT_EQ(s.message(),
            "fake receiver: recv failed: Software caused connection abort: "
            "recv: Software caused connection abort");
}

// The numbers of a datagram stream: in order, a gap (lost), a late one
// (reordered, its loss taken back), one again (duplicate).
TEST(SeqStatsTest, CountsLossOrderAndDuplicates) {
  SeqStats s;
  for (uint64_t n : {0, 1, 2}) s.Note(n);
  EXPECT_EQ(s.unique(), 3u);
  EXPECT_EQ(s.lost(), 0u);
  s.Note(6);  // 3, 4, 5 missing
  EXPECT_EQ(s.lost(), 3u);
  EXPECT_EQ(s.highest(), 7u);
  s.Note(4);  // late
  EXPECT_EQ(s.lost(), 2u);
  EXPECT_EQ(s.reordered(), 1u);
  s.Note(4);  // again
  s.Note(6);
  EXPECT_EQ(s.duplicates(), 2u);
  EXPECT_EQ(s.unique(), 5u);
  EXPECT_EQ(s.lost(), 2u);
  // Far ahead: the window moves, and what it left is no duplicate test.
  s.Note(7 + SeqStats::kWindow * 2);
  EXPECT_EQ(s.lost(), 2u + SeqStats::kWindow * 2);
  s.Note(7 + SeqStats::kWindow * 2 - 1);  // late but in the window
  EXPECT_EQ(s.reordered(), 2u);
  s.Note(3);  // older than the window: reordered, cannot tell a duplicate
  EXPECT_EQ(s.reordered(), 3u);
  EXPECT_EQ(s.duplicates(), 2u);
}

// The pacer holds a sender to its rate: 1 MB at 80 Mbit/s takes 100 ms.
TEST(PacerTest, HoldsTheRate) {
  Pacer p(80e6);
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 101; ++i) p.Before(10000);
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, std::chrono::milliseconds(99));
  EXPECT_LT(took, std::chrono::seconds(5));
  Pacer unpaced(0);
  const auto t1 = std::chrono::steady_clock::now();
  for (int i = 0; i < 1000; ++i) unpaced.Before(1 << 20);
  EXPECT_LT(std::chrono::steady_clock::now() - t1, std::chrono::seconds(1));
}

}  // namespace
}  // namespace copyscope::engine
