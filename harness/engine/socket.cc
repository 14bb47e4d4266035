#include "harness/engine/socket.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
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

using config::Family;

// A socket address of any family; for unix `port` names <host>/<port>.
struct AnyAddress {
  sockaddr_storage storage;
  socklen_t len = 0;
  int domain = AF_INET;
  const sockaddr* get() const {
    return reinterpret_cast<const sockaddr*>(&storage);
  }
};

std::string UnixPath(const std::string& dir, uint16_t port) {
  return absl::StrCat(dir, "/", port);
}

absl::StatusOr<AnyAddress> AddressOf(Family family, const std::string& host,
                                     uint16_t port) {
  AnyAddress a;
  std::memset(&a.storage, 0, sizeof(a.storage));
  switch (family) {
    case Family::kInet: {
      absl::StatusOr<sockaddr_in> in = Address(host, port);
      if (!in.ok()) return in.status();
      std::memcpy(&a.storage, &*in, sizeof(*in));
      a.len = sizeof(sockaddr_in);
      a.domain = AF_INET;
      return a;
    }
    case Family::kInet6: {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
      in6->sin6_family = AF_INET6;
      in6->sin6_port = htons(port);
      if (inet_pton(AF_INET6, host.c_str(), &in6->sin6_addr) != 1) {
        return absl::InvalidArgumentError(
            absl::StrCat("'", host, "' is not an IPv6 address"));
      }
      a.len = sizeof(sockaddr_in6);
      a.domain = AF_INET6;
      return a;
    }
    case Family::kUnix: {
      auto* un = reinterpret_cast<sockaddr_un*>(&a.storage);
      un->sun_family = AF_UNIX;
      const std::string path = UnixPath(host, port);
      if (host.empty() || host[0] != '/' ||
          path.size() >= sizeof(un->sun_path)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "'", path, "' is not an absolute socket path shorter than ",
            sizeof(un->sun_path), " bytes"));
      }
      std::memcpy(un->sun_path, path.c_str(), path.size() + 1);
      a.len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) +
                                     path.size() + 1);
      a.domain = AF_UNIX;
      return a;
    }
  }
  return absl::InvalidArgumentError("unknown address family");
}

std::string Where(Family family, const std::string& host, uint16_t port) {
  switch (family) {
    case Family::kInet6:
      return absl::StrCat("[", host, "]:", port);
    case Family::kUnix:
      return UnixPath(host, port);
    case Family::kInet:
      break;
  }
  return absl::StrCat(host, ":", port);
}

// The port an IPv4 or IPv6 socket is bound to.
absl::StatusOr<uint16_t> BoundPort(int fd) {
  sockaddr_storage bound;
  socklen_t len = sizeof(bound);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len) != 0) {
    return ErrnoError(errno, "getsockname");
  }
  if (bound.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&bound)->sin6_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in*>(&bound)->sin_port);
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

SocketPath& SocketPath::operator=(SocketPath&& o) noexcept {
  if (this != &o) {
    Unlink();
    path_ = std::move(o.path_);
    o.path_.clear();
  }
  return *this;
}

void SocketPath::Unlink() {
  if (!path_.empty()) unlink(path_.c_str());
  path_.clear();
}

