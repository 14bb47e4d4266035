// Cells over transports built in the test (fake_transport_testing.h): what
// the runner makes of a plugin that misbehaves.
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "harness/engine/fake_transport_testing.h"
#include "harness/engine/network.h"
#include "harness/engine/runner.h"

namespace copyscope::engine {
namespace {

using config::CellSpec;

CellSpec Spec(uint64_t size, uint32_t fields) {
  CellSpec s;
  s.transport = "fake";
  s.size = size;
  s.fields = fields;
  s.threads = 1;
  return s;
}

// Count mode: exactly `messages` after `warmup` ones, whatever the machine.
RunnerConfig Counted(uint64_t messages, uint64_t warmup = 10) {
  RunnerConfig c;
  c.messages = messages;
  c.warmup_messages = warmup;
  return c;
}

TEST(FakeCellTest, AWellBehavedFakeRunsACell) {
  cs_transport t = FakeTransport();
  LoopbackNetwork net;
  CellResult r =
      RunCell(Spec(4096, 3), {&t, nullptr}, Counted(200), net, nullptr);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.sample.status(), "ok");
  EXPECT_EQ(r.sample.connections(0).messages(), 200u);
}

RunnerConfig Timed() {
  RunnerConfig c;
  c.warmup = absl::Milliseconds(50);
  c.duration = absl::Milliseconds(200);
  return c;
}

// --background: extra stream connections of another plugin beside an rr
// cell; their receivers' bytes and window become the sample's background.
TEST(FakeCellTest, ABackgroundStreamRunsBesideTheRoundTrips) {
  cs_transport t = FakeTransport();
  cs_transport bg = FakeTransport();
  CellSpec spec = Spec(128, 2);
  spec.mode = config::Mode::kRequestResponse;
  spec.background = {"fake", 1, 4096};
  LoopbackNetwork net;
  CellResult r = RunCell(spec, {&t, nullptr, &bg}, Timed(), net, nullptr);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.sample.connections_size(), 1);
  EXPECT_GT(r.sample.latency().count(), 0u);
  EXPECT_EQ(r.sample.background_connections(), 1);
  EXPECT_GT(r.sample.background_messages(), 0u);
  EXPECT_EQ(r.sample.background_bytes(), r.sample.background_messages() * 4096);
  EXPECT_GT(r.sample.background_window_s(), 0);
  // Without a background the sample has none of it.
  spec.background = {};
  r = RunCell(spec, {&t, nullptr, nullptr}, Timed(), net, nullptr);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_FALSE(r.sample.has_background_connections());
  EXPECT_FALSE(r.sample.has_background_bytes());
}

// A background that fails fails the cell: its round trips were not
// measured under the load the record would claim.
TEST(FakeCellTest, AFailingBackgroundFailsTheCell) {
  cs_transport t = FakeTransport();
  cs_transport bg = FakeTransport();
  bg.send = [](cs_endpoint*, const cs_message*, uint32_t) { return -EIO; };
  CellSpec spec = Spec(128, 1);
  spec.mode = config::Mode::kRequestResponse;
  spec.background = {"fake", 1, 4096};
  LoopbackNetwork net;
  CellResult r = RunCell(spec, {&t, nullptr, &bg}, Timed(), net, nullptr);
  EXPECT_FALSE(r.status.ok());
  EXPECT_TRUE(absl::StartsWith(r.sample.status(), "failed: "))
      << r.sample.status();
  // A cell that names a background without its plugin is refused.
  r = RunCell(spec, {&t, nullptr, nullptr}, Timed(), net, nullptr);
  EXPECT_FALSE(r.status.ok());
}

// The same cell over each address family: a Unix stream socket's ends say
// they are no TCP (never a TCP_INFO of zeros), and the server's socket
// directory is gone after the cell.
TEST(FakeCellTest, AFakeCellRunsOverEveryFamily) {
  cs_transport t = FakeTransport();
  LoopbackNetwork net;
  for (config::Family family :
       {config::Family::kInet, config::Family::kInet6, config::Family::kUnix}) {
    SCOPED_TRACE(config::FamilyName(family));
    CellSpec spec = Spec(4096, 3);
    spec.family = family;
    spec.threads = 2;
    CellResult r = RunCell(spec, {&t, nullptr}, Counted(200), net, nullptr);
    ASSERT_TRUE(r.status.ok()) << r.status;
    ASSERT_EQ(r.sample.connections_size(), 2);
    for (const record::Connection& c : r.sample.connections()) {
      EXPECT_EQ(c.messages(), 200u);
      if (family == config::Family::kUnix) {
        EXPECT_EQ(c.server_tcp().not_tcp(), "AF_UNIX SOCK_STREAM");
        EXPECT_EQ(c.client_tcp().not_tcp(), "AF_UNIX SOCK_STREAM");
        EXPECT_EQ(c.server_tcp().counters_size(), 0);
      } else {
        EXPECT_EQ(c.server_tcp().not_tcp(), "");
        EXPECT_GT(c.server_tcp().counters_size(), 0);
      }
    }
  }
}

