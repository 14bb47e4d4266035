// Tests of the ABI functions TransportAbi<T> makes from an endpoint class:
// the checks they make before a transport's own code runs, and the order
// of open()'s steps.
#include "transports/common/endpoint.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "gtest/gtest.h"
#include "transports/common/probe.h"
#include "transports/common/test_util.h"

namespace copyscope::transports::unit {
namespace {

const cs_option_desc kOptions[] = {{"level", "1", "1..3"}};

// Counts what the transport's own code was asked to do.
struct Calls {
  int configured = 0;
  int set_up = 0;
  int closed = 0;
  int destroyed = 0;
  int sent = 0;
};
Calls g_calls;

struct FakeEndpoint : EndpointBase<FakeEndpoint> {
  struct Options {
    int level = 1;
  };
  static constexpr OptionTable kOptionTable = OptionsOf(kOptions);

  ~FakeEndpoint() { ++g_calls.destroyed; }

  static int Configure(const cs_endpoint_config& config, Options* o, char* err,
                       size_t err_size) {
    ++g_calls.configured;
    const char* text = FindOption(&config, "level");
    if (text != nullptr) o->level = text[0] - '0';
    if (o->level < 1 || o->level > 3) {
      FormatInto(err, err_size, "option level='%s' is not 1..3", text);
      return -EINVAL;
    }
    return 0;
  }
  int Setup(const cs_endpoint_config&, const Options& o, char* err,
            size_t err_size) {
    ++g_calls.set_up;
    level = o.level;
    max_message_len = 8;
    if (level == 3) {
      FormatInto(err, err_size, "open: level 3 fails in setup");
      return -ENOTSUP;
    }
    return 0;
  }
  void OnClose() { ++g_calls.closed; }
  int SendMessage(const cs_message& msg) {
    ++g_calls.sent;
    if (msg.tag == 99) return error.Set(-EPIPE, "send: tag 99 fails");
    return 0;
  }
  void ListCounters(CounterList* c) const {
    c->AddSendCounters(SendCounters{4, 1});
    c->Add("level", (uint64_t)level);
  }

  int level = 0;
};

const cs_transport kFake = MakeTransport<FakeEndpoint>(
    "fake", "1.0", "a transport of the tests", CS_CAP_RECV, ProbeNothing);

cs_endpoint_config WithLevel(int fd, uint32_t role, cs_option* opt,
                             const char* level) {
  cs_endpoint_config c = Config(fd, role, 8);
  *opt = {"level", level};
  c.options = opt;
  c.option_count = 1;
  return c;
}

TEST(Endpoint, DescriptorCarriesTheEndpointsOptions) {
  EXPECT_STREQ(kFake.name, "fake");
  EXPECT_EQ(kFake.struct_size, CS_TRANSPORT_STRUCT_SIZE);
  EXPECT_EQ(kFake.options, kOptions);
  EXPECT_EQ(kFake.option_count, 1u);
  char why[16] = "x";
  EXPECT_EQ(kFake.probe(why, sizeof(why)), 0);
  EXPECT_STREQ(why, "");
}

TEST(Endpoint, NullHandles) {
  EXPECT_EQ(kFake.send(nullptr, nullptr, 0), -EINVAL);
  EXPECT_EQ(kFake.reap(nullptr, nullptr, 0, 0), -EINVAL);
  EXPECT_EQ(kFake.recv(nullptr, nullptr), -EINVAL);
  EXPECT_EQ(kFake.counters(nullptr, nullptr, 0), 0u);
  EXPECT_STREQ(kFake.last_error(nullptr), "endpoint is NULL");
  kFake.close(nullptr);
  char err[64];
  cs_endpoint_config c = Config(0, CS_ROLE_SENDER, 8);
  EXPECT_EQ(kFake.open(&c, nullptr, err, sizeof(err)), -EINVAL);
  EXPECT_STREQ(err, "open: out is NULL");
}

TEST(Endpoint, OpenChecksKeysThenConfiguresThenSetsUp) {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0));
  g_calls = Calls();
  OwnedEndpoint ep(&kFake);
  cs_option opt;
  cs_endpoint_config c = WithLevel(pair.a, CS_ROLE_SENDER, &opt, "1");
  opt.key = "depth";
  EXPECT_EQ(ep.Open(c), -EINVAL);
  EXPECT_STREQ(ep.err, "unknown option 'depth' (known: level)");
  EXPECT_EQ(g_calls.configured, 0);

  c = WithLevel(pair.a, CS_ROLE_SENDER, &opt, "7");
  EXPECT_EQ(ep.Open(c), -EINVAL);
  EXPECT_EQ(g_calls.configured, 1);
  EXPECT_EQ(g_calls.set_up, 0);
  EXPECT_EQ(ep.ep, nullptr);

