// Anonymous network namespaces held by file descriptor, and moving threads
// into them.
//
// A namespace made here has no name under /run/netns: it lives exactly as
// long as something refers to it (an open fd, a thread inside it, a socket
// created in it). When the process exits, even by SIGKILL, the kernel drops
// those references and destroys the namespace with every interface in it.
//
// setns() moves only the calling thread, so each runner thread enters its
// own side's namespace before it creates a socket. Best on a dedicated
// thread that enters and later just ends:
//
//   absl::StatusOr<int> ns = copyscope::isolation::NewNamespace();
//   std::thread server([&] {
//     absl::Status in = copyscope::isolation::EnterNamespace(*ns);
//     if (!in.ok()) { /* report in */ return; }
//     int fd = socket(AF_INET, SOCK_STREAM, 0);  // belongs to *ns for good
//     ...
//   });
//
// Going back is not always allowed: setns needs CAP_SYS_ADMIN in the user
// namespace that owns the target, so a process in a nested user namespace
// (Bazel's linux-sandbox, rootless containers) can enter the namespaces it
// made but not return to the host's (EPERM). ScopedNamespace reports that;
// threads that must continue elsewhere afterwards should not rely on it.
#ifndef COPYSCOPE_HARNESS_ENV_ISOLATION_NETNS_H_
#define COPYSCOPE_HARNESS_ENV_ISOLATION_NETNS_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace copyscope::isolation {

// Creates a new network namespace (holding only a down `lo`) and returns a
// close-on-exec fd referring to it; the caller owns and closes the fd. The
// calling thread's namespace is never changed: the unshare happens on a
// short-lived helper thread. Fails with e.g.
// "unshare(CLONE_NEWNET): EPERM (Operation not permitted)".
absl::StatusOr<int> NewNamespace();

// setns(ns_fd, CLONE_NEWNET) for the calling thread only. ns_fd < 0 means
// "no namespace" (loopback isolation) and does nothing, so callers need no
// special case.
absl::Status EnterNamespace(int ns_fd);

// Runs fn on a fresh thread inside ns_fd (ns_fd < 0: the caller's namespace)
// and returns what fn returns. The calling thread is not moved. Sockets,
// including netlink sockets, that fn creates belong to ns_fd.
absl::Status RunInNamespace(int ns_fd, const std::function<absl::Status()>& fn);

// The inode that names the namespace ns_fd refers to, as in "net:[inode]"
// of /proc/<pid>/ns/net.
absl::StatusOr<uint64_t> NamespaceInode(int ns_fd);

// The inode of the calling thread's current network namespace.
absl::StatusOr<uint64_t> CurrentNamespaceInode();

// Reads / writes a per-namespace sysctl of ns_fd's namespace, e.g.
// key "net/ipv4/tcp_orphan_retries" (under /proc/sys). /proc/sys/net
// resolves to the namespace of the thread that opens it, so the access runs
// on a thread inside ns_fd (see RunInNamespace). The value read has no
// trailing newline.
absl::Status WriteNamespaceSysctl(int ns_fd, const std::string& key,
                                  const std::string& value);
absl::StatusOr<std::string> ReadNamespaceSysctl(int ns_fd,
                                                const std::string& key);

// Enters a namespace for the life of the object, then puts the thread back.
class ScopedNamespace {
 public:
  // Saves the calling thread's namespace and enters ns_fd (ns_fd < 0: stays,
  // and restoring is a no-op).
  static absl::StatusOr<ScopedNamespace> Enter(int ns_fd);

  ScopedNamespace(ScopedNamespace&& other) noexcept;
  ScopedNamespace& operator=(ScopedNamespace&& other) = delete;
  ScopedNamespace(const ScopedNamespace&) = delete;
  ScopedNamespace& operator=(const ScopedNamespace&) = delete;

  // Restores the saved namespace; a failure (see above: EPERM when the
  // original namespace belongs to a user namespace we have no rights in) is
  // printed to stderr. Call Restore() to handle it instead.
  ~ScopedNamespace();

  // Restores now, reporting failure; afterwards the destructor does nothing.
  // Must run on the thread that called Enter().
  absl::Status Restore();

 private:
  explicit ScopedNamespace(int saved_fd) : saved_fd_(saved_fd) {}
  int saved_fd_ = -1;  // the namespace to return to; -1: nothing to do
};

}  // namespace copyscope::isolation

#endif  // COPYSCOPE_HARNESS_ENV_ISOLATION_NETNS_H_