// A network without IPv6 fails an inet6 cell saying so.
TEST(FakeCellTest, Inet6WithoutAnAddressFailsClearly) {
  class V4Only final : public Network {
   public:
    std::string Describe() const override { return "v4 only"; }
    absl::Status SetupThread(Side, int) override { return absl::OkStatus(); }
    std::string ServerAddress(int) const override { return "127.0.0.1"; }
  } net;
  cs_transport t = FakeTransport();
  CellSpec spec = Spec(1024, 1);
  spec.family = config::Family::kInet6;
  CellResult r = RunCell(spec, {&t, nullptr}, Counted(10), net, nullptr);
  EXPECT_EQ(r.status.code(), absl::StatusCode::kFailedPrecondition) << r.status;
  EXPECT_TRUE(
      absl::StrContains(r.status.message(), "no IPv6 address on this network"))
      << r.status;
}

TEST(FakeCellTest, CountersBeyondTheirBoundFailTheCell) {
  cs_transport t = FakeTransport();
  t.counters = [](const cs_endpoint*, cs_counter*, uint32_t) -> uint32_t {
    return 100000;
  };
  LoopbackNetwork net;
  CellResult r =
      RunCell(Spec(1024, 1), {&t, nullptr}, Counted(100), net, nullptr);
  EXPECT_EQ(r.status.code(), absl::StatusCode::kInternal) << r.status;
  EXPECT_TRUE(absl::StrContains(
      r.status.message(), "counters() reports 100000 counters, more than 256"))
      << r.status;
  EXPECT_TRUE(absl::StartsWith(r.sample.status(), "failed: "));
}

TEST(FakeCellTest, MessagesReturnedInPlaceAreChecked) {
  cs_transport t = FakeTransport();
  CellSpec spec = Spec(4096, 2);
  spec.options = {{"segments", "3"}};
  LoopbackNetwork net;
  CellResult r = RunCell(spec, {&t, nullptr}, Counted(100), net, nullptr);
  ASSERT_TRUE(r.status.ok()) << r.status;
  // The same, one byte short in its last segment.
  t.recv = [](cs_endpoint* ep, cs_recv_args* args) {
    int rc = FakeRecv(ep, args);
    if (rc == 0) --Fake(ep)->out.back().iov_len;
    return rc;
  };
  r = RunCell(spec, {&t, nullptr}, Counted(100), net, nullptr);
  EXPECT_EQ(r.status.code(), absl::StatusCode::kInternal) << r.status;
  EXPECT_EQ(r.status.message(),
            "client 0: fake client: recv() returned segments of 4095 bytes "
            "for a 4096-byte message");
}

TEST(FakeCellTest, ATagNotInFlightFailsTheCell) {
  cs_transport t = FakeTransportAsync();
  t.reap = [](cs_endpoint* ep, uint64_t* tags, uint32_t max, int) {
    int n = FakeReap(ep, tags, max, 0);
    if (n > 0) tags[0] += 1000;
    return n;
  };
  LoopbackNetwork net;
  CellResult r =
      RunCell(Spec(512, 1), {&t, nullptr}, Counted(500), net, nullptr);
  EXPECT_EQ(r.status.code(), absl::StatusCode::kInternal) << r.status;
  EXPECT_TRUE(absl::StartsWith(r.status.message(),
                               "server 0: fake server: reap() returned tag 10"))
      << r.status;
  EXPECT_TRUE(absl::EndsWith(r.status.message(), " that is not in flight"))
      << r.status;
}

// --verify.

RunnerConfig Verifying(uint64_t messages, uint64_t warmup = 10) {
  RunnerConfig c = Counted(messages, warmup);
  c.verify = true;
  return c;
}

