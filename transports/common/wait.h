// Bounded waits. Every wait of a transport is bounded by the endpoint's
// io_timeout_ms: on a blocking socket through SO_SNDTIMEO/SO_RCVTIMEO (set
// by ApplySocketTimeouts() at open, so the system calls block in the kernel
// as an ordinary blocking program's would), on a non-blocking socket
// through poll(). Either way a wait that runs out gives -ETIMEDOUT.
// Header-only, over the ABI header.
//
//   ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
//   if (n < 0 && errno == EAGAIN) {
//     int rc = WaitAfterEagain(fd, POLLOUT, io_timeout_ms, "send", done,
//                              total, /*hooks=*/nullptr, &error);
//     if (rc < 0) return rc;  // -ETIMEDOUT: "send: peer made no progress
//   }                         //  within io_timeout_ms=50 (...)"
#ifndef COPYSCOPE_TRANSPORTS_COMMON_WAIT_H_
#define COPYSCOPE_TRANSPORTS_COMMON_WAIT_H_

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "plugins/copyscope_transport.h"
#include "transports/common/error_text.h"

namespace copyscope::transports {

inline int64_t MonotonicMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// The end of a bounded wait: timeout_ms from now, or never when
// timeout_ms < 0. LeftMs() is what poll() takes.
//
//   Deadline deadline(io_timeout_ms);
//   for (;;) {
//     int left = deadline.LeftMs();  // -1: no bound; 0: passed
//     ...
//   }
class Deadline {
 public:
  explicit Deadline(int timeout_ms)
      : at_(timeout_ms < 0 ? -1 : MonotonicMs() + timeout_ms) {}

  bool never() const { return at_ < 0; }
  // Milliseconds left: -1 when there is no bound, else >= 0 (0 once passed).
  int LeftMs() const {
    if (at_ < 0) return -1;
    int64_t left = at_ - MonotonicMs();
    return left > 0 ? (int)left : 0;
  }

 private:
  int64_t at_;  // MonotonicMs() at the end, or -1
};

// Stores why a wait for the peer ran out and returns -ETIMEDOUT:
// "<what>: peer made no progress within io_timeout_ms=50 (10 of 20 bytes
// done)".
inline int NoProgress(ErrorText* err, const char* what, int timeout_ms,
                      size_t done, size_t total) {
  return err->Set(-ETIMEDOUT,
                  "%s: peer made no progress within io_timeout_ms=%d "
                  "(%zu of %zu bytes done)",
                  what, timeout_ms, done, total);
}

// Bounds blocking system calls on fd by timeout_ms (SO_SNDTIMEO for
// senders, SO_RCVTIMEO for receivers). Does nothing when timeout_ms < 0.
inline int ApplySocketTimeouts(int fd, uint32_t role, int timeout_ms, char* err,
                               size_t err_size) {
  if (timeout_ms < 0) return 0;
  // A zero timeval means "no timeout" to the kernel; 0 ms becomes 1 ms.
  int ms = timeout_ms == 0 ? 1 : timeout_ms;
  struct timeval tv;
  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  const struct {
    uint32_t role_bit;
    int option;
    const char* name;
  } kOptions[] = {{CS_ROLE_SENDER, SO_SNDTIMEO, "SO_SNDTIMEO"},
                  {CS_ROLE_RECEIVER, SO_RCVTIMEO, "SO_RCVTIMEO"}};
  for (const auto& o : kOptions) {
    if ((role & o.role_bit) == 0) continue;
    if (setsockopt(fd, SOL_SOCKET, o.option, &tv, sizeof(tv)) != 0) {
      int e = errno;
      FormatInto(err, err_size, "open: setsockopt(%s): %s", o.name,
                 ErrnoText(e).c_str());
      return -e;
    }
  }
  return 0;
}

// poll() for events on fd for up to timeout_ms (< 0: forever), retrying
// EINTR with the time left. Returns the revents (> 0), 0 on timeout, or a
// negative errno.
inline int PollFor(int fd, short events, int timeout_ms) {
  Deadline deadline(timeout_ms);
  for (;;) {
    struct pollfd pfd = {fd, events, 0};
    int n = poll(&pfd, 1, deadline.LeftMs());
    if (n > 0) return pfd.revents;
    if (n == 0) return 0;
    if (errno != EINTR) return -errno;
  }
}

// Hooks a transport with an error queue (MSG_ZEROCOPY) gives the loops.
struct IoHooks {
  // sendmsg() failed with ENOBUFS: return 0 to retry, or a negative errno
  // (err set) to give up. nullptr: ENOBUFS is an error.
  int (*on_enobufs)(void* ctx, ErrorText* err) = nullptr;
  // poll() reported POLLERR alone: read the error queue; return true if it
  // held anything (then the wait goes on), false if not.
  bool (*on_pollerr)(void* ctx) = nullptr;
  void* ctx = nullptr;
};

// Called after a send/recv system call failed with EAGAIN: on a blocking
// socket that means its SO_*TIMEO ran out; on a non-blocking socket waits
// with poll(). Returns 0 when the call should be retried, else a negative
// errno with err set. `what` names the operation for the message.
inline int WaitAfterEagain(int fd, short events, int timeout_ms,
                           const char* what, size_t done, size_t total,
                           const IoHooks* hooks, ErrorText* err) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return err->SetErrno(errno, "fcntl(F_GETFL)");
  if (flags & O_NONBLOCK) {
    Deadline deadline(timeout_ms);
    for (;;) {
      int rc = PollFor(fd, events, deadline.LeftMs());
      if (rc < 0) return err->SetErrno(-rc, "poll");
      if (rc == 0) break;
      if ((rc & POLLERR) == 0 || (rc & (events | POLLHUP)) != 0) {
        // Readiness or a hang-up: the retried call reports which.
        return 0;
      }
      // POLLERR alone: error-queue entries or a pending socket error.
      if (hooks != nullptr && hooks->on_pollerr != nullptr &&
          hooks->on_pollerr(hooks->ctx)) {
        continue;  // the transport consumed its error-queue entries
      }
      int so_error = 0;
      socklen_t len = sizeof(so_error);
      if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0) {
        return err->SetErrno(errno, "getsockopt(SO_ERROR)");
      }
      if (so_error != 0) return err->SetErrno(so_error, what);
      // Someone else's error-queue entries: back off instead of spinning.
      poll(nullptr, 0, 1);
    }
  }
  return NoProgress(err, what, timeout_ms, done, total);
}

}  // namespace copyscope::transports

#endif  // COPYSCOPE_TRANSPORTS_COMMON_WAIT_H_
