#include "tests/conformance/conformance.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "harness/engine/payload.h"
#include "plugins/loader.h"
#include "tests/conformance/stream.h"

namespace copyscope::conformance {
namespace {

std::vector<const cs_transport*>& Registry() {
  static auto* transports = new std::vector<const cs_transport*>;
  return *transports;
}

// Small socket buffers for the partial-write checks. The sender's 4 KiB
// SO_SNDBUF makes every large write partial. The receiver's buffer is
// 16 KiB rather than 4 KiB: with 4 KiB, MSG_ZEROCOPY over loopback (whose
// receive-side copies have a poor length-to-truesize ratio) shrinks the
// advertised window below one segment and the stream crawls on the TCP
// persist timer; that is a kernel property, not what is checked here.
constexpr int kSmallSendBuffer = 4096;
constexpr int kSmallRecvBuffer = 16384;

// Why a datagram transport skips a check (its own are in datagram.cc).
constexpr char kStreamCheck[] =
    "a check on stream sockets; the transport is a datagram one (see the "
    "Datagram checks)";

// Every message size and field count of the integrity check.
constexpr size_t kSizes[] = {1, 7, 64, 1000, 4096, 65536 + 3, 1 << 20};
constexpr uint32_t kFieldCounts[] = {1, 3, 8, 64};

// Enough messages to cross buffer boundaries, bounded in bytes.
uint32_t MessagesFor(size_t size) {
  return static_cast<uint32_t>(std::clamp<size_t>((4u << 20) / size, 3, 24));
}

// Sends into a connection whose peer is gone until the plugin reports an
// error (from send() or, for asynchronous transports, reap()). Returns the
// error, or 0 if none came within `attempts` messages.
int SendUntilError(const cs_transport* t, const Endpoint& sender,
                   int attempts) {
  std::vector<uint8_t> data(65536, 0x5A);  // never written again
  struct iovec iov[4];
  for (int i = 0; i < 4; ++i) iov[i] = {data.data() + i * 16384, 16384};
  uint64_t tags[16];
  for (int i = 0; i < attempts; ++i) {
    cs_message msg = {iov, 4, 0, static_cast<uint64_t>(i)};
    int rc = t->send(sender.get(), &msg, 1);
    if (rc < 0) return rc;
    rc = t->reap(sender.get(), tags, 16, 0);
    if (rc < 0) return rc;
  }
  return 0;
}

}  // namespace

void AddTransport(const cs_transport* transport) {
  Registry().push_back(transport);
}

const std::vector<const cs_transport*>& Transports() { return Registry(); }

std::string TransportName(
    const ::testing::TestParamInfo<const cs_transport*>& info) {
  std::string name = info.param->name;
  for (char& c : name) {
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

bool IsLowerSnakeCase(const std::string& name) {
  if (name.empty() || name[0] < 'a' || name[0] > 'z') return false;
  if (name.back() == '_' || name.find("__") != std::string::npos) return false;
  for (char c : name) {
    if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') && c != '_') {
      return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------
// The descriptor.

TEST_P(TransportConformance, DescriptorPassesTheLoadersValidation) {
  const cs_transport* t = transport();
  EXPECT_EQ(plugins::ValidateDescriptor(t), "");
  EXPECT_TRUE(IsLowerSnakeCase(t->name)) << t->name;
  EXPECT_GT(strlen(t->version), 0u);
  EXPECT_GT(strlen(t->description), 0u);
  EXPECT_EQ(strchr(t->description, '\n'), nullptr) << "one line, please";
  for (uint32_t i = 0; i < t->option_count; ++i) {
    const cs_option_desc& o = t->options[i];
    EXPECT_TRUE(IsLowerSnakeCase(o.key)) << o.key;
    EXPECT_TRUE(o.help != nullptr && o.help[0] != '\0') << o.key;
  }
  if (t->abi_minor < 2) {
    EXPECT_EQ(t->capabilities & ~((CS_CAP_RECV_IN_PLACE << 1) - 1), 0u)
        << "capability bits unknown to ABI 1.0 and 1.1";
  }
  if (t->abi_minor < 3) {
    EXPECT_EQ(t->capabilities & ~((CS_CAP_RECV_DISCARDS << 1) - 1), 0u)
        << "capability bits unknown to ABI 1.2";
  }
}

TEST_P(TransportConformance, ProbeSucceedsAndTerminatesItsMessage) {
  char why[64];
  memset(why, 'x', sizeof(why));
  EXPECT_EQ(transport()->probe(why, sizeof(why)), 0);
  EXPECT_NE(memchr(why, '\0', sizeof(why)), nullptr);
  char tiny[1] = {'x'};
  EXPECT_EQ(transport()->probe(tiny, sizeof(tiny)), 0);
  EXPECT_EQ(tiny[0], '\0');
}

// ---------------------------------------------------------------------------
// Integrity.

TEST_P(TransportConformance, ByteExactAcrossSizesAndFieldCounts) {
  if (datagram()) GTEST_SKIP() << kStreamCheck;
  if (!can_send()) GTEST_SKIP() << "the plugin only receives";
  for (size_t size : kSizes) {
    for (uint32_t fields : kFieldCounts) {
      if (fields > size && fields != kFieldCounts[0]) continue;  // same as 1
      StreamSpec spec;
      spec.message_size = size;
      spec.fields = fields;
      spec.messages = MessagesFor(size);
      spec.seed = size * 131 + fields;
      EXPECT_EQ(RunStream(transport(), spec), "")
          << size << " bytes in " << fields << " fields";
    }
  }
}

// Over TCP/IPv6 (::1) every plugin must be byte-exact, as over IPv4. Over
// a Unix stream socket a plugin may not apply (MSG_ZEROCOPY, TCP-only
// receive paths): it must then refuse at open() or at its first send(),
// (an asynchronous sender: at the next) with a message of its own and an
// errno that says so (EOPNOTSUPP, EPROTONOSUPPORT, ENODEV), never corrupt
// or hang; the refusal is printed
// ("does not apply over AF_UNIX: ...").
TEST_P(TransportConformance, ByteExactOverInet6AndUnixWhereTheyApply) {
  if (!can_send()) GTEST_SKIP() << "the plugin only receives";
  if ((transport()->capabilities & CS_CAP_DATAGRAM) != 0) {
    GTEST_SKIP() << "a datagram transport: the datagram tests check it, over "
                    "IPv4, the one family datagram cells run on";
  }
  for (int family : {AF_INET6, AF_UNIX}) {
    const char* name = family == AF_UNIX ? "AF_UNIX" : "AF_INET6";
    for (size_t size :
         {size_t{64}, size_t{4096}, size_t{65536 + 3}, size_t{1} << 20}) {
      StreamSpec spec;
      spec.message_size = size;
      spec.fields = size == 64 ? 1 : 8;
      spec.messages = MessagesFor(size);
      spec.seed = size * 17 + static_cast<uint64_t>(family);
      spec.link.family = family;
      const std::string failure = RunStream(transport(), spec);
      if (failure.empty()) continue;
      // An asynchronous sender may report the first message's refusal at
      // its next send(): the errno says "not on this socket" either way.
      const bool not_here =
          absl::StrContains(failure,
                            absl::StrCat("returned ", -EOPNOTSUPP, ": ")) ||
          absl::StrContains(
              failure, absl::StrCat("returned ", -EPROTONOSUPPORT, ": ")) ||
          absl::StrContains(failure, absl::StrCat("returned ", -ENODEV, ": "));
      const bool refused =
          absl::StartsWith(failure, "open(") ||
          (absl::StrContains(failure, "send() of messages") && not_here);
      if (family == AF_UNIX && refused && failure.find(": ") != failure.npos &&
          !absl::EndsWith(failure, ": ")) {
        std::printf("%s does not apply over %s: %s\n", transport()->name, name,
                    failure.c_str());
        break;  // the same refusal at every size
      }
      ADD_FAILURE() << name << ", " << size << " bytes: " << failure;
    }
  }
}

TEST_P(TransportConformance, ByteExactWithPartialWritesOnSmallSocketBuffers) {
  if (datagram()) GTEST_SKIP() << kStreamCheck;
  if (!can_send()) GTEST_SKIP() << "the plugin only receives";
  for (bool non_blocking : {false, true}) {
    StreamSpec spec;
    spec.message_size = 256 * 1024;
    spec.fields = 8;
    spec.messages = 8;
    spec.seed = non_blocking ? 41 : 42;
    spec.link.send_buffer = kSmallSendBuffer;
    spec.link.recv_buffer = kSmallRecvBuffer;
    spec.link.non_blocking = non_blocking;
    EXPECT_EQ(RunStream(transport(), spec), "")
        << (non_blocking ? "non-blocking" : "blocking") << " sockets";
  }
}

TEST_P(TransportConformance, ByteExactOnNonBlockingSockets) {
  if (datagram()) GTEST_SKIP() << kStreamCheck;
  if (!can_send()) GTEST_SKIP() << "the plugin only receives";
  for (size_t size :
       {size_t{64}, size_t{4096}, size_t{65536 + 3}, size_t{1} << 20}) {
    StreamSpec spec;
    spec.message_size = size;
    spec.fields = 5;
    spec.messages = MessagesFor(size);
    spec.seed = size + 7;
    spec.link.non_blocking = true;
    EXPECT_EQ(RunStream(transport(), spec), "") << size << " bytes";
  }
}

// The host overwrites a buffer the moment it is free: at once after send()
// without CS_CAP_ASYNC_RELEASE, when reap() returns its tag with it. The
// receiver's small buffer and a late start keep bytes queued in the
// sender's socket while their buffers are in use, so releasing one early
// puts the overwrite pattern on the wire. Every tag must come back once.
TEST_P(TransportConformance, BuffersAreReusedOnlyAfterRelease) {
  if (datagram()) GTEST_SKIP() << kStreamCheck;
  if (!can_send()) GTEST_SKIP() << "the plugin only receives";
  for (bool late_receiver : {true, false}) {
    StreamSpec spec;
    spec.message_size = 64 * 1024;
    spec.fields = 4;
    spec.messages = 48;
    spec.max_batch = 4;
    spec.seed = late_receiver ? 77 : 78;
    spec.link.send_buffer = 1 << 20;  // the first batch fits
    spec.link.recv_buffer = kSmallRecvBuffer;
    spec.receiver_waits_for_first_send = late_receiver;
    EXPECT_EQ(RunStream(transport(), spec), "")
        << (late_receiver ? "receiver started late" : "receiver at once");
  }
}

// ---------------------------------------------------------------------------
// A peer that goes away.

TEST_P(TransportConformance, ReceiverGetsEpipeWhenPeerClosesMidMessage) {
  if (datagram()) GTEST_SKIP() << kStreamCheck;
  if (!can_recv()) GTEST_SKIP() << "the plugin does not receive";
  for (size_t sent : {size_t{32768}, size_t{0}}) {
    SCOPED_TRACE(absl::StrCat("peer closes after ", sent, " of 65536 bytes"));
    TcpLink link;
    ASSERT_EQ(link.Connect({}), "");
    Endpoint receiver(transport());
    ASSERT_EQ(receiver.Open(link.receiver_fd(), CS_ROLE_RECEIVER, 65536), 0)
        << receiver.open_error();
    std::vector<uint8_t> half(sent, 0x33);
    if (sent > 0) {
      ASSERT_EQ(write(link.sender_fd(), half.data(), sent),
                static_cast<ssize_t>(sent));
    }
    link.CloseSender(/*reset=*/false);
    std::vector<uint8_t> buf(65536);
    std::vector<struct iovec> segments;
    EXPECT_EQ(receiver.Recv(buf.data(), buf.size(), &segments), -EPIPE);
    EXPECT_NE(receiver.LastError(), "");
  }
}

TEST_P(TransportConformance, ReceiverGetsAnErrorWhenPeerResets) {
  if (datagram()) GTEST_SKIP() << kStreamCheck;
  if (!can_recv()) GTEST_SKIP() << "the plugin does not receive";
  TcpLink link;
  ASSERT_EQ(link.Connect({}), "");
  Endpoint receiver(transport());
  ASSERT_EQ(receiver.Open(link.receiver_fd(), CS_ROLE_RECEIVER, 65536), 0);
  link.CloseSender(/*reset=*/true);
  std::vector<uint8_t> buf(65536);
  std::vector<struct iovec> segments;
  int rc = receiver.Recv(buf.data(), buf.size(), &segments);
  EXPECT_TRUE(rc == -EPIPE || rc == -ECONNRESET) << rc;
  EXPECT_NE(receiver.LastError(), "");
}

// Runs in a child process with SIGPIPE's default action (terminate): a
// plugin that forgets MSG_NOSIGNAL shows up as "killed by signal 13".
TEST_P(TransportConformance, SenderGetsAnErrorNotASignalWhenPeerCloses) {
  if (datagram()) GTEST_SKIP() << kStreamCheck;
  if (!can_send()) GTEST_SKIP() << "the plugin only receives";
  for (bool reset : {false, true}) {
    SCOPED_TRACE(reset ? "peer reset" : "peer closed");
    EXPECT_EXIT(
        {
          signal(SIGPIPE, SIG_DFL);
          TcpLink link;
          if (!link.Connect({}).empty()) _exit(2);
          Endpoint sender(transport());
          if (sender.Open(link.sender_fd(), CS_ROLE_SENDER, 65536) != 0) {
            _exit(3);
          }
          link.CloseReceiver(reset);
          int rc = SendUntilError(transport(), sender, 256);
          bool explained = sender.LastError() != "";
          sender.Close();
          // 0: an error with a message; 4: no error at all; 5: no message.
          _exit(rc >= 0 ? 4 : explained ? 0 : 5);
        },
        ::testing::ExitedWithCode(0), "")
        << "exit 4: 256 messages of 64 KiB went to a closed peer without an "
           "error; exit 5: an error without a last_error message";
  }
}

// ---------------------------------------------------------------------------
// Invalid arguments.

TEST_P(TransportConformance, UnknownOptionKeyIsRejected) {
  if (datagram()) GTEST_SKIP() << kStreamCheck;
  TcpLink link;
  ASSERT_EQ(link.Connect({}), "");
  Endpoint ep(transport());
  const char* key = "no_such_option_for_conformance";
  EXPECT_EQ(
      ep.Open(link.sender_fd(), can_send() ? CS_ROLE_SENDER : CS_ROLE_RECEIVER,
              4096, 8, 4, {{key, "1"}}),
      -EINVAL);
  EXPECT_EQ(ep.get(), nullptr);
  EXPECT_NE(ep.open_error().find(key), std::string::npos)
      << "the message should name the key: '" << ep.open_error() << "'";
}

TEST_P(TransportConformance, DeclaredOptionsAcceptTheirDefaults) {
  if (datagram()) GTEST_SKIP() << kStreamCheck;
  const cs_transport* t = transport();
  for (uint32_t i = 0; i < t->option_count; ++i) {
    const cs_option_desc& o = t->options[i];
    if (o.default_value == nullptr) continue;
    TcpLink link;
    ASSERT_EQ(link.Connect({}), "");
    Endpoint ep(t);
    EXPECT_EQ(ep.Open(link.sender_fd(),
                      can_send() ? CS_ROLE_SENDER : CS_ROLE_RECEIVER, 4096, 8,
                      4, {{o.key, o.default_value}}),
              0)
        << o.key << "=" << o.default_value << ": " << ep.open_error();
  }
}

TEST_P(TransportConformance, InvalidFdIsRejected) {
  Endpoint ep(transport());
  uint32_t role = can_send() ? CS_ROLE_SENDER : CS_ROLE_RECEIVER;
  int rc = ep.Open(-1, role, 4096);
  if (rc != 0) {
    EXPECT_LT(rc, 0);
    EXPECT_NE(ep.open_error(), "");
    return;
  }
  // Accepted at open: the first use must fail instead.
  std::vector<uint8_t> buf(4096);
  if (can_send()) {
    EXPECT_LT(SendUntilError(transport(), ep, 1), 0);
  } else {
    std::vector<struct iovec> segments;
    EXPECT_LT(ep.Recv(buf.data(), buf.size(), &segments), 0);
  }
  EXPECT_NE(ep.LastError(), "");
}

TEST_P(TransportConformance, ConfigWithTooSmallStructSizeIsRejected) {
  TcpLink link;
  ASSERT_EQ(link.Connect({}), "");
  cs_endpoint_config config = {};
  config.struct_size = 4;  // not even the role
  config.role = CS_ROLE_SENDER;
  config.fd = link.sender_fd();
  config.io_timeout_ms = kIoTimeoutMs;
  config.max_fields = 8;
  config.max_batch = 1;
  config.max_message_size = 4096;
  cs_endpoint* ep = nullptr;
  char err[256] = "";
  EXPECT_LT(transport()->open(&config, &ep, err, sizeof(err)), 0);
  EXPECT_EQ(ep, nullptr);
  EXPECT_GT(strlen(err), 0u);
  if (ep != nullptr) transport()->close(ep);
}

// True once thread `tid` (published by the thread itself) is asleep in the
// kernel (state S in /proc/self/task/<tid>/stat), polled every millisecond
// up to `limit`.
static bool WaitUntilAsleep(const std::atomic<pid_t>& tid,
                            std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    pid_t t = tid.load();
    if (t != 0) {
      std::ifstream stat(absl::StrCat("/proc/self/task/", t, "/stat"));
      std::string line;
      std::getline(stat, line);
      size_t paren = line.rfind(')');
      if (paren != std::string::npos && paren + 2 < line.size() &&
          line[paren + 2] == 'S') {
        return true;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

// A plugin built against ABI 1.1 or later still serves a 1.0 host, whose
// config ends before flags.
TEST_P(TransportConformance, AcceptsAConfigOfAbi10Size) {
  if (datagram()) GTEST_SKIP() << kStreamCheck;
  TcpLink link;
  ASSERT_EQ(link.Connect({}), "");
  cs_endpoint_config config = {};
  config.struct_size = CS_ENDPOINT_CONFIG_STRUCT_SIZE_1_0;
  config.role = can_send() ? CS_ROLE_SENDER : CS_ROLE_RECEIVER;
  config.fd = can_send() ? link.sender_fd() : link.receiver_fd();
  config.io_timeout_ms = kIoTimeoutMs;
  config.max_fields = 8;
  config.max_batch = 1;
  config.max_message_size = 4096;
  config.flags = 0xffffffffu;  // beyond struct_size: must not be read
  cs_endpoint* ep = nullptr;
  char err[256] = "";
  EXPECT_EQ(transport()->open(&config, &ep, err, sizeof(err)), 0) << err;
  if (ep != nullptr) transport()->close(ep);
}

// With CS_ENDPOINT_HOST_UNBLOCKS the host ends a connection by shutting its
// socket down: a receive blocked on it must return an error at once, not
// sit out io_timeout_ms (the sender stays open and silent throughout).
TEST_P(TransportConformance, BlockedRecvEndsWhenTheHostShutsTheSocketDown) {
  if (datagram()) GTEST_SKIP() << kStreamCheck;
  if (!can_recv()) GTEST_SKIP() << "the plugin does not receive";
  TcpLink link;
  ASSERT_EQ(link.Connect({}), "");
  cs_endpoint_config config = {};
  config.struct_size = CS_ENDPOINT_CONFIG_STRUCT_SIZE;
  config.role = CS_ROLE_RECEIVER;
  config.fd = link.receiver_fd();
  config.io_timeout_ms = 60000;  // far beyond what the test waits
  config.max_fields = 8;
  config.max_batch = 1;
  config.max_message_size = 4096;
  config.flags = CS_ENDPOINT_HOST_UNBLOCKS;
  cs_endpoint* ep = nullptr;
  char err[256] = "";
  ASSERT_EQ(transport()->open(&config, &ep, err, sizeof(err)), 0) << err;
  std::vector<uint8_t> buf(4096);
  cs_recv_args args = {};
  args.struct_size = CS_RECV_ARGS_STRUCT_SIZE;
  args.buf = buf.data();
  args.len = buf.size();
  std::promise<int> done;
  std::future<int> result = done.get_future();
  std::atomic<pid_t> tid{0};
  std::thread receiver([&] {
    tid.store(static_cast<pid_t>(syscall(SYS_gettid)));
    done.set_value(transport()->recv(ep, &args));
  });
  // Shut down once the receiver sleeps in the kernel (polled, bounded): the
  // case that matters is a call already blocked when the host ends it.
  EXPECT_TRUE(WaitUntilAsleep(tid, std::chrono::seconds(10)))
      << "the receiver never blocked; shutting down anyway";
  ASSERT_EQ(shutdown(link.receiver_fd(), SHUT_RDWR), 0);
  std::future_status waited = result.wait_for(std::chrono::seconds(30));
  if (waited != std::future_status::ready) {
    ADD_FAILURE() << "recv still blocked 30 s after shutdown";
    link.CloseSender(/*reset=*/true);  // last resort, so the test can end
  }
  receiver.join();
  EXPECT_LT(result.get(), 0);
  EXPECT_NE(std::string(transport()->last_error(ep)), "");
  transport()->close(ep);
}

TEST_P(TransportConformance, RecvRejectsZeroLengthAndNullBuffer) {
  if (datagram()) GTEST_SKIP() << kStreamCheck;
  if (!can_recv()) GTEST_SKIP() << "the plugin does not receive";
  TcpLink link;
  ASSERT_EQ(link.Connect({}), "");
  Endpoint receiver(transport());
  ASSERT_EQ(receiver.Open(link.receiver_fd(), CS_ROLE_RECEIVER, 4096), 0);
  std::vector<uint8_t> buf(16);
  std::vector<struct iovec> segments;
  EXPECT_EQ(receiver.Recv(buf.data(), 0, &segments), -EINVAL);
  EXPECT_NE(receiver.LastError(), "");
  EXPECT_EQ(receiver.Recv(nullptr, 16, &segments), -EINVAL);
  EXPECT_NE(receiver.LastError(), "");
}

TEST_P(TransportConformance, SendRejectsMessagesWithoutFields) {
  if (datagram()) GTEST_SKIP() << kStreamCheck;
  if (!can_send()) GTEST_SKIP() << "the plugin only receives";
  for (bool null_fields : {false, true}) {
    TcpLink link;
    ASSERT_EQ(link.Connect({}), "");
    Endpoint sender(transport());
    ASSERT_EQ(sender.Open(link.sender_fd(), CS_ROLE_SENDER, 4096), 0);
    char byte = 'z';
    struct iovec iov = {&byte, 1};
    cs_message msg = {null_fields ? nullptr : &iov, null_fields ? 1u : 0u, 0,
                      1};
    EXPECT_EQ(transport()->send(sender.get(), &msg, 1), -EINVAL)
        << (null_fields ? "fields is NULL" : "field_count is 0");
    EXPECT_NE(sender.LastError(), "");
  }
}

TEST_P(TransportConformance, ReapWithNothingInUseReturnsZero) {
  if (datagram()) GTEST_SKIP() << kStreamCheck;
  if (!can_send()) GTEST_SKIP() << "the plugin only receives";
  TcpLink link;
  ASSERT_EQ(link.Connect({}), "");
  Endpoint sender(transport());
  ASSERT_EQ(sender.Open(link.sender_fd(), CS_ROLE_SENDER, 4096), 0);
  uint64_t tags[4];
  EXPECT_EQ(transport()->reap(sender.get(), tags, 4, 0), 0);
}

// ---------------------------------------------------------------------------
// An endpoint per connection (copyscope --mode=crr).

namespace {

namespace payload = ::copyscope::engine::payload;

// Entries of /proc/self/fd or /proc/self/task: the process's open files or
// threads.
int CountEntries(const char* dir) {
  int n = 0;
  DIR* d = opendir(dir);
  if (d == nullptr) return -1;
  while (readdir(d) != nullptr) ++n;
  closedir(d);
  return n;
}

// Sends one single-field message of `len` bytes on `ep` and, with
// CS_CAP_ASYNC_RELEASE, waits until reap() gives its buffer back; "" or
// what failed.
std::string SendWhole(const cs_transport* t, const Endpoint& ep,
                      std::vector<uint8_t>* buf, uint64_t tag) {
  struct iovec iov = {buf->data(), buf->size()};
  cs_message msg = {&iov, 1, 0, tag};
  int rc = t->send(ep.get(), &msg, 1);
  if (rc < 0) return absl::StrCat("send: ", rc, ": ", ep.LastError());
  if ((t->capabilities & CS_CAP_ASYNC_RELEASE) == 0) return "";
  uint64_t got = 0;
  rc = t->reap(ep.get(), &got, 1, -1);
  if (rc != 1 || got != tag) {
    return absl::StrCat("reap() returned ", rc, " (tag ", got, ", sent ", tag,
                        "): ", ep.LastError());
  }
  return "";
}

// Receives one `len`-byte message on `ep` (the plugin's recv() if it has
// one, else plain recv()) and checks it against `key`; "" or what failed.
// A discarding plugin shows nothing to check.
std::string RecvWhole(const cs_transport* t, const Endpoint& ep, int fd,
                      size_t len, uint64_t key) {
  std::vector<uint8_t> buf(len);
  std::vector<struct iovec> segments;
  const bool plugin = (t->capabilities & CS_CAP_RECV) != 0;
  int rc = plugin ? const_cast<Endpoint&>(ep).Recv(buf.data(), len, &segments)
                  : PlainRecvAll(fd, buf.data(), len);
  if (rc != 0) {
    return absl::StrCat("recv: ", rc, plugin ? ": " + ep.LastError() : "");
  }
  if (plugin && (t->capabilities & CS_CAP_RECV_DISCARDS) != 0) return "";
  const uint64_t bad =
      segments.empty()
          ? (payload::Check(key, 0, buf.data(), len) == len ? payload::kIntact
                                                            : 0)
          : payload::CheckFields(key, segments.data(), segments.size());
  if (bad != payload::kIntact) return "the message arrived damaged";
  return "";
}

// One transaction on a connection of its own: the client's endpoint sends
// a request, the server's answers, both close, then the sockets.
std::string OneConnection(const cs_transport* t, uint64_t index) {
  constexpr size_t kRequest = 100, kResponse = 1000;
  TcpLink link;
  std::string e = link.Connect({});
  if (!e.empty()) return e;
  const uint32_t role =
      (t->capabilities & CS_CAP_RECV) != 0 ? CS_ROLE_BOTH : CS_ROLE_SENDER;
  Endpoint client(t), server(t);
  if (client.Open(link.sender_fd(), role, kResponse, 1, 1) != 0) {
    return "client open: " + client.open_error();
  }
  if (server.Open(link.receiver_fd(), role, kResponse, 1, 1) != 0) {
    return "server open: " + server.open_error();
  }
  const uint64_t ask = payload::Key(index, payload::kClientToServer, 0);
  const uint64_t answer = payload::Key(index, payload::kServerToClient, 0);
  std::vector<uint8_t> request(kRequest), response(kResponse);
  payload::Fill(ask, 0, request.data(), kRequest);
  payload::Fill(answer, 0, response.data(), kResponse);
  if (!(e = SendWhole(t, client, &request, 2 * index)).empty()) {
    return "request: " + e;
  }
  if (!(e = RecvWhole(t, server, link.receiver_fd(), kRequest, ask)).empty()) {
    return "request: " + e;
  }
  if (!(e = SendWhole(t, server, &response, 2 * index + 1)).empty()) {
    return "response: " + e;
  }
  if (!(e = RecvWhole(t, client, link.sender_fd(), kResponse, answer))
           .empty()) {
    return "response: " + e;
  }
  client.Close();  // the client first, as copyscope's crr does
  server.Close();
  return "";
}

}  // namespace

// copyscope --mode=crr opens and closes an endpoint per connection,
// thousands a second: each must carry its request and response whole and
// leave nothing behind when closed (no file descriptor, no thread).
TEST_P(TransportConformance, AnEndpointPerConnectionLeavesNothingBehind) {
  if (!can_send()) GTEST_SKIP() << "the plugin only receives";
  if ((transport()->capabilities & CS_CAP_DATAGRAM) != 0) {
    GTEST_SKIP() << "a datagram transport has no connections (crr is TCP)";
  }
  // The first may set up something for the process's lifetime.
  ASSERT_EQ(OneConnection(transport(), 0), "");
  const int fds = CountEntries("/proc/self/fd");
  const int threads = CountEntries("/proc/self/task");
  ASSERT_GT(fds, 0);
  constexpr int kConnections = 300;
  for (int i = 1; i <= kConnections; ++i) {
    ASSERT_EQ(OneConnection(transport(), i), "") << "connection " << i;
  }
  // What a plugin hands to the kernel to close (an io_uring's workers, say)
  // may take a moment to go: bounded, polled.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while ((CountEntries("/proc/self/fd") > fds ||
          CountEntries("/proc/self/task") > threads) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_LE(CountEntries("/proc/self/fd"), fds)
      << "file descriptors left open after " << kConnections << " endpoints";
  EXPECT_LE(CountEntries("/proc/self/task"), threads)
      << "threads left running after " << kConnections << " endpoints";
}

// ---------------------------------------------------------------------------
// Counters.

TEST_P(TransportConformance, CountersAreNamedAndMonotonic) {
  if (datagram()) GTEST_SKIP() << kStreamCheck;
  if (!can_send()) GTEST_SKIP() << "the plugin only receives";
  std::map<std::string, uint64_t> last;
  size_t count = 0;
  bool first = true;
  StreamSpec spec;
  spec.message_size = 65536;
  spec.fields = 8;
  spec.messages = 24;
  spec.after_send = [&](const Endpoint& sender) -> std::string {
    auto counters = sender.Counters();
    if (!first && counters.size() != count) {
      return absl::StrCat("the number of counters changed from ", count, " to ",
                          counters.size());
    }
    std::set<std::string> names;
    for (const auto& [name, value] : counters) {
      if (!IsLowerSnakeCase(name)) {
        return absl::StrCat("counter name '", name,
                            "' is not lower_snake_case");
      }
      if (!names.insert(name).second) {
        return absl::StrCat("counter '", name, "' appears twice");
      }
      if (!first && value < last[name]) {
        return absl::StrCat("counter ", name, " went down from ", last[name],
                            " to ", value);
      }
      last[name] = value;
    }
    count = counters.size();
    first = false;
    return "";
  };
  EXPECT_EQ(RunStream(transport(), spec), "");
}

INSTANTIATE_TEST_SUITE_P(Plugins, TransportConformance,
                         ::testing::ValuesIn(Transports()), TransportName);
// A binary whose plugins all turned out unavailable runs no checks; its own
// tests report why.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(TransportConformance);

}  // namespace copyscope::conformance