TEST(VerifyTest, AFlippedByteIsFoundAtItsMessageAndOffset) {
  cs_transport t = FakeTransport();
  CellSpec spec = Spec(4096, 3);  // fields of 1366, 1365, 1365 bytes
  spec.options = {{"flip_message", "37"}, {"flip_offset", "3000"}};
  LoopbackNetwork net;
  CellResult r = RunCell(spec, {&t, nullptr}, Verifying(100), net, nullptr);
  EXPECT_EQ(r.status.code(), absl::StatusCode::kDataLoss) << r.status;
  EXPECT_EQ(r.status.message(), "corrupt: message 37 offset 3000");
  EXPECT_EQ(r.sample.status(), "corrupt: message 37 offset 3000");
}

TEST(VerifyTest, OffByDefault) {
  cs_transport t = FakeTransport();
  CellSpec spec = Spec(4096, 3);
  spec.options = {{"flip_message", "37"}, {"flip_offset", "3000"}};
  LoopbackNetwork net;
  CellResult r = RunCell(spec, {&t, nullptr}, Counted(100), net, nullptr);
  EXPECT_TRUE(r.status.ok()) << r.status;  // nobody looked
}

TEST(VerifyTest, ClientToServerAndOddSizes) {
  cs_transport t = FakeTransport();
  CellSpec spec = Spec(1001, 7);
  spec.direction = config::Direction::kClientToServer;
  spec.options = {{"flip_message", "0"}, {"flip_offset", "1000"}};
  LoopbackNetwork net;
  CellResult r = RunCell(spec, {&t, nullptr}, Verifying(50), net, nullptr);
  EXPECT_EQ(r.status.message(), "corrupt: message 0 offset 1000");
  EXPECT_EQ(r.sample.status(), "corrupt: message 0 offset 1000");
}

TEST(VerifyTest, MessagesReturnedInPlaceAreCheckedToo) {
  cs_transport t = FakeTransport();
  CellSpec spec = Spec(4096, 2);
  spec.threads = 3;
  spec.options = {{"segments", "5"}};
  LoopbackNetwork net;
  CellResult r = RunCell(spec, {&t, nullptr}, Verifying(300), net, nullptr);
  ASSERT_TRUE(r.status.ok()) << r.status;
  for (const record::Connection& c : r.sample.connections()) {
    EXPECT_EQ(c.messages(), 300u);
  }
  spec.threads = 1;
  spec.options = {
      {"segments", "4"}, {"flip_message", "3"}, {"flip_offset", "4095"}};
  r = RunCell(spec, {&t, nullptr}, Verifying(100), net, nullptr);
  EXPECT_EQ(r.sample.status(), "corrupt: message 3 offset 4095");
}

TEST(VerifyTest, AsyncReleaseRefillsReapedBuffers) {
  cs_transport t = FakeTransportAsync();
  CellSpec spec = Spec(65536, 4);
  LoopbackNetwork net;
  CellResult r = RunCell(spec, {&t, nullptr}, Verifying(500), net, nullptr);
  ASSERT_TRUE(r.status.ok()) << r.status;
  // The pool holds fewer messages than were sent: every reused buffer got
  // its new message's pattern, or the receiver would have said so.
  spec.options = {{"flip_message", "321"}, {"flip_offset", "65535"}};
  r = RunCell(spec, {&t, nullptr}, Verifying(500), net, nullptr);
  EXPECT_EQ(r.sample.status(), "corrupt: message 321 offset 65535");
}

TEST(VerifyTest, RequestResponseChecksBothDirections) {
  cs_transport t = FakeTransport();
  CellSpec spec = Spec(64, 2);
  spec.mode = config::Mode::kRequestResponse;
  spec.request_size = 100;
  spec.response_size = 3000;
  LoopbackNetwork net;
  CellResult r = RunCell(spec, {&t, nullptr}, Verifying(200), net, nullptr);
  ASSERT_TRUE(r.status.ok()) << r.status;
  // Each side flips its own 6th message: the server sees request 5 first.
  spec.options = {{"flip_message", "5"}, {"flip_offset", "50"}};
  r = RunCell(spec, {&t, nullptr}, Verifying(200), net, nullptr);
  EXPECT_EQ(r.status.message(), "corrupt: message 5 offset 50");
  EXPECT_EQ(r.sample.status(), "corrupt: message 5 offset 50");
}

TEST(VerifyTest, AReflectedRequestIsNotAResponse) {
  cs_transport t = FakeTransport();
  CellSpec spec = Spec(512, 1);
  spec.mode = config::Mode::kRequestResponse;
  spec.options = {{"reflect", "1"}};  // the server echoes each request
  LoopbackNetwork net;
  CellResult r = RunCell(spec, {&t, nullptr}, Verifying(50), net, nullptr);
  EXPECT_EQ(r.status.code(), absl::StatusCode::kDataLoss) << r.status;
  EXPECT_TRUE(absl::StartsWith(r.sample.status(), "corrupt: message 0 offset "))
      << r.sample.status();
}

