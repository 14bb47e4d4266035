// Two hosts, with a network namespace as each "host": the peer's agent in
// the server namespace (198.18.0.1), the controller in the client
// namespace (198.18.0.2), joined by a veth. Over TCP with a token: a run,
// a wrong token, a busy agent, the agent killed mid-run, the controller
// killed mid-run, the link going down mid-run, a plugin that differs
// between the hosts, an agent of another version. Over ssh: a real sshd
// started by the test in the peer namespace with temporary keys, with and
// without --deploy.
//
// Readiness is a handshake: the agent prints "agent: listening on ..."
// and "agent: serving ADDR" on stderr; sshd "Server listening on ...".
// Every wait is bounded; every process the test starts is killed at the
// end of its test.
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "harness/env/isolation/isolation.h"
#include "harness/env/isolation/leak_check.h"
#include "harness/env/isolation/testing.h"

namespace copyscope {
namespace {

constexpr absl::Duration kBound = absl::Seconds(60);

std::string Runfile(const std::string& path) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  return absl::StrCat(srcdir, "/", workspace, "/", path);
}

std::string Copyscope() { return Runfile("harness/copyscope"); }
std::string Tmp() { return std::getenv("TEST_TMPDIR"); }

// How a child enters its "host": a network namespace and, for sshd, a
// mount namespace of its own with a private /run.
struct Host {
  int netns = -1;
  bool private_run = false;
};

// A process the test started, its stderr read through a pipe.
class Proc {
 public:
  Proc(const Host& host, const std::vector<std::string>& args) {
    int err[2];
    if (pipe2(err, O_CLOEXEC) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      // Only async-signal-safe calls until exec.
      if (host.private_run) {
        if (unshare(CLONE_NEWNS) != 0 ||
            mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
            mount("tmpfs", "/run", "tmpfs", 0, "mode=755") != 0 ||
            mkdir("/run/sshd", 0755) != 0) {
          _exit(120);
        }
      }
      if (host.netns >= 0 && setns(host.netns, CLONE_NEWNET) != 0) _exit(121);
      int null = open("/dev/null", O_RDWR);
      dup2(null, 0);
      dup2(null, 1);
      dup2(err[1], 2);
      std::vector<char*> argv;
      for (const std::string& a : args)
        argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(err[1]);
    err_ = err[0];
  }
  ~Proc() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (err_ >= 0) close(err_);
  }

  pid_t pid() const { return pid_; }
  const std::string& text() const { return text_; }

  // Reads stderr until a line contains `what` (true) or it ends or the
  // bound passes (false).
  bool AwaitLine(const std::string& what, absl::Duration bound = kBound) {
    const absl::Time deadline = absl::Now() + bound;
    for (;;) {
      if (absl::StrContains(text_.substr(scanned_), what)) {
        scanned_ = text_.find(what, scanned_) + what.size();
        return true;
      }
      const int64_t left = absl::ToInt64Milliseconds(deadline - absl::Now());
      if (left <= 0 || !Read(static_cast<int>(left))) return false;
    }
  }

