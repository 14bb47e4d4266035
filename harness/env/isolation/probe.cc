#include "harness/env/isolation/probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/notification.h"
#include "harness/env/isolation/errors.h"

namespace copyscope::isolation {
namespace {

constexpr size_t kChunk = 64 * 1024;

uint8_t PatternByte(uint64_t i) { return static_cast<uint8_t>(i * 131 + 7); }

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void reset(int fd) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

int TimeoutMs(absl::Duration d) {
  return static_cast<int>(std::max<int64_t>(1, absl::ToInt64Milliseconds(d)));
}

absl::Status WaitFor(int fd, short events, absl::Duration timeout,
                     absl::string_view what) {
  struct pollfd p = {fd, events, 0};
  int n;
  do {
    n = poll(&p, 1, TimeoutMs(timeout));
  } while (n < 0 && errno == EINTR);
  if (n < 0) return ErrnoError(absl::StrCat("poll (", what, ")"));
  if (n == 0) {
    return absl::DeadlineExceededError(
        absl::StrCat(what, ": nothing within ", absl::FormatDuration(timeout)));
  }
  return absl::OkStatus();
}

absl::Status SetTimeouts(int fd, absl::Duration timeout) {
  struct timeval tv = absl::ToTimeval(timeout);
  if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0) {
    return ErrnoError("setsockopt(SO_RCVTIMEO/SO_SNDTIMEO)");
  }
  return absl::OkStatus();
}

absl::StatusOr<sockaddr_in> MakeAddress(const std::string& address,
                                        uint16_t port) {
  sockaddr_in sin = {};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  if (inet_pton(AF_INET, address.c_str(), &sin.sin_addr) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("not an IPv4 address: \"", address, "\""));
  }
  return sin;
}

absl::Status SendAll(int fd, const uint8_t* data, size_t n) {
  while (n > 0) {
    ssize_t sent = send(fd, data, n, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0) return ErrnoError("send");
    data += sent;
    n -= static_cast<size_t>(sent);
  }
  return absl::OkStatus();
}