// --interval: the measuring side's slices account for every message of the
// window, in time order, whatever the timing.

void ExpectSlicesAccountForTheWindow(const record::Sample& s,
                                     uint64_t bytes_per_message) {
  uint64_t messages = 0;
  for (const record::Connection& c : s.connections()) messages += c.messages();
  ASSERT_GT(s.slices_size(), 0);
  uint64_t sliced = 0;
  double last_start = -1;
  for (const record::Slice& slice : s.slices()) {
    sliced += slice.messages();
    EXPECT_EQ(slice.bytes(), slice.messages() * bytes_per_message);
    EXPECT_GT(slice.start_s(), last_start);
    EXPECT_GE(slice.length_s(), 0);
    last_start = slice.start_s();
  }
  EXPECT_EQ(sliced, messages);
}

TEST(SlicesTest, CountModeStreamSlicesSumToTheWindow) {
  cs_transport t = FakeTransport();
  CellSpec spec = Spec(1024, 1);
  spec.threads = 2;
  RunnerConfig config = Counted(20000, 100);
  config.interval = absl::Microseconds(500);
  LoopbackNetwork net;
  CellResult r = RunCell(spec, {&t, nullptr}, config, net, nullptr);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.sample.connections(0).messages(), 20000u);
  ExpectSlicesAccountForTheWindow(r.sample, 1024);
}

TEST(SlicesTest, DurationModeClientToServer) {
  cs_transport t = FakeTransport();
  CellSpec spec = Spec(512, 1);
  spec.direction = config::Direction::kClientToServer;
  RunnerConfig config;
  config.warmup = absl::Milliseconds(5);
  config.duration = absl::Milliseconds(30);
  config.interval = absl::Milliseconds(5);
  LoopbackNetwork net;
  CellResult r = RunCell(spec, {&t, nullptr}, config, net, nullptr);
  ASSERT_TRUE(r.status.ok()) << r.status;
  ExpectSlicesAccountForTheWindow(r.sample, 512);
}

TEST(SlicesTest, RequestResponseSlicesCarryTheirRoundTrips) {
  cs_transport t = FakeTransport();
  CellSpec spec = Spec(64, 1);
  spec.mode = config::Mode::kRequestResponse;
  RunnerConfig config = Counted(3000, 100);
  config.interval = absl::Microseconds(500);
  LoopbackNetwork net;
  CellResult r = RunCell(spec, {&t, nullptr}, config, net, nullptr);
  ASSERT_TRUE(r.status.ok()) << r.status;
  ExpectSlicesAccountForTheWindow(r.sample, 128);
  uint64_t max_ns = 0;
  for (const record::Slice& slice : r.sample.slices()) {
    if (slice.messages() == 0) continue;
    ASSERT_TRUE(slice.has_latency_p50_us());
    EXPECT_LE(slice.latency_p50_us(), slice.latency_p99_us());
    EXPECT_LE(slice.latency_max_us(), r.sample.latency().max_us());
    max_ns = std::max<uint64_t>(
        max_ns, static_cast<uint64_t>(slice.latency_max_us() * 1e3 + 0.5));
  }
  // The slowest round trip of the sample is the slowest of some slice.
  EXPECT_EQ(max_ns,
            static_cast<uint64_t>(r.sample.latency().max_us() * 1e3 + 0.5));
}

// crr: a connection per transaction.

CellSpec Crr(uint64_t size, int threads = 1) {
  CellSpec s = Spec(size, 1);
  s.mode = config::Mode::kConnectRequestResponse;
  s.threads = threads;
  return s;
}

std::map<std::string, uint64_t> Map(
    const google::protobuf::RepeatedPtrField<record::NamedCount>& counts) {
  std::map<std::string, uint64_t> out;
  for (const record::NamedCount& c : counts) out[c.name()] += c.value();
  return out;
}