  // Waits for the exit status; -1 if it did not end within the bound.
  int Wait(absl::Duration bound = kBound) {
    const absl::Time deadline = absl::Now() + bound;
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      const int64_t left = absl::ToInt64Milliseconds(deadline - absl::Now());
      if (left <= 0) return -1;
      if (!Read(static_cast<int>(std::min<int64_t>(left, 100)))) {
        // stderr closed: the process is ending; reap it.
        if (waitpid(pid_, &status, 0) != pid_) return -1;
        break;
      }
    }
    Read(0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  // False at end of file (or the timeout with nothing read).
  bool Read(int timeout_ms) {
    if (err_ < 0) return false;
    pollfd p = {err_, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return true;  // nothing yet
    char buf[4096];
    ssize_t n = read(err_, buf, sizeof(buf));
    if (n <= 0) {
      close(err_);
      err_ = -1;
      return false;
    }
    text_.append(buf, static_cast<size_t>(n));
    return true;
  }

  pid_t pid_ = -1;
  int err_ = -1;
  std::string text_;
  size_t scanned_ = 0;
};

// Gone, or a zombie waiting to be reaped (holding nothing), within the
// bound.
bool Ends(pid_t pid) {
  const absl::Time deadline = absl::Now() + kBound;
  for (;;) {
    std::ifstream f(absl::StrCat("/proc/", pid, "/stat"));
    std::string stat((std::istreambuf_iterator<char>(f)),
                     std::istreambuf_iterator<char>());
    if (stat.empty() || stat.find(") Z") != std::string::npos) return true;
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));  // polling a condition, bounded
  }
}

std::string TokenFile(const std::string& name, const std::string& secret) {
  const std::string path = absl::StrCat(Tmp(), "/", name);
  std::ofstream(path) << secret << "\n";
  chmod(path.c_str(), 0600);
  return path;
}

std::string Slurp(const std::string& path) {
  std::ifstream f(path);
  return std::string(std::istreambuf_iterator<char>(f),
                     std::istreambuf_iterator<char>());
}

// A copy of copyscope that calls itself another version: the one string
// constant holding the version ("0.1.0", from the first line of
// --version) rewritten in place to nines of the same shape. Empty (with a
// failure) when the binary does not hold that constant exactly once.
std::string OtherVersion(std::string* version, std::string* other) {
  std::string binary = Slurp(Copyscope());
  std::string ours;
  if (FILE* f = popen((Copyscope() + " --version").c_str(), "r")) {
    char line[256];
    if (fgets(line, sizeof(line), f) != nullptr) ours = line;  // "copyscope V"
    pclose(f);
  }
  ours = ours.substr(ours.find(' ') + 1);
  *version = ours.substr(0, ours.find_first_of(" \n"));
  *other = *version;
  for (char& c : *other) {
    if (c >= '0' && c <= '8') c = '9';
  }
  const std::string needle = std::string(1, '\0') + *version + '\0';
  const size_t at = binary.find(needle);
  if (at == std::string::npos || *other == *version ||
      binary.find(needle, at + 1) != std::string::npos) {
    ADD_FAILURE() << "copyscope does not hold its version \"" << *version
                  << "\" exactly once as a string constant";
    return "";
  }
  binary.replace(at + 1, version->size(), *other);
  const std::string path = Tmp() + "/other-version";
  std::ofstream(path, std::ios::binary) << binary;
  chmod(path.c_str(), 0700);
  return path;
}

// Short cells, no counters (what the tests look at is the plumbing), the
// results history under the test's directory; a flag in `more` replaces its
// default here.
std::vector<std::string> RunArgs(const std::string& out,
                                 const std::vector<std::string>& more) {
  std::vector<std::string> args = {Copyscope(), "run"};
  for (const char* d :
       {"--transports=two_copy", "--sizes=64K", "--threads=1",
        "--duration=0.3s", "--warmup=0.05s", "--reps=1", "--counters=none"}) {
    const std::string name(d, std::strchr(d, '=') - d + 1);
    bool given = false;
    for (const std::string& m : more)
      given = given || absl::StartsWith(m, name);
    if (!given) args.push_back(d);
  }
  args.push_back("--history=" + Tmp() + "/history.sqlite");
  args.push_back("--out=" + out);
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

class TwoHostsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<isolation::Isolation>> iso =
        isolation::Isolation::CreateNetns();
    if (iso.status().code() == absl::StatusCode::kPermissionDenied) {
      GTEST_SKIP() << "network namespaces not permitted here: "
                   << iso.status().message();
    }
    ASSERT_TRUE(iso.ok()) << iso.status();
    iso_ = *std::move(iso);
    peer_.netns = iso_->server().ns_fd;
    here_.netns = iso_->client().ns_fd;
    token_ = TokenFile("token", "correct horse battery staple");
  }

  // The agent on the peer, listening; nullptr (with a failure) if it did
  // not say so.
  std::unique_ptr<Proc> StartAgent(std::vector<std::string> more = {},
                                   const std::string& binary = Copyscope()) {
    std::vector<std::string> args = {
        binary, "agent", "--listen=198.18.0.1:7000", "--token-file=" + token_};
    args.insert(args.end(), more.begin(), more.end());
    auto agent = std::make_unique<Proc>(peer_, args);
    if (!agent->AwaitLine("agent: listening on 198.18.0.1:7000")) {
      ADD_FAILURE() << "the agent did not listen: " << agent->text();
      return nullptr;
    }
    return agent;
  }

  std::vector<std::string> Tcp() {
    return {"--peer=198.18.0.1:7000", "--token-file=" + token_};
  }

