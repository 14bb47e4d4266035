// Keeps SIGPIPE away from the host for system calls that have no
// MSG_NOSIGNAL: sendfile() and splice() into a socket whose peer is gone
// raise SIGPIPE (at the calling thread), whose default action would kill the
// host. The guard blocks SIGPIPE in the calling thread for its lifetime and,
// if a call failed with EPIPE, takes back the signal that call raised.
//
//   {
//     copyscope::transports::SigpipeGuard guard;
//     ssize_t n = sendfile(sock, file, &off, len);
//     if (n < 0 && errno == EPIPE) guard.ConsumeRaised();
//   }  // the thread's signal mask is restored here
#ifndef COPYSCOPE_TRANSPORTS_COMMON_SIGPIPE_H_
#define COPYSCOPE_TRANSPORTS_COMMON_SIGPIPE_H_

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

namespace copyscope::transports {

class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    ok_ = pthread_sigmask(SIG_BLOCK, &pipe_, &old_) == 0;
    if (ok_ && sigismember(&old_, SIGPIPE)) {
      // The host blocks SIGPIPE itself: one already pending is its own.
      sigset_t pending;
      sigemptyset(&pending);
      was_pending_ =
          sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE);
    }
  }
  ~SigpipeGuard() {
    if (ok_) pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

  // Call after a call failed with EPIPE: takes the SIGPIPE it raised.
  void ConsumeRaised() {
    if (!ok_ || was_pending_) return;
    struct timespec zero = {0, 0};
    int saved = errno;
    while (sigtimedwait(&pipe_, nullptr, &zero) < 0 && errno == EINTR) {
    }
    errno = saved;
  }

 private:
  sigset_t pipe_;
  sigset_t old_;
  bool ok_ = false;
  bool was_pending_ = false;
};

}  // namespace copyscope::transports

#endif  // COPYSCOPE_TRANSPORTS_COMMON_SIGPIPE_H_
