// SIGKILL of the copyscope binary in the middle of a netns run leaves
// nothing behind: no namespace (the kernel's RTM_DELNSID says each was
// destroyed), no reference to one in /proc, no veth, nothing new in
// `ip netns list`, and no process.
//
// Readiness is a handshake: the run prints "isolation: netns+veth (...)" on
// stderr once its namespaces exist, and is mid-cell once its agents (the
// processes that run each side's workers) sit inside both of them (a
// bounded wait on that condition). The agents must die with the run.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "harness/env/isolation/leak_check.h"

extern char** environ;

namespace copyscope::isolation {
namespace {

// Failure bounds only; every wait ends on an event or a condition.
constexpr absl::Duration kStartBound = absl::Seconds(60);
// See harness/env/isolation/leak_test.cc: covers the kernel's slowest
// legitimate teardown (an orphaned TCP socket at default retries).
constexpr absl::Duration kDestroyBound = absl::Seconds(150);

std::string CopyscopePath() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr || workspace == nullptr) return "harness/copyscope";
  return absl::StrCat(srcdir, "/", workspace, "/harness/copyscope");
}

struct Child {
  pid_t pid = -1;
  int err = -1;      // its stderr
  std::string text;  // everything read from it so far

  ~Child() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    if (err >= 0) close(err);
  }
};