  std::unique_ptr<isolation::Isolation> iso_;
  Host peer_, here_;
  std::string token_;
};

TEST_F(TwoHostsTest, ARunOverTcpWithTheTokenRecordsBothHosts) {
  std::unique_ptr<Proc> agent = StartAgent();
  ASSERT_NE(agent, nullptr);
  const std::string out = Tmp() + "/tcp";
  Proc run(here_, RunArgs(out, Tcp()));
  ASSERT_EQ(run.Wait(), 0) << run.text();
  const std::string csv = Slurp(out + "/summary.csv");
  EXPECT_TRUE(absl::StrContains(csv, ",ok,")) << csv;
  const std::string record = Slurp(out + "/run.jsonl");
  EXPECT_TRUE(
      absl::StrContains(record, "\"peer\":{\"target\":\"198.18.0.1:7000\""))
      << record.substr(0, 2000);
  EXPECT_TRUE(absl::StrContains(record, "\"host\":\"peer\""));  // its load
  // Each host's data interface is the veth end holding its address, with
  // the device's facts (a veth: its driver, no IRQs, said so).
  size_t first = record.find("\"nic_driver\":\"veth\"");
  ASSERT_NE(first, std::string::npos) << record.substr(0, 3000);
  EXPECT_NE(record.find("\"nic_driver\":\"veth\"", first + 1),
            std::string::npos)
      << record.substr(0, 3000);
  EXPECT_TRUE(absl::StrContains(record, "\"key\":\"lro\""));
  // Read in each host's own namespace (a veth says 10000 Mb/s).
  first = record.find("\"link_speed_mbps\":10000");
  ASSERT_NE(first, std::string::npos) << record.substr(0, 3000);
  EXPECT_NE(record.find("\"link_speed_mbps\":10000", first + 1),
            std::string::npos);
  EXPECT_TRUE(absl::StrContains(record, "a virtual interface"));
  EXPECT_TRUE(absl::StrContains(run.text(), "runs the server side"));
  // The peer's machine facts, as for this host, and the run in the
  // history.
  const size_t peer = record.find("\"peer\":{");
  ASSERT_NE(peer, std::string::npos);
  EXPECT_NE(record.find("\"thp_enabled\":", peer), std::string::npos)
      << record.substr(peer, 3000);
  EXPECT_TRUE(std::filesystem::exists(Tmp() + "/history.sqlite"));
  // The agent serves the next controller too.
  Proc again(here_, RunArgs(Tmp() + "/tcp2", Tcp()));
  EXPECT_EQ(again.Wait(), 0) << again.text();
  // And a rerun of the record reaches the same peer.
  Proc rerun(here_, {Copyscope(), "rerun", out, "--out=" + Tmp() + "/tcp3",
                     "--history=" + Tmp() + "/history.sqlite"});
  ASSERT_EQ(rerun.Wait(), 0) << rerun.text();
  EXPECT_TRUE(absl::StrContains(Slurp(Tmp() + "/tcp3/run.jsonl"),
                                "\"peer\":{\"target\":\"198.18.0.1:7000\""));
}

// --family=inet6 over two hosts: the agent given an IPv6 data address
// (the veth's 2001:2::1) serves inet6 cells there; its IPv4 one serves
// none, and the cell says why.
TEST_F(TwoHostsTest, Inet6CellsRunWhereTheAgentsDataAddressIsIpv6) {
  if (iso_->server().address6.empty()) {
    GTEST_SKIP() << "no IPv6 on the veth here: "
                 << iso_->server().address6_error;
  }
  {
    std::unique_ptr<Proc> agent = StartAgent();
    ASSERT_NE(agent, nullptr);
    const std::string out = Tmp() + "/v4only";
    std::vector<std::string> more = Tcp();
    more.push_back("--family=inet6");
    Proc run(here_, RunArgs(out, more));
    EXPECT_NE(run.Wait(), 0) << run.text();
    const std::string csv = Slurp(out + "/summary.csv");
    EXPECT_TRUE(absl::StrContains(csv, "no IPv6 address on this network"))
        << csv;
  }
  std::unique_ptr<Proc> agent =
      StartAgent({absl::StrCat("--data-address=", isolation::kServerAddress6)});
  ASSERT_NE(agent, nullptr);
  const std::string out = Tmp() + "/v6";
  std::vector<std::string> more = Tcp();
  more.push_back("--family=inet6");
  Proc run(here_, RunArgs(out, more));
  ASSERT_EQ(run.Wait(), 0) << run.text();
  const std::string csv = Slurp(out + "/summary.csv");
  EXPECT_TRUE(absl::StrContains(csv, ",ok,")) << csv;
  EXPECT_TRUE(absl::StrContains(csv, ",inet6")) << csv;
}

