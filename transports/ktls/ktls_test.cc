// Unit tests of ktls. Where the kernel has no TLS (CONFIG_TLS off, as on
// many build machines) they check the probe's reason and that open() fails
// with it; the round trips run where kernel TLS is available.
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "transports/common/socket_transport_tests.h"
#include "transports/ktls/ktls_probe.h"

namespace copyscope::transports::unit {
namespace {

const char kNoUlp[] =
    "the kernel has no TLS upper-layer protocol (CONFIG_TLS "
    "off, or the tls module not loaded)";

// A temporary directory of fake /proc and /sys files, removed afterwards.
struct FakeFiles {
  std::string dir;
  FakeFiles() {
    char tmpl[] = "/tmp/ktls_test.XXXXXX";
    const char* d = mkdtemp(tmpl);
    if (d != nullptr) dir = d;
  }
  ~FakeFiles() {
    unlink((dir + "/tcp_available_ulp").c_str());
    rmdir((dir + "/tls").c_str());
    rmdir(dir.c_str());
  }
  KtlsPaths Paths(const char* ulps, bool module) {
    available_ulp = dir + "/tcp_available_ulp";
    module_dir = dir + "/tls";
    std::ofstream(available_ulp) << ulps << "\n";
    if (module) mkdir(module_dir.c_str(), 0700);
    KtlsPaths p;
    p.available_ulp = available_ulp.c_str();
    p.module = module_dir.c_str();
    return p;
  }
  std::string available_ulp, module_dir;
};

TEST(Ktls, DescribesItself) {
  ExpectDescriptor("ktls", CS_CAP_SCATTER_GATHER | CS_CAP_RECV, {"sendfile"});
}

TEST(KtlsVerdict, EnoentSaysTheKernelHasNoTlsAndWhatWasChecked) {
  FakeFiles fake;
  ASSERT_FALSE(fake.dir.empty());
  KtlsPaths paths = fake.Paths("mptcp", false);
  char why[512];
  EXPECT_EQ(KtlsVerdict(ENOENT, paths, why, sizeof(why)), -ENOENT);
  std::string w = why;
  EXPECT_NE(w.find(kNoUlp), std::string::npos) << w;
  EXPECT_NE(w.find("ENOENT"), std::string::npos) << w;
  EXPECT_NE(w.find(fake.available_ulp + " lists 'mptcp' (no tls)"),
            std::string::npos)
      << w;
  EXPECT_NE(w.find(fake.module_dir + " is absent"), std::string::npos) << w;
}

TEST(KtlsVerdict, SuccessIsOkWhateverTheFilesSay) {
  FakeFiles fake;
  ASSERT_FALSE(fake.dir.empty());
  char why[512] = "x";
  EXPECT_EQ(KtlsVerdict(0, fake.Paths("mptcp tls", true), why, sizeof(why)), 0);
  EXPECT_STREQ(why, "");
}

TEST(KtlsVerdict, OtherErrorsAreNamedWithTheEvidence) {
  FakeFiles fake;
  ASSERT_FALSE(fake.dir.empty());
  KtlsPaths paths = fake.Paths("tls mptcp", true);
  char why[512];
  EXPECT_EQ(KtlsVerdict(EPERM, paths, why, sizeof(why)), -EPERM);
  EXPECT_NE(std::string(why).find("not permitted"), std::string::npos) << why;
  EXPECT_EQ(KtlsVerdict(EINVAL, paths, why, sizeof(why)), -EINVAL);
  std::string w = why;
  EXPECT_NE(w.find("setsockopt(TCP_ULP, \"tls\"): Invalid argument"),
            std::string::npos)
      << w;
  EXPECT_NE(w.find("(tls among them)"), std::string::npos) << w;
  EXPECT_NE(w.find(fake.module_dir + " exists"), std::string::npos) << w;
}

TEST(KtlsVerdict, AnUnreadableUlpListIsSaid) {
  KtlsPaths paths;
  paths.available_ulp = "/nonexistent/tcp_available_ulp";
  paths.module = "/nonexistent/tls";
  char why[512];
  EXPECT_EQ(KtlsVerdict(ENOENT, paths, why, sizeof(why)), -ENOENT);
  EXPECT_NE(std::string(why).find("/nonexistent/tcp_available_ulp is "
                                  "unreadable"),
            std::string::npos)
      << why;
}

TEST(KtlsVerdict, ListsWordMatchesWholeNamesOnly) {
  EXPECT_TRUE(ListsWord("tls", "tls"));
  EXPECT_TRUE(ListsWord("mptcp tls", "tls"));
  EXPECT_TRUE(ListsWord("tls espintcp", "tls"));
  EXPECT_FALSE(ListsWord("mptcp", "tls"));
  EXPECT_FALSE(ListsWord("tlsx mptcp", "tls"));
  EXPECT_FALSE(ListsWord("", "tls"));
}

// The real probe agrees with the kernel's list of upper-layer protocols:
// without tls listed it fails with the reason (unless trying TCP_ULP loaded
// the module, which then lists it); with tls it is ok.
TEST(Ktls, ProbeMatchesTheKernelsUlpList) {
  KtlsPaths real;
  bool readable = false;
  std::string before = ReadFirstLine(real.available_ulp, &readable);
  if (!readable) GTEST_SKIP() << real.available_ulp << " is unreadable";
  char why[512];
  int rc = Transport()->probe(why, sizeof(why));
  std::string after = ReadFirstLine(real.available_ulp, &readable);
  if (ListsWord(before, "tls") || ListsWord(after, "tls")) {
    EXPECT_EQ(rc, 0) << why;
    EXPECT_STREQ(why, "");
  } else {
    EXPECT_EQ(rc, -ENOENT) << why;
    EXPECT_NE(std::string(why).find(kNoUlp), std::string::npos) << why;
    EXPECT_NE(std::string(why).find(real.available_ulp), std::string::npos)
        << why;
  }
}

// open() on a connected TCP socket fails exactly as the probe does.
TEST(Ktls, OpenFailsWithTheProbesReasonWhereUnavailable) {
  char why[512];
  if (Transport()->probe(why, sizeof(why)) == 0) {
    GTEST_SKIP() << "kernel TLS is available here";
  }
  for (uint32_t role : {CS_ROLE_SENDER, CS_ROLE_RECEIVER, CS_ROLE_BOTH}) {
    TcpPair pair;
    ASSERT_TRUE(pair.Connect(0));
    OwnedEndpoint ep(Transport());
    EXPECT_EQ(ep.Open(Config(pair.a, role, 4096)), -ENOENT);
    EXPECT_EQ(ep.ep, nullptr);
    EXPECT_STREQ(ep.err, why);
  }
}

TEST(Ktls, RefusesAUnixSocketWithAClearMessage) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  OwnedEndpoint ep(Transport());
  EXPECT_LT(ep.Open(Config(sv[0], CS_ROLE_SENDER, 4096)), 0);
  EXPECT_NE(std::string(ep.err).find("TCP_ULP"), std::string::npos) << ep.err;
  close(sv[0]);
  close(sv[1]);
}

TEST(Ktls, RejectsABadSendfileOption) {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0));
  ExpectRejectsOptions(Config(pair.a, CS_ROLE_SENDER, 4096),
                       {{{"sendfile", "2"}}, {{"sendfile", "yes"}}});
}

