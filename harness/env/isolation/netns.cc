#include "harness/env/isolation/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "harness/env/isolation/errors.h"

namespace copyscope::isolation {
namespace {

// The calling thread's own namespace; /proc/self would name the main
// thread's, which may differ.
constexpr char kThreadNetns[] = "/proc/thread-self/ns/net";

absl::StatusOr<int> OpenCurrentNamespace() {
  int fd = open(kThreadNetns, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(absl::StrCat("open(", kThreadNetns, ")"));
  return fd;
}

}  // namespace

absl::StatusOr<int> NewNamespace() {
  absl::StatusOr<int> result = absl::InternalError("helper thread did not run");
  // The helper thread dies right after, taking its reference with it; from
  // then on only the returned fd keeps the namespace alive.
  std::thread helper([&result] {
    if (unshare(CLONE_NEWNET) != 0) {
      result = ErrnoError("unshare(CLONE_NEWNET)");
      return;
    }
    result = OpenCurrentNamespace();
  });
  helper.join();
  return result;
}

absl::Status EnterNamespace(int ns_fd) {
  if (ns_fd < 0) return absl::OkStatus();
  if (setns(ns_fd, CLONE_NEWNET) != 0) {
    return ErrnoError(absl::StrCat("setns(fd ", ns_fd, ", CLONE_NEWNET)"));
  }
  return absl::OkStatus();
}

absl::Status RunInNamespace(int ns_fd,
                            const std::function<absl::Status()>& fn) {
  absl::Status result;
  std::thread worker([&] {
    result = EnterNamespace(ns_fd);
    if (result.ok()) result = fn();
  });
  worker.join();
  return result;
}

absl::StatusOr<uint64_t> NamespaceInode(int ns_fd) {
  struct stat st;
  if (fstat(ns_fd, &st) != 0) {
    return ErrnoError(absl::StrCat("fstat(namespace fd ", ns_fd, ")"));
  }
  return static_cast<uint64_t>(st.st_ino);
}

absl::StatusOr<uint64_t> CurrentNamespaceInode() {
  struct stat st;
  if (stat(kThreadNetns, &st) != 0) {
    return ErrnoError(absl::StrCat("stat(", kThreadNetns, ")"));
  }
  return static_cast<uint64_t>(st.st_ino);
}

absl::Status WriteNamespaceSysctl(int ns_fd, const std::string& key,
                                  const std::string& value) {
  const std::string path = absl::StrCat("/proc/sys/", key);
  return RunInNamespace(ns_fd, [&]() -> absl::Status {
    int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoError(absl::StrCat("open(", path, ")"));
    ssize_t n = write(fd, value.data(), value.size());
    int err = errno;
    close(fd);
    if (n != static_cast<ssize_t>(value.size())) {
      return ErrnoError(absl::StrCat("write(", path, ")"), n < 0 ? err : EIO);
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::string> ReadNamespaceSysctl(int ns_fd,
                                                const std::string& key) {
  const std::string path = absl::StrCat("/proc/sys/", key);
  std::string text;
  absl::Status s = RunInNamespace(ns_fd, [&]() -> absl::Status {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoError(absl::StrCat("open(", path, ")"));
    char buf[256];
    ssize_t n = read(fd, buf, sizeof(buf));
    int err = errno;
    close(fd);
    if (n < 0) return ErrnoError(absl::StrCat("read(", path, ")"), err);
    text.assign(buf, static_cast<size_t>(n));
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

absl::StatusOr<ScopedNamespace> ScopedNamespace::Enter(int ns_fd) {
  if (ns_fd < 0) return ScopedNamespace(-1);
  absl::StatusOr<int> saved = OpenCurrentNamespace();
  if (!saved.ok()) return saved.status();
  if (absl::Status entered = EnterNamespace(ns_fd); !entered.ok()) {
    close(*saved);
    return entered;
  }
  return ScopedNamespace(*saved);
}

ScopedNamespace::ScopedNamespace(ScopedNamespace&& other) noexcept
    : saved_fd_(std::exchange(other.saved_fd_, -1)) {}

ScopedNamespace::~ScopedNamespace() {
  absl::Status restored = Restore();
  if (!restored.ok()) {
    std::fprintf(stderr, "copyscope: leaving network namespace: %s\n",
                 restored.ToString().c_str());
  }
}

absl::Status ScopedNamespace::Restore() {
  if (saved_fd_ < 0) return absl::OkStatus();
  absl::Status status = EnterNamespace(saved_fd_);
  close(saved_fd_);
  saved_fd_ = -1;
  return status;
}

}  // namespace copyscope::isolation
