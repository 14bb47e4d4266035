// SIGKILL mid-run leaves nothing behind: netns_holder builds an Isolation
// and holds a live connection with threads inside both namespaces; we kill
// it and then prove that no process, veth, namespace reference or namespace
// remains. The last proof comes from the kernel itself: the holder's
// namespaces get ids in a watch namespace of ours, and the kernel's
// RTM_DELNSID for each id says the namespace was destroyed.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "harness/env/isolation/leak_check.h"
#include "harness/env/isolation/netns.h"

extern char** environ;

namespace copyscope::isolation {
namespace {

// Failure bounds, never synchronisation: every wait below ends on an event.
constexpr absl::Duration kReadyBound = absl::Seconds(60);
// Namespace destruction is asynchronous: the last reference may be an
// orphaned TCP socket still closing, then the kernel's cleanup work runs.
// The slowest legitimate case is an orphan whose peer namespace (and veth
// end) died first: it retransmits into nothing until it gives up, about
// 100 s at the kernel's default tcp_orphan_retries. Isolation sets 1 in its
// namespaces (about a second); the bound still covers the default, so only a
// namespace that never dies (a real leak) fails here.
constexpr absl::Duration kDestroyBound = absl::Seconds(150);

std::string HolderPath() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir != nullptr && workspace != nullptr) {
    return absl::StrCat(srcdir, "/", workspace,
                        "/harness/env/isolation/netns_holder");
  }
  char self[4096] = {};
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  std::string dir(self, n > 0 ? static_cast<size_t>(n) : 0);
  return dir.substr(0, dir.rfind('/')) + "/netns_holder";
}

struct Holder {
  pid_t pid = -1;
  int to_child = -1;                          // its stdin
  int from_child = -1;                        // its stdout
  std::string line;                           // the first line it printed
  std::map<std::string, std::string> fields;  // key=value pairs of "ready"

  ~Holder() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    if (to_child >= 0) close(to_child);
    if (from_child >= 0) close(from_child);
  }
};

