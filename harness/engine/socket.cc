#include "harness/engine/socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace copyscope::engine {
namespace {

absl::Status ErrnoError(int err, absl::string_view what) {
  return absl::Status(absl::ErrnoToStatusCode(err),
                      absl::StrCat(what, ": ", std::strerror(err)));
}

absl::StatusOr<sockaddr_in> Address(const std::string& ipv4, uint16_t port) {
  sockaddr_in addr;
  std::memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (inet_pton(AF_INET, ipv4.c_str(), &addr.sin_addr) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", ipv4, "' is not an IPv4 address"));
  }
  return addr;
}

int ToPollMs(absl::Duration d) {
  if (d <= absl::ZeroDuration()) return 0;
  int64_t ms = absl::ToInt64Milliseconds(absl::Ceil(d, absl::Milliseconds(1)));
  return ms > 1000000000 ? 1000000000 : static_cast<int>(ms);
}

// Waits until fd has `events`, the deadline passes, or cancel fires.
absl::Status WaitFor(int fd, short events, const CancelSignal& cancel,
                     absl::Time deadline, absl::string_view what) {
  for (;;) {
    if (cancel.cancelled()) return absl::CancelledError(what);
    pollfd fds[2] = {{fd, events, 0}, {cancel.fd(), POLLIN, 0}};
    int rc = poll(fds, 2, ToPollMs(deadline - absl::Now()));
    if (rc < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, what);
    }
    if (fds[1].revents != 0) return absl::CancelledError(what);
    if (fds[0].revents != 0) return absl::OkStatus();
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(what, ": timed out"));
    }
  }
}

}  // namespace

absl::StatusOr<sockaddr_in> Ipv4Address(const std::string& ipv4,
                                        uint16_t port) {
  return Address(ipv4, port);
}

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) close(fd_);
  fd_ = fd;
}

CancelSignal::CancelSignal() : fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

void CancelSignal::Cancel() {
  cancelled_.store(true, std::memory_order_release);
  if (fd_.valid()) {
    uint64_t one = 1;
    ssize_t n = write(fd_.get(), &one, sizeof(one));
    (void)n;  // the flag above is enough if the eventfd is saturated
  }
}

absl::StatusOr<Listener> ListenTcp(const std::string& ipv4, uint16_t port,
                                   int backlog) {
  absl::StatusOr<sockaddr_in> addr = Address(ipv4, port);
  if (!addr.ok()) return addr.status();
  Listener l;
  l.fd.reset(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!l.fd.valid()) return ErrnoError(errno, "socket");
  int one = 1;
  setsockopt(l.fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(l.fd.get(), reinterpret_cast<const sockaddr*>(&*addr),
           sizeof(*addr)) != 0) {
    return ErrnoError(errno, absl::StrCat("bind ", ipv4, ":", port));
  }
  if (listen(l.fd.get(), backlog) != 0) return ErrnoError(errno, "listen");
  sockaddr_in bound;
  socklen_t len = sizeof(bound);
  if (getsockname(l.fd.get(), reinterpret_cast<sockaddr*>(&bound), &len) != 0) {
    return ErrnoError(errno, "getsockname");
  }
  l.port = ntohs(bound.sin_port);
  return l;
}

absl::StatusOr<UniqueFd> AcceptTcp(int listen_fd, const CancelSignal& cancel,
                                   absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    absl::Status s = WaitFor(listen_fd, POLLIN, cancel, deadline, "accept");
    if (!s.ok()) return s;
    int fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) return UniqueFd(fd);
    if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED) {
      return ErrnoError(errno, "accept");
    }
  }
}

absl::StatusOr<UniqueFd> ConnectTcp(const std::string& ipv4, uint16_t port,
                                    const CancelSignal& cancel,
                                    absl::Duration timeout) {
  absl::StatusOr<sockaddr_in> addr = Address(ipv4, port);
  if (!addr.ok()) return addr.status();
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return ErrnoError(errno, "socket");
  const std::string what = absl::StrCat("connect to ", ipv4, ":", port);
  if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&*addr),
              sizeof(*addr)) != 0) {
    if (errno != EINPROGRESS) return ErrnoError(errno, what);
    absl::Status s =
        WaitFor(fd.get(), POLLOUT, cancel, absl::Now() + timeout, what);
    if (!s.ok()) return s;
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
      err = errno;
    }
    if (err != 0) return ErrnoError(err, what);
  }
  int flags = fcntl(fd.get(), F_GETFL);
  if (flags < 0 || fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0) {
    return ErrnoError(errno, "fcntl");
  }
  return fd;
}

}  // namespace copyscope::engine