  c = WithLevel(pair.a, CS_ROLE_SENDER, &opt, "3");
  EXPECT_EQ(ep.Open(c), -ENOTSUP);
  EXPECT_STREQ(ep.err, "open: level 3 fails in setup");
  EXPECT_EQ(g_calls.destroyed, 1);  // a failed setup deletes the endpoint
  EXPECT_EQ(g_calls.closed, 0);
  EXPECT_EQ(ep.ep, nullptr);

  c = WithLevel(pair.a, CS_ROLE_SENDER, &opt, "2");
  ASSERT_EQ(ep.Open(c), 0) << ep.err;
  EXPECT_EQ(ep.Counter("send_calls"), 4u);
  EXPECT_EQ(ep.Counter("short_writes"), 1u);
  EXPECT_EQ(ep.Counter("level"), 2u);
  EXPECT_EQ(kFake.counters(ep.ep, nullptr, 0), 3u);
  ep.Close();
  EXPECT_EQ(g_calls.closed, 1);
  EXPECT_EQ(g_calls.destroyed, 2);
}

// ABI 1.3: a stream transport takes stream sockets only, a datagram one
// (kDatagram) datagram sockets only, and each says which it was offered.
struct FakeDatagramEndpoint : EndpointBase<FakeDatagramEndpoint> {
  static constexpr bool kDatagram = true;
  int SendMessage(const cs_message&) { return 0; }
  void ListCounters(CounterList*) const {}
};
const cs_transport kFakeDatagram = MakeTransport<FakeDatagramEndpoint>(
    "fake_datagram", "1.0", "a datagram transport of the tests",
    CS_CAP_RECV | CS_CAP_DATAGRAM, ProbeNothing);

TEST(Endpoint, EachTransportTakesItsKindOfSocket) {
  TcpPair tcp;
  ASSERT_TRUE(tcp.Connect(0));
  int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(udp, 0);
  OwnedEndpoint stream(&kFake), datagram(&kFakeDatagram);
  cs_endpoint_config c = Config(tcp.a, CS_ROLE_SENDER, 8);
  c.socket_type = CS_SOCKET_DATAGRAM;
  EXPECT_EQ(stream.Open(c), -EPROTOTYPE);
  EXPECT_NE(std::string(stream.err).find("stream sockets only"),
            std::string::npos)
      << stream.err;
  c.socket_type = CS_SOCKET_STREAM;
  EXPECT_EQ(datagram.Open(c), -EPROTOTYPE);
  EXPECT_NE(std::string(datagram.err).find("needs a datagram socket"),
            std::string::npos)
      << datagram.err;
  // A 1.2 host's config has no socket_type: a stream socket.
  c.struct_size = CS_ENDPOINT_CONFIG_STRUCT_SIZE_1_1;
  c.socket_type = CS_SOCKET_DATAGRAM;
  EXPECT_EQ(datagram.Open(c), -EPROTOTYPE);
  EXPECT_NE(std::string(datagram.err).find("older than ABI 1.3"),
            std::string::npos)
      << datagram.err;
  EXPECT_EQ(stream.Open(c), 0) << stream.err;
  stream.Close();
  // The socket must be what socket_type says.
  c = Config(tcp.a, CS_ROLE_SENDER, 8);
  c.socket_type = CS_SOCKET_DATAGRAM;
  EXPECT_EQ(datagram.Open(c), -EPROTOTYPE);
  EXPECT_NE(std::string(datagram.err).find("is not a datagram socket"),
            std::string::npos)
      << datagram.err;
  c.fd = udp;
  EXPECT_EQ(datagram.Open(c), 0) << datagram.err;
  datagram.Close();
  close(udp);
}

TEST(Endpoint, RolesAreChecked) {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0));
  OwnedEndpoint sender(&kFake), receiver(&kFake);
  ASSERT_EQ(sender.Open(Config(pair.a, CS_ROLE_SENDER, 8)), 0) << sender.err;
  ASSERT_EQ(receiver.Open(Config(pair.b, CS_ROLE_RECEIVER, 8)), 0);
  char buf[4];
  EXPECT_EQ(sender.Recv(buf, sizeof(buf)), -EINVAL);
  EXPECT_EQ(sender.LastError(), "recv: endpoint was opened as a sender");
  cs_message msg = {nullptr, 0, 0, 0};
  EXPECT_EQ(kFake.send(receiver.ep, &msg, 1), -EINVAL);
  EXPECT_EQ(receiver.LastError(), "send: endpoint was opened as a receiver");
  EXPECT_EQ(kFake.reap(sender.ep, nullptr, 0, 0), 0);
}

