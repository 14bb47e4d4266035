// Test support: proving that nothing of an isolation outlived a killed
// process. Used by leak_test (netns_holder) and the end-to-end SIGKILL test
// of the copyscope binary.
//
//   NsidWatch watch;
//   if (absl::Status s = watch.Start(); !s.ok()) ...;   // skip on EPERM
//   for (uint64_t inode : NamespacesHeldBy(pid)) {       // while it runs
//     int fd = OpenNamespaceOf(pid, inode);
//     watch.Assign(fd, id++);  close(fd);
//   }
//   kill(pid, SIGKILL); waitpid(pid, nullptr, 0);
//   EXPECT_TRUE(ReferencesTo(inode).empty());
//   EXPECT_TRUE(watch.AwaitDeleted(ids, absl::Seconds(150)).ok());
//   EXPECT_FALSE(InterfaceHere("cs1f2as"));
#ifndef COPYSCOPE_HARNESS_ENV_ISOLATION_LEAK_CHECK_H_
#define COPYSCOPE_HARNESS_ENV_ISOLATION_LEAK_CHECK_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace copyscope::isolation {

// Every reference to net:[inode] visible in /proc: a thread inside it
// ("pid P thread T"), an open fd on it ("pid P fd N"), a bind mount of it
// ("pid P mount").
std::vector<std::string> ReferencesTo(uint64_t inode);

// The network namespaces (inodes) a process holds open as fds.
std::set<uint64_t> NamespacesHeldBy(pid_t pid);

// The network namespaces (inodes) the threads of a process are in.
std::set<uint64_t> NamespacesOfThreads(pid_t pid);

// Opens net:[inode] through one of pid's fds; -1 if it holds none.
int OpenNamespaceOf(pid_t pid, uint64_t inode);

// Whether an interface of that name exists in the caller's namespace.
bool InterfaceHere(const std::string& name);

// The lines of `ip netns list`, or nullopt if there is no ip command.
std::optional<std::set<std::string>> IpNetnsList();

// Processes whose parent is `pid` (from /proc/*/stat).
std::vector<pid_t> ChildrenOf(pid_t pid);

// The kernel's word on namespace destruction. A namespace of our own
// ("watch") assigns ids to the namespaces to be watched; when one of them is
// destroyed the kernel removes its id and multicasts RTM_DELNSID to
// RTNLGRP_NSID listeners in the watch namespace. The ids hold no reference:
// the watched namespaces can still die.
class NsidWatch {
 public:
  NsidWatch() = default;
  NsidWatch(const NsidWatch&) = delete;
  NsidWatch& operator=(const NsidWatch&) = delete;
  ~NsidWatch();

  // PermissionDenied where namespaces are not permitted.
  absl::Status Start();

  // Gives the namespace ns_fd the id `nsid` in the watch namespace.
  absl::Status Assign(int ns_fd, int nsid);

  // Waits until RTM_DELNSID has arrived for every id in `ids`; the bound is
  // for failure only (DeadlineExceeded naming how many are still alive).
  absl::Status AwaitDeleted(const std::set<int>& ids, absl::Duration bound);

  // Whether RTM_DELNSID for nsid has been seen so far.
  bool Deleted(int nsid) const { return deleted_.count(nsid) > 0; }

 private:
  std::set<int> deleted_;
  int watch_ns_ = -1;
  int events_ = -1;
  int requests_ = -1;
};

}  // namespace copyscope::isolation

#endif  // COPYSCOPE_HARNESS_ENV_ISOLATION_LEAK_CHECK_H_