absl::StatusOr<Listener> ListenStream(Family family, const std::string& address,
                                      int backlog) {
  if (family == Family::kInet) return ListenTcp(address, 0, backlog);
  Listener l;
  if (family == Family::kUnix) {
    // The first free name: bind() fails with EADDRINUSE on an existing file.
    for (uint32_t n = 1; n <= 65535; ++n) {
      absl::StatusOr<AnyAddress> a =
          AddressOf(family, address, static_cast<uint16_t>(n));
      if (!a.ok()) return a.status();
      UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
      if (!fd.valid()) return ErrnoError(errno, "socket");
      if (bind(fd.get(), a->get(), a->len) != 0) {
        if (errno == EADDRINUSE) continue;
        return ErrnoError(errno, absl::StrCat("bind ", UnixPath(address, n)));
      }
      l.path = SocketPath(UnixPath(address, n));
      l.fd = std::move(fd);
      l.port = static_cast<uint16_t>(n);
      break;
    }
    if (!l.fd.valid()) {
      return absl::ResourceExhaustedError(
          absl::StrCat("no free socket name in ", address));
    }
    if (listen(l.fd.get(), backlog) != 0) return ErrnoError(errno, "listen");
    return l;
  }
  absl::StatusOr<AnyAddress> a = AddressOf(family, address, 0);
  if (!a.ok()) return a.status();
  l.fd.reset(socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!l.fd.valid()) return ErrnoError(errno, "socket");
  int one = 1;
  setsockopt(l.fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  setsockopt(l.fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  if (bind(l.fd.get(), a->get(), a->len) != 0) {
    return ErrnoError(errno, absl::StrCat("bind ", Where(family, address, 0)));
  }
  if (listen(l.fd.get(), backlog) != 0) return ErrnoError(errno, "listen");
  absl::StatusOr<uint16_t> bound = BoundPort(l.fd.get());
  if (!bound.ok()) return bound.status();
  l.port = *bound;
  return l;
}

// Connects a new socket of a's domain to a within timeout (cancel cuts the
// wait short); the socket returned is blocking.
absl::StatusOr<UniqueFd> ConnectTo(const AnyAddress& a, const std::string& what,
                                   const CancelSignal& cancel,
                                   absl::Duration timeout) {
  UniqueFd fd(socket(a.domain, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return ErrnoError(errno, "socket");
  if (connect(fd.get(), a.get(), a.len) != 0) {
    // A unix connect does not go in progress: EAGAIN is a full backlog.
    if (errno != EINPROGRESS && errno != EAGAIN) return ErrnoError(errno, what);
    if (errno == EAGAIN) {
      // Retry blocking within the deadline: the listener accepts soon.
      absl::Time deadline = absl::Now() + timeout;
      for (;;) {
        if (cancel.cancelled()) return absl::CancelledError(what);
        if (absl::Now() >= deadline) {
          return absl::DeadlineExceededError(absl::StrCat(what, ": timed out"));
        }
        pollfd p = {cancel.fd(), POLLIN, 0};
        poll(&p, 1, 10);  // a backoff that a cancel cuts short
        if (connect(fd.get(), a.get(), a.len) == 0) break;
        if (errno != EAGAIN) return ErrnoError(errno, what);
      }
    } else {
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
  }
  int flags = fcntl(fd.get(), F_GETFL);
  if (flags < 0 || fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0) {
    return ErrnoError(errno, "fcntl");
  }
  return fd;
}

absl::StatusOr<UniqueFd> ConnectStream(Family family,
                                       const std::string& address,
                                       uint16_t port,
                                       const CancelSignal& cancel,
                                       absl::Duration timeout) {
  absl::StatusOr<AnyAddress> a = AddressOf(family, address, port);
  if (!a.ok()) return a.status();
  return ConnectTo(*a,
                   absl::StrCat("connect to ", Where(family, address, port)),
                   cancel, timeout);
}

absl::StatusOr<std::string> MakeUnixSocketDir() {
  // sun_path holds 108 bytes: leave room for "/copyscope-XXXXXX/65535".
  std::string base = "/tmp";
  const char* tmp = std::getenv("TMPDIR");
  if (tmp != nullptr && tmp[0] == '/' && std::strlen(tmp) <= 64) base = tmp;
  std::string templ = absl::StrCat(base, "/copyscope-XXXXXX");
  if (mkdtemp(templ.data()) == nullptr) {
    return ErrnoError(errno, absl::StrCat("mkdtemp ", templ));
  }
  return templ;
}

void RemoveUnixSocketDir(const std::string& dir) {
  if (dir.empty()) return;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      // Only the names ListenStream gives: digits.
      const std::string name = e->d_name;
      if (name.empty() ||
          name.find_first_not_of("0123456789") != std::string::npos) {
        continue;
      }
      unlink(absl::StrCat(dir, "/", name).c_str());
    }
    closedir(d);
  }
  rmdir(dir.c_str());
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
  absl::StatusOr<uint16_t> bound = BoundPort(l.fd.get());
  if (!bound.ok()) return bound.status();
  l.port = *bound;
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
  return ConnectStream(Family::kInet, ipv4, port, cancel, timeout);
}

bool IsHello(const void* data, size_t len) {
  return len == kHelloBytes && std::memcmp(data, "copyscope-", 10) == 0 &&
         (std::memcmp(data, kHelloMagic, sizeof(kHelloMagic) - 1) == 0 ||
          std::memcmp(data, "copyscope-ack", 13) == 0);
}

namespace {
constexpr char kAck[kHelloBytes] = "copyscope-ack";
constexpr char kHello[kHelloBytes] = "copyscope-hello";
}  // namespace

absl::StatusOr<Listener> BindUdp(const std::string& ipv4, uint16_t port) {
  absl::StatusOr<sockaddr_in> addr = Address(ipv4, port);
  if (!addr.ok()) return addr.status();
  Listener l;
  l.fd.reset(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!l.fd.valid()) return ErrnoError(errno, "socket");
  if (bind(l.fd.get(), reinterpret_cast<const sockaddr*>(&*addr),
           sizeof(*addr)) != 0) {
    return ErrnoError(errno, absl::StrCat("bind udp ", ipv4, ":", port));
  }
  absl::StatusOr<uint16_t> bound = BoundPort(l.fd.get());
  if (!bound.ok()) return bound.status();
  l.port = *bound;
  return l;
}

absl::StatusOr<UniqueFd> AcceptUdp(Listener bound, const CancelSignal& cancel,
                                   absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  const int fd = bound.fd.get();
  for (;;) {
    absl::Status s = WaitFor(fd, POLLIN, cancel, deadline, "udp hello");
    if (!s.ok()) return s;
    char buf[kHelloBytes + 1];
    sockaddr_in from;
    socklen_t len = sizeof(from);
    ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
                         reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return ErrnoError(errno, "udp hello: recvfrom");
    }
    if (n != static_cast<ssize_t>(kHelloBytes) ||
        std::memcmp(buf, kHello, kHelloBytes) != 0) {
      continue;  // not ours
    }
    if (connect(fd, reinterpret_cast<const sockaddr*>(&from), len) != 0) {
      return ErrnoError(errno, "udp: connect to the client");
    }
    if (send(fd, kAck, kHelloBytes, MSG_NOSIGNAL) < 0) {
      return ErrnoError(errno, "udp: ack");
    }
    return std::move(bound.fd);
  }
}

absl::StatusOr<UniqueFd> ConnectUdp(const std::string& ipv4, uint16_t port,
                                    const CancelSignal& cancel,
                                    absl::Duration timeout) {
  absl::StatusOr<sockaddr_in> addr = Address(ipv4, port);
  if (!addr.ok()) return addr.status();
  UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return ErrnoError(errno, "socket");
  const std::string what = absl::StrCat("udp connect to ", ipv4, ":", port);
  if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&*addr),
              sizeof(*addr)) != 0) {
    return ErrnoError(errno, what);
  }
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    if (send(fd.get(), kHello, kHelloBytes, MSG_NOSIGNAL) < 0 &&
        errno != ECONNREFUSED) {
      return ErrnoError(errno, absl::StrCat(what, ": hello"));
    }
    const absl::Time retry =
        std::min(deadline, absl::Now() + absl::Milliseconds(100));
    absl::Status s = WaitFor(fd.get(), POLLIN, cancel, retry, what);
    if (s.code() == absl::StatusCode::kDeadlineExceeded) {
      if (absl::Now() >= deadline) {
        return absl::DeadlineExceededError(
            absl::StrCat(what, ": no answer to the hello"));
      }
      continue;
    }
    if (!s.ok()) return s;
    char buf[kHelloBytes + 1];
    ssize_t n = recv(fd.get(), buf, sizeof(buf), MSG_DONTWAIT);
    if (n == static_cast<ssize_t>(kHelloBytes) &&
        std::memcmp(buf, kAck, kHelloBytes) == 0) {
      return fd;
    }
    // ECONNREFUSED (the server not bound yet: cannot be, it published the
    // port) or anything else: wait for the ack until the deadline.
  }
}

}  // namespace copyscope::engine
