// Namespace fds, setns per thread, and the scoped guard.
#include "harness/env/isolation/netns.h"

#include <net/if.h>
#include <unistd.h>

#include <set>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "harness/env/isolation/errors.h"
#include "harness/env/isolation/interface.h"

namespace copyscope::isolation {
namespace {

// A namespace fd, or a skip when this environment forbids namespaces. var
// names a variable, so it cannot be parenthesized.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define NEW_NAMESPACE_OR_SKIP(var)                                       \
  absl::StatusOr<int> var##_or = NewNamespace();                         \
  if (var##_or.status().code() == absl::StatusCode::kPermissionDenied) { \
    GTEST_SKIP() << "network namespaces not permitted here: "            \
                 << var##_or.status().message();                         \
  }                                                                      \
  ASSERT_TRUE(var##_or.ok()) << var##_or.status();                       \
  const int var = *var##_or;                                             \
  struct var##Closer {                                                   \
    int fd;                                                              \
    ~var##Closer() { close(fd); }                                        \
  } var##_closer {                                                       \
    var                                                                  \
  }
// NOLINTEND(bugprone-macro-parentheses)

uint64_t Here() {
  absl::StatusOr<uint64_t> inode = CurrentNamespaceInode();
  EXPECT_TRUE(inode.ok()) << inode.status();
  return inode.ok() ? *inode : 0;
}

TEST(ErrnoErrorTest, NamesTheCallAndTheErrno) {
  absl::Status s = ErrnoError("unshare(CLONE_NEWNET)", EPERM);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(),
            "unshare(CLONE_NEWNET): EPERM (Operation not permitted)");
}

TEST(NetnsTest, NewNamespaceLeavesTheCallerWhereItWas) {
  const uint64_t before = Here();
  NEW_NAMESPACE_OR_SKIP(ns);
  EXPECT_EQ(Here(), before);
  absl::StatusOr<uint64_t> inode = NamespaceInode(ns);
  ASSERT_TRUE(inode.ok()) << inode.status();
  EXPECT_NE(*inode, before);
}

TEST(NetnsTest, TwoNewNamespacesAreDistinct) {
  NEW_NAMESPACE_OR_SKIP(a);
  NEW_NAMESPACE_OR_SKIP(b);
  EXPECT_NE(*NamespaceInode(a), *NamespaceInode(b));
}

TEST(NetnsTest, NewNamespaceHoldsOnlyLoopback) {
  NEW_NAMESPACE_OR_SKIP(ns);
  std::set<std::string> names;
  absl::Status s = RunInNamespace(ns, [&] {
    struct if_nameindex* all = if_nameindex();
    if (all == nullptr) return ErrnoError("if_nameindex");
    for (auto* i = all; i->if_index != 0; ++i) names.insert(i->if_name);
    if_freenameindex(all);
    return absl::OkStatus();
  });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(names, std::set<std::string>{"lo"});
}

TEST(NetnsTest, RunInNamespaceRunsInsideWithoutMovingTheCaller) {
  NEW_NAMESPACE_OR_SKIP(ns);
  const uint64_t before = Here();
  uint64_t inside = 0;
  absl::Status s = RunInNamespace(ns, [&] {
    inside = Here();
    return absl::OkStatus();
  });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(inside, *NamespaceInode(ns));
  EXPECT_EQ(Here(), before);
}

TEST(NetnsTest, RunInNamespacePassesTheResultThrough) {
  absl::Status s =
      RunInNamespace(-1, [] { return absl::DataLossError("from inside"); });
  EXPECT_EQ(s, absl::DataLossError("from inside"));
}

TEST(NetnsTest, EnterNamespaceMovesOnlyTheCallingThread) {
  NEW_NAMESPACE_OR_SKIP(ns);
  const uint64_t main_ns = Here();
  uint64_t in_thread = 0;
  absl::Notification inside, done;
  std::thread t([&] {
    absl::Status s = EnterNamespace(ns);
    EXPECT_TRUE(s.ok()) << s;
    in_thread = Here();
    inside.Notify();
    done.WaitForNotification();  // stay inside while main looks
  });
  inside.WaitForNotification();
  EXPECT_EQ(Here(), main_ns);  // main did not move with t
  done.Notify();
  t.join();
  EXPECT_EQ(in_thread, *NamespaceInode(ns));
}