void Spawn(Holder* h) {
  int in[2], out[2];
  ASSERT_EQ(pipe2(in, O_CLOEXEC), 0);
  ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  std::string path = HolderPath();
  char* argv[] = {path.data(), nullptr};
  int rc = posix_spawn(&h->pid, path.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(in[0]);
  close(out[1]);
  h->to_child = in[1];
  h->from_child = out[0];
  ASSERT_EQ(rc, 0) << "posix_spawn " << path << ": " << strerror(rc);
}

// The first line of the holder's stdout, waiting for it (bounded).
void ReadFirstLine(Holder* h) {
  const absl::Time deadline = absl::Now() + kReadyBound;
  char c;
  while (true) {
    absl::Duration left = deadline - absl::Now();
    ASSERT_GT(left, absl::ZeroDuration()) << "no line from the holder";
    struct pollfd p = {h->from_child, POLLIN, 0};
    int ready =
        poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    ASSERT_GE(ready, 0) << strerror(errno);
    if (ready == 0) continue;
    ssize_t n = read(h->from_child, &c, 1);
    ASSERT_EQ(n, 1) << "holder closed stdout after \"" << h->line << "\"";
    if (c == '\n') break;
    h->line.push_back(c);
  }
  for (absl::string_view word : absl::StrSplit(h->line, ' ')) {
    std::pair<std::string, std::string> kv =
        absl::StrSplit(word, absl::MaxSplits('=', 1));
    h->fields[kv.first] = kv.second;
  }
}

uint64_t Inode(const Holder& h, const std::string& key) {
  uint64_t v = 0;
  EXPECT_TRUE(absl::SimpleAtoi(h.fields.at(key), &v)) << h.line;
  return v;
}

// Runs `count` holders at once, SIGKILLs them mid-run, proves the rest.
void KillMidRunAndProveNothingRemains(int count) {
  std::optional<std::set<std::string>> netns_before = IpNetnsList();
  NsidWatch watch;
  absl::Status watching = watch.Start();
  if (watching.code() == absl::StatusCode::kPermissionDenied) {
    GTEST_SKIP() << "network namespaces not permitted here: "
                 << watching.message();
  }
  ASSERT_TRUE(watching.ok()) << watching;

  std::vector<Holder> holders(static_cast<size_t>(count));
  for (Holder& h : holders) {
    Spawn(&h);
    if (testing::Test::HasFatalFailure()) return;
  }
  std::set<std::string> names;
  std::set<uint64_t> inodes;
  std::set<int> ids;
  int next_id = 1;
  for (Holder& h : holders) {
    ReadFirstLine(&h);
    if (testing::Test::HasFatalFailure()) return;
    if (absl::StartsWith(h.line, "skip ")) {
      GTEST_SKIP() << "netns_holder: " << h.line;
    }
    ASSERT_TRUE(absl::StartsWith(h.line, "ready ")) << h.line;
    for (const char* key : {"server_if", "client_if"}) {
      const std::string& name = h.fields.at(key);
      EXPECT_TRUE(names.insert(name).second) << "name reused: " << name;
      EXPECT_FALSE(InterfaceHere(name)) << name << " exists in our namespace";
    }
    for (const char* key : {"server_ns", "client_ns"}) {
      uint64_t inode = Inode(h, key);
      EXPECT_TRUE(inodes.insert(inode).second) << "namespace shared";
      // Positive control: the scan does see the holder's references now.
      std::vector<std::string> refs = ReferencesTo(inode);
      EXPECT_TRUE(std::any_of(refs.begin(), refs.end(),
                              [&](const auto& r) {
                                return absl::StartsWith(
                                    r, absl::StrCat("pid ", h.pid, " thread"));
                              }))
          << "no thread of the holder seen in net:[" << inode << "]";
      int ns = OpenNamespaceOf(h.pid, inode);
      ASSERT_GE(ns, 0) << "cannot open net:[" << inode << "] of the holder";
      absl::Status assigned = watch.Assign(ns, next_id);
      close(ns);
      ASSERT_TRUE(assigned.ok()) << assigned;
      ids.insert(next_id++);
    }
  }

  for (Holder& h : holders) {
    ASSERT_EQ(kill(h.pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(h.pid, &status, 0), h.pid);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
    EXPECT_EQ(kill(h.pid, 0), -1);
    EXPECT_EQ(errno, ESRCH) << "holder pid " << h.pid << " still exists";
    h.pid = -1;
  }

  // No process, fd or mount refers to the namespaces any more...
  for (uint64_t inode : inodes) {
    std::vector<std::string> refs = ReferencesTo(inode);
    EXPECT_TRUE(refs.empty())
        << "net:[" << inode << "] still referenced by " << refs.front();
  }
  // ...the kernel destroyed every one of them, veths included...
  absl::Status destroyed = watch.AwaitDeleted(ids, kDestroyBound);
  EXPECT_TRUE(destroyed.ok()) << destroyed;
  // ...and nothing ever appeared in ours.
  for (const std::string& name : names) {
    EXPECT_FALSE(InterfaceHere(name)) << name;
  }
  std::optional<std::set<std::string>> netns_after = IpNetnsList();
  if (netns_before.has_value() && netns_after.has_value()) {
    for (const std::string& line : *netns_after) {
      EXPECT_TRUE(netns_before->count(line))
          << "new in ip netns list: " << line;
    }
  }
}

TEST(LeakTest, SigkillMidRunLeavesNothing) {
  KillMidRunAndProveNothingRemains(1);
}

TEST(LeakTest, TwoRunsAtOnceDoNotCollideAndBothVanish) {
  KillMidRunAndProveNothingRemains(2);
}

// The counter-proof that the watch works: a namespace we still hold does
// not get reported as destroyed.
TEST(LeakTest, WatchReportsOnlyRealDestruction) {
  NsidWatch watch;
  absl::Status watching = watch.Start();
  if (watching.code() == absl::StatusCode::kPermissionDenied) {
    GTEST_SKIP() << "network namespaces not permitted here: "
                 << watching.message();
  }
  ASSERT_TRUE(watching.ok()) << watching;
  absl::StatusOr<int> held = NewNamespace();
  absl::StatusOr<int> dropped = NewNamespace();
  ASSERT_TRUE(held.ok() && dropped.ok());
  ASSERT_TRUE(watch.Assign(*held, 1).ok());
  ASSERT_TRUE(watch.Assign(*dropped, 2).ok());
  close(*dropped);
  EXPECT_TRUE(watch.AwaitDeleted({2}, kDestroyBound).ok());
  EXPECT_FALSE(watch.Deleted(1));
  close(*held);
  EXPECT_TRUE(watch.AwaitDeleted({1}, kDestroyBound).ok());
}

}  // namespace
}  // namespace copyscope::isolation
