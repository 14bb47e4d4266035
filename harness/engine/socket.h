// TCP sockets for the runner: an owning fd, listening on an ephemeral port,
// and accept/connect waits that are bounded in time and can be cancelled.
//
//   CancelSignal cancel;                         // shared by a cell's threads
//   absl::StatusOr<Listener> l = ListenTcp("127.0.0.1");   // port 0
//   ... publish l->port to the client thread ...
//   absl::StatusOr<UniqueFd> s =
//       AcceptTcp(l->fd.get(), cancel, absl::Seconds(10));
//   // client thread:
//   absl::StatusOr<UniqueFd> c =
//       ConnectTcp("127.0.0.1", port, cancel, absl::Seconds(10));
//   // any thread, on failure: wake every waiter at once
//   cancel.Cancel();
//
// Returned sockets are blocking, close-on-exec, IPv4.
//
// Any family (config::Family): the same over IPv4, IPv6 or a Unix stream
// socket. For unix the "address" is a directory and the "port" a number n
// naming the socket file <directory>/<n>; the listener unlinks its file
// when it closes (a connected pair needs no path).
//
//   absl::StatusOr<Listener> l = ListenStream(Family::kInet6, "::1");
//   absl::StatusOr<Listener> u = ListenStream(Family::kUnix, dir);  // dir/1
//   ConnectStream(Family::kUnix, dir, u->port, cancel, timeout);
//   absl::StatusOr<std::string> d = MakeUnixSocketDir();  // 0700, short
//   RemoveUnixSocketDir(*d);
#ifndef COPYSCOPE_HARNESS_ENGINE_SOCKET_H_
#define COPYSCOPE_HARNESS_ENGINE_SOCKET_H_

#include <netinet/in.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "harness/config/types.h"

namespace copyscope::engine {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    reset(o.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// A one-shot, thread-safe "stop waiting" signal that poll() can watch (an
// eventfd that becomes readable on Cancel()).
class CancelSignal {
 public:
  CancelSignal();
  CancelSignal(const CancelSignal&) = delete;
  CancelSignal& operator=(const CancelSignal&) = delete;

  void Cancel();
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }
  int fd() const { return fd_.get(); }

 private:
  UniqueFd fd_;
  std::atomic<bool> cancelled_{false};
};

// A socket file's path, unlinked when the owner goes (moved-from: none).
class SocketPath {
 public:
  SocketPath() = default;
  explicit SocketPath(std::string path) : path_(std::move(path)) {}
  SocketPath(SocketPath&& o) noexcept : path_(std::move(o.path_)) {
    o.path_.clear();
  }
  SocketPath& operator=(SocketPath&& o) noexcept;
  SocketPath(const SocketPath&) = delete;
  SocketPath& operator=(const SocketPath&) = delete;
  ~SocketPath() { Unlink(); }

  const std::string& path() const { return path_; }
  void Unlink();
  // Gives the file up (it stays); returns its path.
  std::string release() {
    std::string p = std::move(path_);
    path_.clear();
    return p;
  }

 private:
  std::string path_;
};
// ipv4:port as a socket address, or InvalidArgument for a malformed one.
absl::StatusOr<sockaddr_in> Ipv4Address(const std::string& ipv4, uint16_t port);

struct Listener {
  UniqueFd fd;
  uint16_t port = 0;  // unix: the n of <directory>/<n>
  SocketPath path;    // unix: the socket file, unlinked with the listener
};

// A listening socket on ipv4:port (port 0: an ephemeral port, see .port).
absl::StatusOr<Listener> ListenTcp(const std::string& ipv4, uint16_t port = 0,
                                   int backlog = 16);

// Waits up to timeout for one connection; fails early when cancelled.
absl::StatusOr<UniqueFd> AcceptTcp(int listen_fd, const CancelSignal& cancel,
                                   absl::Duration timeout);

// Connects to ipv4:port within timeout; fails early when cancelled.
absl::StatusOr<UniqueFd> ConnectTcp(const std::string& ipv4, uint16_t port,
                                    const CancelSignal& cancel,
                                    absl::Duration timeout);

// A listening stream socket of `family` on `address` (inet: an IPv4
// address, inet6: an IPv6 one, both on an ephemeral port; unix: a
// directory, bound at <address>/<n> for the first free n from 1).
absl::StatusOr<Listener> ListenStream(config::Family family,
                                      const std::string& address,
                                      int backlog = 16);

// Connects to a ListenStream's address and port within timeout; fails
// early when cancelled.
absl::StatusOr<UniqueFd> ConnectStream(config::Family family,
                                       const std::string& address,
                                       uint16_t port,
                                       const CancelSignal& cancel,
                                       absl::Duration timeout);

// A new private (0700) directory for unix socket files: under $TMPDIR when
// its paths fit in sun_path, else under /tmp.
absl::StatusOr<std::string> MakeUnixSocketDir();

// Removes what MakeUnixSocketDir made: its socket files, then itself.
void RemoveUnixSocketDir(const std::string& dir);
// UDP, for datagram cells. The server binds an ephemeral UDP port (published
// as a TCP one is), the client connect()s a UDP socket to it and sends a
// hello; the server connect()s to where the hello came from and answers
// with an ack, which the client waits for (resending its hello every
// 100 ms until the deadline). Both sockets end connected to each other.
// The receiver of a data stream skips a stray hello or ack (kHelloBytes
// long, starting with kHelloMagic) that a lost ack made the client resend.
inline constexpr size_t kHelloBytes = 16;
inline constexpr char kHelloMagic[] = "copyscope-hello";  // and "...-ack"
bool IsHello(const void* data, size_t len);

absl::StatusOr<Listener> BindUdp(const std::string& ipv4, uint16_t port = 0);
absl::StatusOr<UniqueFd> AcceptUdp(Listener bound, const CancelSignal& cancel,
                                   absl::Duration timeout);
absl::StatusOr<UniqueFd> ConnectUdp(const std::string& ipv4, uint16_t port,
                                    const CancelSignal& cancel,
                                    absl::Duration timeout);

}  // namespace copyscope::engine

#endif  // COPYSCOPE_HARNESS_ENGINE_SOCKET_H_