TEST(NetnsTest, NegativeFdIsNoNamespace) {
  const uint64_t before = Here();
  EXPECT_TRUE(EnterNamespace(-1).ok());
  absl::StatusOr<ScopedNamespace> scoped = ScopedNamespace::Enter(-1);
  ASSERT_TRUE(scoped.ok());
  EXPECT_EQ(Here(), before);
  EXPECT_TRUE(scoped->Restore().ok());
}

TEST(NetnsTest, EnterNamespaceRejectsANonNamespaceFd) {
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  absl::Status s = EnterNamespace(pipe_fds[0]);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.message(), "setns")) << s;
}

// The guard returns to wherever the thread was. The thread starts in a
// namespace of our own ("home"), so returning is permitted even when this
// process may not go back to the host's namespace (see next test).
TEST(ScopedNamespaceTest, EntersAndRestoresOnDestruction) {
  NEW_NAMESPACE_OR_SKIP(home);
  NEW_NAMESPACE_OR_SKIP(ns);
  std::thread t([&] {
    ASSERT_TRUE(EnterNamespace(home).ok());
    {
      absl::StatusOr<ScopedNamespace> scoped = ScopedNamespace::Enter(ns);
      ASSERT_TRUE(scoped.ok()) << scoped.status();
      EXPECT_EQ(Here(), *NamespaceInode(ns));
      ScopedNamespace moved = std::move(*scoped);  // ownership moves too
      EXPECT_EQ(Here(), *NamespaceInode(ns));
    }
    EXPECT_EQ(Here(), *NamespaceInode(home));
  });
  t.join();
}

TEST(ScopedNamespaceTest, ExplicitRestoreThenDestructorIsANoOp) {
  NEW_NAMESPACE_OR_SKIP(home);
  NEW_NAMESPACE_OR_SKIP(ns);
  std::thread t([&] {
    ASSERT_TRUE(EnterNamespace(home).ok());
    absl::StatusOr<ScopedNamespace> scoped = ScopedNamespace::Enter(ns);
    ASSERT_TRUE(scoped.ok()) << scoped.status();
    EXPECT_TRUE(scoped->Restore().ok());
    EXPECT_EQ(Here(), *NamespaceInode(home));
    EXPECT_TRUE(scoped->Restore().ok());
    EXPECT_EQ(Here(), *NamespaceInode(home));
  });
  t.join();
}

// Back to the process's original namespace: allowed for real root, EPERM
// for a process in a nested user namespace that does not own it (as under
// Bazel's linux-sandbox). Either way Restore() says what happened.
TEST(ScopedNamespaceTest, RestoreToTheOriginalSucceedsOrSaysWhy) {
  NEW_NAMESPACE_OR_SKIP(ns);
  std::thread t([&] {
    const uint64_t before = Here();
    absl::StatusOr<ScopedNamespace> scoped = ScopedNamespace::Enter(ns);
    ASSERT_TRUE(scoped.ok()) << scoped.status();
    absl::Status back = scoped->Restore();
    if (back.ok()) {
      EXPECT_EQ(Here(), before);
    } else {
      EXPECT_EQ(back.code(), absl::StatusCode::kPermissionDenied) << back;
      EXPECT_TRUE(absl::StrContains(back.message(), "setns")) << back;
      EXPECT_EQ(Here(), *NamespaceInode(ns));
    }
  });
  t.join();
}

TEST(NetnsTest, InsideTheThreadSeesTheNamespacesInterfaces) {
  NEW_NAMESPACE_OR_SKIP(ns);
  std::thread t([&] {
    ASSERT_TRUE(EnterNamespace(ns).ok());
    absl::StatusOr<int> mtu = ReadMtu("lo");
    ASSERT_TRUE(mtu.ok()) << mtu.status();
    EXPECT_GT(*mtu, 0);
    EXPECT_FALSE(ReadMtu("no-such-if").ok());
  });
  t.join();
}

}  // namespace
}  // namespace copyscope::isolation