TEST(CrrTest, CountModeMakesEveryTransactionOnAConnectionOfItsOwn) {
  cs_transport t = FakeTransport();
  CellSpec spec = Crr(64, 2);
  spec.request_size = 100;
  spec.response_size = 300;
  LoopbackNetwork net;
  CellResult r = RunCell(spec, {&t, nullptr}, Counted(200, 20), net, nullptr);
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_EQ(r.sample.connections_size(), 2);
  for (const record::Connection& c : r.sample.connections()) {
    EXPECT_EQ(c.messages(), 200u);
    EXPECT_EQ(c.bytes(), 200u * 400);
    EXPECT_EQ(c.tx_messages_total(), 220u);
    EXPECT_EQ(c.rx_messages_total(), 220u);
    EXPECT_GT(c.window_s(), 0);
    // Every endpoint's counters add up: one message each way per
    // transaction, on 220 endpoints a side (and the server's last, which
    // only saw the client's end).
    EXPECT_EQ(Map(c.server_counters()),
              (std::map<std::string, uint64_t>{{"fake_received", 220},
                                               {"fake_sent", 220}}));
    EXPECT_EQ(Map(c.client_counters()), Map(c.server_counters()));
    // No socket lives across the window's edges: said, not zeros.
    for (const record::TcpEnd* end : {&c.server_tcp(), &c.client_tcp()}) {
      EXPECT_TRUE(absl::StartsWith(end->not_read(), "not read in crr"))
          << end->not_read();
      EXPECT_TRUE(end->counters().empty());
    }
  }
  EXPECT_EQ(r.sample.latency().count(), 400u);
  // Each side read its namespace's connection setup at its window's edges.
  ASSERT_EQ(r.sample.connection_setup_size(), 2);
  std::set<std::string> sides;
  for (const record::ConnectionSetup& c : r.sample.connection_setup()) {
    sides.insert(c.side());
    EXPECT_EQ(c.error(), "");
    EXPECT_TRUE(c.has_time_wait_start());
    EXPECT_TRUE(c.has_time_wait_end());
    EXPECT_FALSE(c.tcp_ext().empty());
  }
  EXPECT_EQ(sides, (std::set<std::string>{"server", "client"}));
  for (const record::ConnectionSetup& c : r.sample.connection_setup()) {
    EXPECT_GT(c.ephemeral_ports(), 0u);
    // Each client thread connected 220 times, and once more to end.
    EXPECT_EQ(c.has_connections_to_one_port(), c.side() == "client");
    if (c.side() == "client") {
      EXPECT_EQ(c.connections_to_one_port(), 221u);
    }
  }
}

TEST(CrrTest, DurationModeTimesWholeTransactions) {
  cs_transport t = FakeTransport();
  RunnerConfig config;
  config.warmup = absl::Milliseconds(10);
  config.duration = absl::Milliseconds(60);
  config.interval = absl::Milliseconds(10);
  LoopbackNetwork net;
  CellResult r = RunCell(Crr(64), {&t, nullptr}, config, net, nullptr);
  ASSERT_TRUE(r.status.ok()) << r.status;
  const record::Connection& c = r.sample.connections(0);
  EXPECT_GT(c.messages(), 0u);
  EXPECT_EQ(r.sample.latency().count(), c.messages());
  EXPECT_GE(c.tx_messages_total(), c.messages());
  EXPECT_EQ(c.tx_messages_total(), c.rx_messages_total());
  ExpectSlicesAccountForTheWindow(r.sample, 128);
}

TEST(CrrTest, AsyncReleaseIsDrainedEveryTransaction) {
  cs_transport t = FakeTransportAsync();
  LoopbackNetwork net;
  CellResult r =
      RunCell(Crr(4096), {&t, nullptr}, Verifying(100), net, nullptr);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.sample.connections(0).messages(), 100u);
}

TEST(CrrTest, VerifyNumbersMessagesAcrossTransactions) {
  cs_transport t = FakeTransport();
  CellSpec spec = Crr(1000, 2);
  LoopbackNetwork net;
  // Both sides number the messages of a direction across connections: a
  // mismatch would be corrupt at message 1.
  CellResult r = RunCell(spec, {&t, nullptr}, Verifying(150), net, nullptr);
  ASSERT_TRUE(r.status.ok()) << r.status;
  // The fake flips the first message of every endpoint: transaction 0's.
  spec.options = {{"flip_message", "0"}, {"flip_offset", "999"}};
  r = RunCell(spec, {&t, nullptr}, Verifying(150), net, nullptr);
  EXPECT_EQ(r.sample.status(), "corrupt: message 0 offset 999");
}

int NoPortsLeft(int, const struct sockaddr*, socklen_t) {
  errno = EADDRNOTAVAIL;
  return -1;
}

std::atomic<int> connects_left{0};
int PortsRunOut(int fd, const struct sockaddr* addr, socklen_t len) {
  if (connects_left.fetch_sub(1) <= 0) return NoPortsLeft(fd, addr, len);
  return connect(fd, addr, len);
}