void Spawn(const std::vector<std::string>& args, Child* c) {
  int err[2];
  ASSERT_EQ(pipe2(err, O_CLOEXEC), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null",
                                   O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null",
                                   O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  std::vector<char*> argv;
  for (const std::string& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int rc = posix_spawn(&c->pid, args[0].c_str(), &actions, nullptr, argv.data(),
                       environ);
  posix_spawn_file_actions_destroy(&actions);
  close(err[1]);
  c->err = err[0];
  ASSERT_EQ(rc, 0) << "posix_spawn " << args[0] << ": " << strerror(rc);
}

// Reads the child's stderr until a line starting with `prefix` (returned)
// or end of file / the bound (empty).
std::string AwaitLine(Child* c, const std::string& prefix) {
  const absl::Time deadline = absl::Now() + kStartBound;
  size_t scanned = 0;
  while (true) {
    size_t nl;
    while ((nl = c->text.find('\n', scanned)) != std::string::npos) {
      std::string line = c->text.substr(scanned, nl - scanned);
      scanned = nl + 1;
      if (absl::StartsWith(line, prefix)) return line;
    }
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return "";
    struct pollfd p = {c->err, POLLIN, 0};
    int ready =
        poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return "";
    char buf[4096];
    ssize_t n = read(c->err, buf, sizeof(buf));
    if (n <= 0) return "";
    c->text.append(buf, static_cast<size_t>(n));
  }
}

// The namespaces the threads of pid's children are in.
std::set<uint64_t> NamespacesOfChildren(pid_t pid) {
  std::set<uint64_t> out;
  for (pid_t c : ChildrenOf(pid)) {
    std::set<uint64_t> ns = NamespacesOfThreads(c);
    out.insert(ns.begin(), ns.end());
  }
  return out;
}

// Gone, or a zombie waiting for its new parent to reap it (it holds
// nothing then).
bool Ended(pid_t pid) {
  std::string stat;
  char buf[512];
  int fd = open(absl::StrCat("/proc/", pid, "/stat").c_str(), O_RDONLY);
  if (fd < 0) return true;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0) return true;
  stat.assign(buf, static_cast<size_t>(n));
  size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() &&
         stat[paren + 2] == 'Z';
}

bool Includes(const std::set<uint64_t>& a, const std::set<uint64_t>& b) {
  for (uint64_t x : b) {
    if (!a.count(x)) return false;
  }
  return true;
}

TEST(KillTest, SigkillMidRunLeavesNoNamespaceVethOrProcess) {
  std::optional<std::set<std::string>> netns_before = IpNetnsList();
  NsidWatch watch;
  absl::Status watching = watch.Start();
  if (watching.code() == absl::StatusCode::kPermissionDenied) {
    GTEST_SKIP() << "network namespaces not permitted here: "
                 << watching.message();
  }
  ASSERT_TRUE(watching.ok()) << watching;

  const char* tmp = std::getenv("TEST_TMPDIR");
  // Whatever the run writes stays under the test's directory, its results
  // history included.
  ASSERT_EQ(setenv("XDG_DATA_HOME", absl::StrCat(tmp, "/xdg-data").c_str(), 1),
            0);
  Child run;
  Spawn({CopyscopePath(), "run", "--isolation=netns", "--sizes=64K",
         "--threads=2", "--duration=30s", "--warmup=100ms", "--reps=1",
         absl::StrCat("--out=", tmp, "/killed")},
        &run);
  if (HasFatalFailure()) return;

  // Handshake 1: the namespaces exist.
  const std::string line = AwaitLine(&run, "isolation: ");
  if (line.empty() && absl::StrContains(run.text, "--isolation=netns")) {
    GTEST_SKIP() << "netns isolation unavailable: " << run.text;
  }
  ASSERT_TRUE(absl::StartsWith(line, "isolation: netns+veth (")) << run.text;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      line, m, std::regex("(cs[0-9a-f]+s) [^ ]+ <-> (cs[0-9a-f]+c) ")))
      << line;
  const std::vector<std::string> veths = {m[1], m[2]};
  const std::set<uint64_t> held = NamespacesHeldBy(run.pid);
  ASSERT_EQ(held.size(), 2u) << "the run should hold its two namespaces";

  // Handshake 2: mid-cell, the agents sit inside both namespaces.
  const absl::Time deadline = absl::Now() + kStartBound;
  while (!Includes(NamespacesOfChildren(run.pid), held)) {
    ASSERT_LT(absl::Now(), deadline)
        << "no agent entered both namespaces; stderr: " << run.text;
    absl::SleepFor(absl::Milliseconds(5));  // polling a condition, bounded
  }
  const std::vector<pid_t> children = ChildrenOf(run.pid);
  std::set<int> ids;
  int next_id = 1;
  for (uint64_t inode : held) {
    int fd = OpenNamespaceOf(run.pid, inode);
    ASSERT_GE(fd, 0) << "net:[" << inode << "]";
    absl::Status assigned = watch.Assign(fd, next_id);
    close(fd);
    ASSERT_TRUE(assigned.ok()) << assigned;
    ids.insert(next_id++);
  }
  for (const std::string& veth : veths) {
    EXPECT_FALSE(InterfaceHere(veth)) << veth << " visible here mid-run";
  }

  ASSERT_EQ(kill(run.pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(run.pid, &status, 0), run.pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  const pid_t dead = run.pid;
  run.pid = -1;

  // No process left: the run itself, or anything it started (the agents
  // get SIGKILL when their parent dies: a bounded wait for that).
  EXPECT_EQ(kill(dead, 0), -1);
  ASSERT_FALSE(children.empty()) << "the run started no agent";
  const absl::Time gone = absl::Now() + kStartBound;
  for (pid_t c : children) {
    while (!Ended(c) && absl::Now() < gone) {
      absl::SleepFor(absl::Milliseconds(5));  // polling a condition, bounded
    }
    EXPECT_TRUE(Ended(c)) << "agent " << c << " alive after the run died";
  }
  EXPECT_TRUE(ChildrenOf(dead).empty());
  // Nothing refers to the namespaces, and the kernel destroyed them.
  for (uint64_t inode : held) {
    // A killed process's threads leave one by one after it is reaped or
    // seen ended: a bounded wait for the last of them.
    std::vector<std::string> refs = ReferencesTo(inode);
    const absl::Time until = absl::Now() + kStartBound;
    while (!refs.empty() && absl::Now() < until) {
      absl::SleepFor(absl::Milliseconds(5));  // polling a condition, bounded
      refs = ReferencesTo(inode);
    }
    EXPECT_TRUE(refs.empty())
        << "net:[" << inode << "] still referenced by " << refs.front();
  }
  absl::Status destroyed = watch.AwaitDeleted(ids, kDestroyBound);
  EXPECT_TRUE(destroyed.ok()) << destroyed;
  // No veth here, and nothing new in `ip netns list`.
  for (const std::string& veth : veths) EXPECT_FALSE(InterfaceHere(veth));
  std::optional<std::set<std::string>> netns_after = IpNetnsList();
  if (netns_before.has_value() && netns_after.has_value()) {
    for (const std::string& l : *netns_after) {
      EXPECT_TRUE(netns_before->count(l)) << "new in ip netns list: " << l;
    }
  }
}

}  // namespace
}  // namespace copyscope::isolation