TEST_F(TwoHostsTest, AWrongTokenIsRefusedAndTheAgentGoesOn) {
  std::unique_ptr<Proc> agent = StartAgent();
  ASSERT_NE(agent, nullptr);
  const std::string wrong = TokenFile("wrong", "not the token");
  Proc bad(here_, RunArgs(Tmp() + "/wrong",
                          {"--peer=198.18.0.1:7000", "--token-file=" + wrong}));
  EXPECT_EQ(bad.Wait(), 2) << bad.text();
  EXPECT_TRUE(absl::StrContains(bad.text(), "authentication failed"))
      << bad.text();
  Proc good(here_, RunArgs(Tmp() + "/right", Tcp()));
  EXPECT_EQ(good.Wait(), 0) << good.text();
}

TEST_F(TwoHostsTest, ATokenOthersCanReadIsRefusedByTheAgent) {
  const std::string open = TokenFile("open", "x");
  chmod(open.c_str(), 0644);
  Proc agent(peer_, {Copyscope(), "agent", "--listen=198.18.0.1:7000",
                     "--token-file=" + open});
  EXPECT_EQ(agent.Wait(), 2);
  EXPECT_TRUE(absl::StrContains(agent.text(), "chmod 600")) << agent.text();
}

TEST_F(TwoHostsTest, ASecondControllerIsToldTheAgentIsBusy) {
  std::unique_ptr<Proc> agent = StartAgent();
  ASSERT_NE(agent, nullptr);
  // Long enough to still be running when the second one comes.
  std::vector<std::string> more = Tcp();
  more.push_back("--duration=3s");
  Proc first(here_, RunArgs(Tmp() + "/first", more));
  ASSERT_TRUE(agent->AwaitLine("agent: serving 198.18.0.2")) << agent->text();
  Proc second(here_, RunArgs(Tmp() + "/second", Tcp()));
  EXPECT_EQ(second.Wait(), 2) << second.text();
  EXPECT_TRUE(absl::StrContains(second.text(),
                                "busy: a run from 198.18.0.2 is in progress"))
      << second.text();
  EXPECT_EQ(first.Wait(), 0) << first.text();
}

TEST_F(TwoHostsTest, TheAgentKilledMidRunEndsTheRunWithAClearError) {
  std::unique_ptr<Proc> agent = StartAgent();
  ASSERT_NE(agent, nullptr);
  const std::string out = Tmp() + "/killed_agent";
  Proc run(here_,
           RunArgs(out, {"--peer=198.18.0.1:7000", "--token-file=" + token_,
                         "--sizes=4K,16K,64K,256K", "--duration=1s",
                         "--io-timeout=2s"}));
  ASSERT_TRUE(agent->AwaitLine("agent: serving 198.18.0.2")) << agent->text();
  const std::vector<pid_t> relay_children = isolation::ChildrenOf(agent->pid());
  kill(agent->pid(), SIGKILL);
  const absl::Time killed = absl::Now();
  EXPECT_EQ(run.Wait(), 1) << run.text();
  EXPECT_LT(absl::Now() - killed, absl::Seconds(30));
  EXPECT_TRUE(absl::StrContains(run.text(), "the run stopped")) << run.text();
  EXPECT_TRUE(absl::StrContains(run.text(), "198.18.0.1:7000")) << run.text();
  const std::string record = Slurp(out + "/run.jsonl");
  EXPECT_TRUE(absl::StrContains(record, "\"state\":\"stopped: ")) << record;
  // The peer's own agent went with its relay.
  for (pid_t c : relay_children) {
    EXPECT_TRUE(Ends(c)) << "the peer's agent " << c << " outlived its relay";
  }
}