// A fake /proc whose figures the message must quote.
std::string FakeProc() {
  const std::string root = absl::StrCat(std::getenv("TEST_TMPDIR"), "/proc");
  for (const char* d : {"", "/thread-self", "/thread-self/net", "/sys",
                        "/sys/net", "/sys/net/ipv4"}) {
    mkdir((root + d).c_str(), 0755);
  }
  std::ofstream(root + "/thread-self/net/sockstat")
      << "TCP: inuse 3 orphan 0 tw 28229 alloc 5 mem 1\n";
  std::ofstream(root + "/thread-self/net/netstat")
      << "TcpExt: ListenOverflows ListenDrops\nTcpExt: 0 0\n";
  std::ofstream(root + "/sys/net/ipv4/ip_local_port_range") << "32768 60999\n";
  std::ofstream(root + "/sys/net/ipv4/tcp_tw_reuse") << "0\n";
  return root;
}

TEST(CrrTest, ExhaustedEphemeralPortsAreNamed) {
  cs_transport t = FakeTransport();
  LoopbackNetwork net;
  RunnerConfig config = Counted(100);
  config.proc_root = FakeProc();
  const std::string want =
      "client 0: ephemeral ports exhausted: 28229 sockets in TIME_WAIT "
      "(/proc/net/sockstat), net.ipv4.ip_local_port_range 32768-60999 (28232 "
      "ports), net.ipv4.tcp_tw_reuse 0; each transaction leaves its client "
      "socket in TIME_WAIT for 60 s";
  // At the first connection, and after 50: the server, waiting in accept()
  // for a connection that never comes, is stopped, not waited for.
  for (int before : {0, 50}) {
    SCOPED_TRACE(before);
    connects_left = before;
    config.connect_for_testing = PortsRunOut;
    const absl::Time t0 = absl::Now();
    CellResult r = RunCell(Crr(64), {&t, nullptr}, config, net, nullptr);
    EXPECT_LT(absl::Now() - t0, absl::Seconds(5));
    EXPECT_EQ(r.status.code(), absl::StatusCode::kResourceExhausted)
        << r.status;
    EXPECT_TRUE(absl::StartsWith(r.status.message(), want)) << r.status;
    EXPECT_TRUE(absl::StartsWith(r.sample.status(), "failed: " + want))
        << r.sample.status();
  }
}

TEST(CrrTest, OtherConnectErrorsSayWhere) {
  cs_transport t = FakeTransport();
  LoopbackNetwork net;
  RunnerConfig config = Counted(10);
  config.connect_for_testing = [](int, const struct sockaddr*, socklen_t) {
    errno = ECONNREFUSED;
    return -1;
  };
  CellResult r = RunCell(Crr(64), {&t, nullptr}, config, net, nullptr);
  EXPECT_TRUE(
      absl::StartsWith(r.status.message(), "client 0: connect to 127.0.0.1:"))
      << r.status;
  EXPECT_TRUE(absl::EndsWith(r.status.message(), ": Connection refused"))
      << r.status;
}

TEST(CrrTest, AnEndpointThatWillNotOpenFailsTheCell) {
  cs_transport t = FakeTransport();
  static std::atomic<int> opens{0};
  opens = 0;
  t.open = [](const cs_endpoint_config* config, cs_endpoint** out, char* err,
              size_t err_size) {
    if (++opens > 40) {
      std::snprintf(err, err_size, "no more");
      return -EMFILE;
    }
    return FakeOpen(config, out, err, err_size);
  };
  LoopbackNetwork net;
  const absl::Time t0 = absl::Now();
  CellResult r = RunCell(Crr(64), {&t, nullptr}, Counted(100), net, nullptr);
  EXPECT_LT(absl::Now() - t0, absl::Seconds(5));
  EXPECT_EQ(r.status.code(), absl::StatusCode::kResourceExhausted) << r.status;
  EXPECT_TRUE(absl::StrContains(r.status.message(), "open failed")) << r.status;
  EXPECT_TRUE(absl::StrContains(r.status.message(), "no more")) << r.status;
}

TEST(SlicesTest, NoIntervalNoSlices) {
  cs_transport t = FakeTransport();
  LoopbackNetwork net;
  CellResult r =
      RunCell(Spec(1024, 1), {&t, nullptr}, Counted(100), net, nullptr);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.sample.slices_size(), 0);
}

}  // namespace
}  // namespace copyscope::engine
