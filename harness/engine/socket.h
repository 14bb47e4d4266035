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
#ifndef COPYSCOPE_HARNESS_ENGINE_SOCKET_H_
#define COPYSCOPE_HARNESS_ENGINE_SOCKET_H_

#include <netinet/in.h>

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

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

// ipv4:port as a socket address, or InvalidArgument for a malformed one.
absl::StatusOr<sockaddr_in> Ipv4Address(const std::string& ipv4, uint16_t port);

struct Listener {
  UniqueFd fd;
  uint16_t port = 0;
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

}  // namespace copyscope::engine

#endif  // COPYSCOPE_HARNESS_ENGINE_SOCKET_H_