TEST_F(TwoHostsTest, TheControllerKilledMidRunFreesTheAgentForTheNext) {
  std::unique_ptr<Proc> agent = StartAgent();
  ASSERT_NE(agent, nullptr);
  auto run = std::make_unique<Proc>(
      here_, RunArgs(Tmp() + "/killed_run",
                     {"--peer=198.18.0.1:7000", "--token-file=" + token_,
                      "--duration=5s"}));
  ASSERT_TRUE(agent->AwaitLine("agent: serving 198.18.0.2")) << agent->text();
  kill(run->pid(), SIGKILL);
  run.reset();
  ASSERT_TRUE(agent->AwaitLine("agent: 198.18.0.2 done")) << agent->text();
  EXPECT_TRUE(isolation::ChildrenOf(agent->pid()).empty())
      << "the session's agent outlived its controller";
  Proc next(here_, RunArgs(Tmp() + "/next", Tcp()));
  EXPECT_EQ(next.Wait(), 0) << next.text();
}

TEST_F(TwoHostsTest, TheLinkGoingDownMidRunEndsTheRun) {
  std::unique_ptr<Proc> agent = StartAgent();
  ASSERT_NE(agent, nullptr);
  Proc run(here_,
           RunArgs(Tmp() + "/link",
                   {"--peer=198.18.0.1:7000", "--token-file=" + token_,
                    "--sizes=4K,16K,64K", "--duration=2s", "--io-timeout=2s"}));
  ASSERT_TRUE(agent->AwaitLine("agent: serving 198.18.0.2")) << agent->text();
  Proc down(peer_, {"/usr/sbin/ip", "link", "set", "dev",
                    iso_->server().interface, "down"});
  ASSERT_EQ(down.Wait(), 0) << down.text();
  const absl::Time cut = absl::Now();
  EXPECT_EQ(run.Wait(), 1) << run.text();
  EXPECT_LT(absl::Now() - cut, absl::Seconds(45));
  EXPECT_TRUE(absl::StrContains(run.text(), "the run stopped") ||
              absl::StrContains(run.text(), "samples failed"))
      << run.text();
}

TEST_F(TwoHostsTest, APluginThatDiffersBetweenTheHostsFailsItsCellNamingBoth) {
  std::unique_ptr<Proc> agent =
      StartAgent({"--plugin-dir=" + Runfile("tests/two_hosts/peer_plugins")});
  ASSERT_NE(agent, nullptr);
  std::vector<std::string> more = Tcp();
  more.push_back("--plugin=" + Runfile("tests/two_hosts/minimal_here.so"));
  more.push_back("--transports=minimal");
  Proc run(here_, RunArgs(Tmp() + "/mismatch", more));
  EXPECT_EQ(run.Wait(), 1) << run.text();
  const std::string csv = Slurp(Tmp() + "/mismatch/summary.csv");
  EXPECT_TRUE(absl::StrContains(csv,
                                "minimal differs between the hosts: "
                                "SHA-256 "))
      << csv;
  EXPECT_TRUE(absl::StrContains(csv, "--allow-mismatch")) << csv;
  more.push_back("--allow-mismatch");
  Proc allowed(here_, RunArgs(Tmp() + "/allowed", more));
  EXPECT_EQ(allowed.Wait(), 0) << allowed.text();
}

TEST_F(TwoHostsTest, AnAgentOfAnotherVersionIsRefusedNamingBoth) {
  std::string version, other;
  const std::string binary = OtherVersion(&version, &other);
  ASSERT_FALSE(binary.empty());
  std::unique_ptr<Proc> agent = StartAgent({}, binary);
  ASSERT_NE(agent, nullptr);
  Proc run(here_, RunArgs(Tmp() + "/version", Tcp()));
  EXPECT_EQ(run.Wait(), 2) << run.text();
  EXPECT_TRUE(absl::StrContains(
      run.text(), absl::StrCat("is copyscope ", other, " (commit")))
      << run.text();
  EXPECT_TRUE(absl::StrContains(
      run.text(), absl::StrCat("; this is copyscope ", version, " (commit")))
      << run.text();
  // Allowed, the run goes on and the record names the peer's version.
  std::vector<std::string> more = Tcp();
  more.push_back("--allow-mismatch");
  Proc allowed(here_, RunArgs(Tmp() + "/version-allowed", more));
  EXPECT_EQ(allowed.Wait(), 0) << allowed.text();
  const std::string record = Slurp(Tmp() + "/version-allowed/run.jsonl");
  EXPECT_TRUE(absl::StrContains(
      record, absl::StrCat("\"version\":\"copyscope ", other)))
      << record.substr(0, 3000);
}