absl::Status RecvAll(int fd, uint8_t* data, size_t n) {
  while (n > 0) {
    ssize_t got = recv(fd, data, n, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return ErrnoError("recv");
    if (got == 0) return absl::DataLossError("recv: peer closed early");
    data += got;
    n -= static_cast<size_t>(got);
  }
  return absl::OkStatus();
}

struct Shared {
  const Isolation* iso;
  const ProbeOptions* options;
  absl::Notification port_ready;
  uint16_t port = 0;  // written before port_ready; 0: the server failed
  absl::BlockingCounter finished{2};
  absl::Notification release;
  ProbeResult result;
};

absl::Status ServeOne(Shared& sh, Fd& conn) {
  const Side& side = sh.iso->server();
  const absl::Duration timeout = sh.options->step_timeout;
  absl::StatusOr<uint64_t> ns = CurrentNamespaceInode();
  if (!ns.ok()) return ns.status();
  sh.result.server_thread_ns = *ns;
  Fd listener(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (listener.get() < 0) return ErrnoError("socket (server)");
  absl::StatusOr<sockaddr_in> addr = MakeAddress(side.address, 0);
  if (!addr.ok()) return addr.status();
  if (bind(listener.get(), reinterpret_cast<sockaddr*>(&*addr),
           sizeof(*addr)) != 0) {
    return ErrnoError(absl::StrCat("bind ", side.address));
  }
  if (listen(listener.get(), 1) != 0) return ErrnoError("listen");
  socklen_t len = sizeof(*addr);
  if (getsockname(listener.get(), reinterpret_cast<sockaddr*>(&*addr), &len) !=
      0) {
    return ErrnoError("getsockname");
  }
  sh.port = ntohs(addr->sin_port);
  sh.result.port = sh.port;
  sh.port_ready.Notify();

  if (absl::Status s = WaitFor(listener.get(), POLLIN, timeout, "accept");
      !s.ok()) {
    return s;
  }
  sockaddr_in peer = {};
  len = sizeof(peer);
  conn.reset(accept4(listener.get(), reinterpret_cast<sockaddr*>(&peer), &len,
                     SOCK_CLOEXEC));
  if (conn.get() < 0) return ErrnoError("accept");
  char text[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &peer.sin_addr, text, sizeof(text));
  sh.result.peer_address = text;
  if (absl::Status s = SetTimeouts(conn.get(), timeout); !s.ok()) return s;

  std::vector<uint8_t> buf(kChunk);
  uint64_t seen = 0;
  while (seen < sh.options->bytes) {
    size_t want = static_cast<size_t>(
        std::min<uint64_t>(kChunk, sh.options->bytes - seen));
    ssize_t got = recv(conn.get(), buf.data(), want, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return ErrnoError("recv (server)");
    if (got == 0) {
      return absl::DataLossError(
          absl::StrCat("client closed after ", seen, " bytes"));
    }
    for (ssize_t i = 0; i < got; ++i, ++seen) {
      if (buf[i] != PatternByte(seen)) {
        return absl::DataLossError(absl::StrCat("byte ", seen, " corrupted"));
      }
    }
  }
  sh.result.bytes = seen;
  uint64_t echo = seen;
  return SendAll(conn.get(), reinterpret_cast<uint8_t*>(&echo), sizeof(echo));
}

absl::Status ConnectOne(Shared& sh, Fd& conn) {
  const absl::Duration timeout = sh.options->step_timeout;
  absl::StatusOr<uint64_t> ns = CurrentNamespaceInode();
  if (!ns.ok()) return ns.status();
  sh.result.client_thread_ns = *ns;
  if (!sh.port_ready.WaitForNotificationWithTimeout(timeout)) {
    return absl::DeadlineExceededError("server never listened");
  }
  if (sh.port == 0) return absl::AbortedError("server failed before listening");
  absl::StatusOr<sockaddr_in> addr =
      MakeAddress(sh.iso->server().address, sh.port);
  if (!addr.ok()) return addr.status();
  conn.reset(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (conn.get() < 0) return ErrnoError("socket (client)");
  const std::string where =
      absl::StrCat(sh.iso->server().address, ":", sh.port);
  if (connect(conn.get(), reinterpret_cast<sockaddr*>(&*addr), sizeof(*addr)) !=
          0 &&
      errno != EINPROGRESS) {
    return ErrnoError(absl::StrCat("connect ", where));
  }
  if (absl::Status s = WaitFor(conn.get(), POLLOUT, timeout,
                               absl::StrCat("connect ", where));
      !s.ok()) {
    return s;
  }
  int err = 0;
  socklen_t len = sizeof(err);
  getsockopt(conn.get(), SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) return ErrnoError(absl::StrCat("connect ", where), err);
  int flags = fcntl(conn.get(), F_GETFL);
  if (flags < 0 || fcntl(conn.get(), F_SETFL, flags & ~O_NONBLOCK) != 0) {
    return ErrnoError("fcntl(O_NONBLOCK off)");
  }
  if (absl::Status s = SetTimeouts(conn.get(), timeout); !s.ok()) return s;

  std::vector<uint8_t> buf(kChunk);
  uint64_t sent = 0;
  while (sent < sh.options->bytes) {
    size_t n = static_cast<size_t>(
        std::min<uint64_t>(kChunk, sh.options->bytes - sent));
    for (size_t i = 0; i < n; ++i) buf[i] = PatternByte(sent + i);
    if (absl::Status s = SendAll(conn.get(), buf.data(), n); !s.ok()) return s;
    sent += n;
  }
  uint64_t echo = 0;
  if (absl::Status s =
          RecvAll(conn.get(), reinterpret_cast<uint8_t*>(&echo), sizeof(echo));
      !s.ok()) {
    return s;
  }
  if (echo != sent) {
    return absl::DataLossError(
        absl::StrCat("server counted ", echo, " bytes of ", sent));
  }
  return absl::OkStatus();
}

// Runs one role inside its namespace; holds the connection open until
// released, so while_connected sees both threads in place.
void RunRole(Shared& sh, int ns_fd, absl::Status (*role)(Shared&, Fd&),
             absl::Status* out) {
  Fd conn;
  // A dedicated thread: it enters and simply ends, never needing the way
  // back (which a sandboxed process may not be allowed).
  absl::Status entered = EnterNamespace(ns_fd);
  *out = entered.ok() ? role(sh, conn) : entered;
  // Only the server thread notifies, so a failed server still wakes the
  // client (which then sees port 0).
  if (role == &ServeOne && !sh.port_ready.HasBeenNotified()) {
    sh.port_ready.Notify();
  }
  sh.finished.DecrementCount();
  sh.release.WaitForNotification();
}

}  // namespace

absl::StatusOr<ProbeResult> ProbeTransfer(const Isolation& iso,
                                          const ProbeOptions& options) {
  Shared sh;
  sh.iso = &iso;
  sh.options = &options;
  absl::Status server_status, client_status;
  std::thread server(RunRole, std::ref(sh), iso.server().ns_fd, &ServeOne,
                     &server_status);
  std::thread client(RunRole, std::ref(sh), iso.client().ns_fd, &ConnectOne,
                     &client_status);
  sh.finished.Wait();
  if (server_status.ok() && client_status.ok() && options.while_connected) {
    options.while_connected();
  }
  sh.release.Notify();
  server.join();
  client.join();
  if (!server_status.ok()) {
    return absl::Status(server_status.code(),
                        absl::StrCat("server: ", server_status.message()));
  }
  if (!client_status.ok()) {
    return absl::Status(client_status.code(),
                        absl::StrCat("client: ", client_status.message()));
  }
  return sh.result;
}

}  // namespace copyscope::isolation