using KtlsAvailable = ProbedTransportTest;

TEST_F(KtlsAvailable, RoundTripsThroughSendmsgAndSendfile) {
  for (const char* sendfile : {"0", "1"}) {
    SCOPED_TRACE(::testing::Message() << "sendfile=" << sendfile);
    TcpPair pair;
    ASSERT_TRUE(pair.Connect(0));
    OwnedEndpoint sender(Transport()), receiver(Transport());
    std::vector<cs_option> opts = {{"sendfile", sendfile}};
    ASSERT_EQ(
        sender.Open(WithOptions(Config(pair.a, CS_ROLE_SENDER, 100000), opts)),
        0)
        << sender.err;
    ASSERT_EQ(receiver.Open(Config(pair.b, CS_ROLE_RECEIVER, 100000)), 0)
        << receiver.err;
    for (size_t len : {1ul, 16384ul, 100000ul}) {
      std::vector<char> data = Pattern(len, (unsigned)len);
      std::vector<iovec> fields = Split(data, 3);
      cs_message m = {fields.data(), (uint32_t)fields.size(), 0, 0};
      ASSERT_EQ(Transport()->send(sender.ep, &m, 1), 0) << sender.LastError();
      std::vector<char> got(len);
      ASSERT_EQ(receiver.Recv(got.data(), len), 0) << receiver.LastError();
      EXPECT_EQ(got, data);
    }
    EXPECT_EQ(receiver.Counter("control_records"), 0u);
    EXPECT_EQ(receiver.Counter("decrypt_errors"), 0u);
  }
}

// Plain bytes where records are expected fail authentication, with a
// message that says so.
TEST_F(KtlsAvailable, PlaintextFromThePeerIsADecryptError) {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(0));
  OwnedEndpoint receiver(Transport());
  ASSERT_EQ(receiver.Open(Config(pair.b, CS_ROLE_RECEIVER, 4096)), 0)
      << receiver.err;
  // A record header of application data, 64 bytes of "ciphertext".
  std::vector<char> bogus(5 + 64, 'x');
  bogus[0] = 23, bogus[1] = 3, bogus[2] = 3, bogus[3] = 0, bogus[4] = 64;
  ASSERT_EQ(send(pair.a, bogus.data(), bogus.size(), MSG_NOSIGNAL),
            (ssize_t)bogus.size());
  std::vector<char> got(16);
  EXPECT_LT(receiver.Recv(got.data(), got.size()), 0);
  EXPECT_NE(receiver.LastError().find("authentication"), std::string::npos)
      << receiver.LastError();
}

}  // namespace
}  // namespace copyscope::transports::unit