// ssh: a real sshd in the peer namespace, with keys made for the test and
// a /run of its own (its privilege separation directory); nothing of the
// system's ssh configuration is read or written.
class SshTest : public TwoHostsTest {
 protected:
  void SetUp() override {
    TwoHostsTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (access("/usr/sbin/sshd", X_OK) != 0 ||
        access("/usr/bin/ssh", X_OK) != 0) {
      GTEST_SKIP() << "no sshd or ssh here (tools/bootstrap installs "
                      "openssh-server and openssh-client)";
    }
    if (geteuid() != 0) GTEST_SKIP() << "sshd and the peer login need root";
    dir_ = absl::StrCat(
        Tmp(), "/ssh-",
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    mkdir(dir_.c_str(), 0700);
    for (const char* key : {"host_key", "client_key"}) {
      Proc keygen(Host{}, {"/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N",
                           "", "-f", dir_ + "/" + key});
      ASSERT_EQ(keygen.Wait(), 0) << keygen.text();
    }
    std::ofstream(dir_ + "/authorized_keys") << Slurp(dir_ + "/client_key.pub");
    std::ofstream(dir_ + "/sshd_config")
        << "Port 2222\nListenAddress 198.18.0.1\n"
        << "HostKey " << dir_ << "/host_key\n"
        << "AuthorizedKeysFile " << dir_ << "/authorized_keys\n"
        << "PermitRootLogin prohibit-password\nPasswordAuthentication no\n"
        << "KbdInteractiveAuthentication no\nStrictModes no\nUsePAM no\n"
        << "PidFile " << dir_ << "/sshd.pid\n";
    Host peer_run = peer_;
    peer_run.private_run = true;
    sshd_ = std::make_unique<Proc>(
        peer_run, std::vector<std::string>{"/usr/sbin/sshd", "-D", "-e", "-f",
                                           dir_ + "/sshd_config"});
    ASSERT_TRUE(sshd_->AwaitLine("Server listening on 198.18.0.1 port 2222"))
        << sshd_->text();
  }

  std::vector<std::string> Ssh() {
    return {"--peer=ssh://root@198.18.0.1:2222",
            "--ssh=/usr/bin/ssh -F /dev/null -i " + dir_ +
                "/client_key -o StrictHostKeyChecking=no -o "
                "UserKnownHostsFile=/dev/null -o BatchMode=yes -o "
                "LogLevel=ERROR"};
  }

  std::string dir_;
  std::unique_ptr<Proc> sshd_;
};

TEST_F(SshTest, ARunOverSshWithThePeersBinary) {
  std::vector<std::string> more = Ssh();
  more.push_back("--remote-copyscope=" + Copyscope());
  const std::string out = Tmp() + "/ssh_run";
  Proc run(here_, RunArgs(out, more));
  ASSERT_EQ(run.Wait(), 0) << run.text();
  EXPECT_TRUE(absl::StrContains(Slurp(out + "/summary.csv"), ",ok,"));
  EXPECT_TRUE(absl::StrContains(Slurp(out + "/run.jsonl"),
                                "\"target\":\"ssh://root@198.18.0.1:2222\""));
}

TEST_F(SshTest, DeployCopiesTheBuildAndRemovesItAtTheEnd) {
  std::vector<std::string> more = Ssh();
  more.push_back("--deploy");
  more.push_back("--peer-role=client");
  const std::string out = Tmp() + "/deployed";
  Proc run(here_, RunArgs(out, more));
  ASSERT_EQ(run.Wait(), 0) << run.text();
  const std::string record = Slurp(out + "/run.jsonl");
  const std::string key = "\"deployed_to\":\"";
  size_t at = record.find(key);
  ASSERT_NE(at, std::string::npos) << record.substr(0, 2000);
  at += key.size();
  const std::string deployed = record.substr(at, record.find('"', at) - at);
  EXPECT_TRUE(absl::StartsWith(deployed, "/tmp/copyscope-deploy.")) << deployed;
  struct stat st;
  EXPECT_NE(stat(deployed.c_str(), &st), 0) << deployed << " left behind";
  EXPECT_TRUE(absl::StrContains(run.text(), "runs the client side"));
}

}  // namespace
}  // namespace copyscope
