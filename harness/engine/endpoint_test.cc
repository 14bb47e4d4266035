// Endpoint against transports built in the test: the plugin's answers are
// checked, never trusted.
#include "harness/engine/endpoint.h"

#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "harness/engine/fake_transport_testing.h"

namespace copyscope::engine {
namespace {

using CounterList = std::vector<std::pair<std::string, uint64_t>>;

class EndpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds_), 0);
  }
  void TearDown() override {
    close(fds_[0]);
    close(fds_[1]);
  }

  // An endpoint of t as sender on one end of the pair.
  absl::StatusOr<Endpoint> Open(const cs_transport& t) {
    EndpointSpec spec;
    spec.transport = &t;
    spec.transport_name = "two_copy";
    spec.role = CS_ROLE_SENDER;
    spec.fd = fds_[0];
    return Endpoint::Open(spec);
  }

  int fds_[2] = {-1, -1};
};

// The counters of the tests below, and the name each reports under.
const char* g_name = nullptr;

TEST_F(EndpointTest, CountersOfAWellBehavedPlugin) {
  cs_transport t = FakeTransport();
  absl::StatusOr<Endpoint> ep = Open(t);
  ASSERT_TRUE(ep.ok()) << ep.status();
  absl::StatusOr<CounterList> c = ep->Counters();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(*c, (CounterList{{"fake_sent", 0}, {"fake_received", 0}}));
}

TEST_F(EndpointTest, NoCountersIsAnEmptyList) {
  cs_transport t = FakeTransport();
  t.counters = [](const cs_endpoint*, cs_counter*, uint32_t) -> uint32_t {
    return 0;
  };
  absl::StatusOr<Endpoint> ep = Open(t);
  ASSERT_TRUE(ep.ok()) << ep.status();
  absl::StatusOr<CounterList> c = ep->Counters();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->empty());
}

TEST_F(EndpointTest, MoreCountersThanAskedIsAnError) {
  cs_transport t = FakeTransport();
  // Says 4 when sized, then claims to have written 9999 into room for 4.
  t.counters = [](const cs_endpoint*, cs_counter* out,
                  uint32_t max) -> uint32_t {
    for (uint32_t i = 0; i < max; ++i) out[i] = {"n", i};
    return max == 0 ? 4 : 9999;
  };
  absl::StatusOr<Endpoint> ep = Open(t);
  ASSERT_TRUE(ep.ok()) << ep.status();
  absl::StatusOr<CounterList> c = ep->Counters();
  EXPECT_EQ(c.status().message(),
            "two_copy sender: counters() returned 9999 counters, more than "
            "the 4 asked");
}

TEST_F(EndpointTest, AnAbsurdOrNegativeCountIsAnError) {
  cs_transport t = FakeTransport();
  t.counters = [](const cs_endpoint*, cs_counter*, uint32_t) -> uint32_t {
    return 100000;
  };
  absl::StatusOr<Endpoint> ep = Open(t);
  ASSERT_TRUE(ep.ok()) << ep.status();
  EXPECT_EQ(ep->Counters().status().message(),
            "two_copy sender: counters() reports 100000 counters, more than "
            "256");
  ep->Close();
  t.counters = [](const cs_endpoint*, cs_counter*, uint32_t) -> uint32_t {
    return static_cast<uint32_t>(-EINVAL);
  };
  ep = Open(t);
  ASSERT_TRUE(ep.ok()) << ep.status();
  EXPECT_EQ(ep->Counters().status().message(),
            "two_copy sender: counters() reports 4294967274 (-22 as a signed "
            "value) counters, more than 256");
}

TEST_F(EndpointTest, FewerCountersThanSizedAreKept) {
  cs_transport t = FakeTransport();
  t.counters = [](const cs_endpoint*, cs_counter* out,
                  uint32_t max) -> uint32_t {
    if (max == 0) return 3;
    out[0] = {"only", 7};
    return 1;
  };
  absl::StatusOr<Endpoint> ep = Open(t);
  ASSERT_TRUE(ep.ok()) << ep.status();
  absl::StatusOr<CounterList> c = ep->Counters();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(*c, (CounterList{{"only", 7}}));
}

TEST_F(EndpointTest, NamesMustBeSetAndEndWithinTheirBound) {
  cs_transport t = FakeTransport();
  t.counters = [](const cs_endpoint*, cs_counter* out,
                  uint32_t max) -> uint32_t {
    if (max >= 2) out[0] = {"first", 1}, out[1] = {g_name, 2};
    return 2;
  };
  absl::StatusOr<Endpoint> ep = Open(t);
  ASSERT_TRUE(ep.ok()) << ep.status();

  const std::string longest(Endpoint::kMaxCounterNameBytes, 'n');
  g_name = longest.c_str();
  absl::StatusOr<CounterList> c = ep->Counters();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ((*c)[1].first, longest);

  g_name = nullptr;
  EXPECT_EQ(ep->Counters().status().message(),
            "two_copy sender: counters() returned counter 1 without a name");
  g_name = "";
  EXPECT_EQ(ep->Counters().status().message(),
            "two_copy sender: counters() returned counter 1 without a name");

  // No terminator before an unreadable page: an error, read within bound.
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  void* two = mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(two, MAP_FAILED);
  char* base = static_cast<char*>(two);
  ASSERT_EQ(mprotect(base + page, page, PROT_NONE), 0);
  memset(base + page - 100, 'x', 100);
  g_name = base + page - 100;
  EXPECT_EQ(ep->Counters().status().message(),
            "two_copy sender: counters() returned counter 1 with a name "
            "longer than 64 bytes");
  munmap(two, 2 * page);
}

}  // namespace
}  // namespace copyscope::engine