// SO_RCVTIMEO's value on fd, in milliseconds (0: no timeout).
long ReceiveTimeoutMs(int fd) {
  struct timeval tv = {};
  socklen_t len = sizeof(tv);
  if (getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &len) != 0) return -1;
  return tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

TEST(Endpoint, SocketTimeoutsOnlyWhenTheHostDoesNotUnblock) {
  for (bool host_unblocks : {false, true}) {
    SCOPED_TRACE(host_unblocks ? "host unblocks" : "1.0 behaviour");
    TcpPair pair;
    ASSERT_TRUE(pair.Connect(0));
    OwnedEndpoint receiver(&kFake);
    cs_endpoint_config c = Config(pair.b, CS_ROLE_RECEIVER, 8, 2500);
    if (host_unblocks) c.flags = CS_ENDPOINT_HOST_UNBLOCKS;
    ASSERT_EQ(receiver.Open(c), 0) << receiver.err;
    EXPECT_EQ(ReceiveTimeoutMs(pair.b), host_unblocks ? 0 : 2500);
  }
}

TEST(Endpoint, BadMessagesLeaveTheEndpointUsableAFailureBreaksIt) {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0));
  g_calls = Calls();
  OwnedEndpoint sender(&kFake);
  ASSERT_EQ(sender.Open(Config(pair.a, CS_ROLE_SENDER, 8)), 0) << sender.err;
  char data[16] = "0123456789abcde";
  iovec iov = {data, 9};
  cs_message msgs[2] = {{&iov, 1, 0, 1}, {&iov, 1, 0, 99}};
  EXPECT_EQ(kFake.send(sender.ep, msgs, 1), -EMSGSIZE);  // above 8 bytes
  EXPECT_EQ(g_calls.sent, 0);
  iov.iov_len = 8;
  EXPECT_EQ(kFake.send(sender.ep, msgs, 1), 0);
  EXPECT_EQ(kFake.send(sender.ep, msgs, 2), -EPIPE);
  EXPECT_EQ(g_calls.sent, 3);
  EXPECT_EQ(kFake.send(sender.ep, msgs, 1), -EPIPE);  // broken
  EXPECT_EQ(g_calls.sent, 3);
  EXPECT_EQ(sender.LastError(), "send: tag 99 fails");
}

TEST(Endpoint, ReceivesExactlyTheMessage) {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0));
  OwnedEndpoint receiver(&kFake);
  ASSERT_EQ(receiver.Open(Config(pair.b, CS_ROLE_RECEIVER, 8)), 0);
  ASSERT_EQ(send(pair.a, "abcdef", 6, 0), 6);
  char buf[6];
  ASSERT_EQ(receiver.Recv(buf, 6), 0) << receiver.LastError();
  EXPECT_EQ(std::string(buf, 6), "abcdef");
  cs_recv_args args = {};
  args.struct_size = CS_RECV_ARGS_STRUCT_SIZE;
  EXPECT_EQ(kFake.recv(receiver.ep, &args), -EINVAL);  // no buffer
  close(pair.a);
  pair.a = -1;
  EXPECT_EQ(receiver.Recv(buf, 6), -EPIPE);
}

TEST(Endpoint, TransportForHostChecksTheHost) {
  cs_host host = HostV1();
  EXPECT_EQ(TransportForHost(&host, &kFake), &kFake);
  EXPECT_EQ(TransportForHost(nullptr, &kFake), nullptr);
  host.abi_major = CS_ABI_MAJOR + 1;
  EXPECT_EQ(TransportForHost(&host, &kFake), nullptr);
  host = HostV1();
  host.struct_size = 4;
  EXPECT_EQ(TransportForHost(&host, &kFake), nullptr);
}

// The entry symbol the macro defines hands out the descriptor, checking the
// host as TransportForHost does.
TEST(Endpoint, EntryMacroDefinesTheEntrySymbol) {
  cs_host host = HostV1();
  EXPECT_EQ(copyscope_transport_entry(&host), &kFake);
  host.abi_major = CS_ABI_MAJOR + 1;
  EXPECT_EQ(copyscope_transport_entry(&host), nullptr);
  EXPECT_EQ(copyscope_transport_entry(nullptr), nullptr);
}

TEST(Endpoint, CounterListKeepsAtMostItsCapacity) {
  CounterList list;
  for (uint32_t i = 0; i < CounterList::kCapacity + 2; ++i) list.Add("c", i);
  EXPECT_EQ(list.size(), CounterList::kCapacity);
  EXPECT_EQ(list.data()[CounterList::kCapacity - 1].value,
            CounterList::kCapacity - 1);
}

}  // namespace
}  // namespace copyscope::transports::unit

COPYSCOPE_TRANSPORT_ENTRY(copyscope::transports::unit::kFake);
