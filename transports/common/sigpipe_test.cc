// SigpipeGuard: a splice() into a socket whose peer is gone raises SIGPIPE;
// under the guard the thread survives with its default disposition, the
// signal is taken back and the signal mask is restored.
#include "transports/common/sigpipe.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "transports/common/test_util.h"

namespace copyscope::transports {
namespace {

bool SigpipePending() {
  sigset_t pending;
  sigemptyset(&pending);
  sigpending(&pending);
  return sigismember(&pending, SIGPIPE);
}

bool SigpipeBlocked() {
  sigset_t mask;
  pthread_sigmask(SIG_SETMASK, nullptr, &mask);
  return sigismember(&mask, SIGPIPE);
}

TEST(SigpipeGuard, SpliceToAClosedPeerDoesNotKillTheProcess) {
  signal(SIGPIPE, SIG_DFL);
  unit::TcpPair pair;
  ASSERT_TRUE(pair.Connect(0));
  close(pair.b);
  pair.b = -1;
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  int epipes = 0;
  for (int i = 0; i < 100 && epipes == 0; ++i) {
    ASSERT_EQ(write(p[1], "abcd", 4), 4);
    SigpipeGuard guard;
    ssize_t n = splice(p[0], nullptr, pair.a, nullptr, 4, 0);
    if (n < 0 && errno == EPIPE) {
      ++epipes;
      EXPECT_TRUE(SigpipePending());
      guard.ConsumeRaised();
      EXPECT_FALSE(SigpipePending());
    }
  }
  close(p[0]);
  close(p[1]);
  EXPECT_EQ(epipes, 1);
  EXPECT_FALSE(SigpipeBlocked());
}

TEST(SigpipeGuard, LeavesAHostsOwnPendingSignalAlone) {
  sigset_t pipe_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &pipe_set, nullptr), 0);
  ASSERT_EQ(pthread_kill(pthread_self(), SIGPIPE), 0);
  {
    SigpipeGuard guard;
    guard.ConsumeRaised();
  }
  EXPECT_TRUE(SigpipePending());
  EXPECT_TRUE(SigpipeBlocked());
  struct timespec zero = {0, 0};
  EXPECT_EQ(sigtimedwait(&pipe_set, nullptr, &zero), SIGPIPE);
  pthread_sigmask(SIG_UNBLOCK, &pipe_set, nullptr);
}

}  // namespace
}  // namespace copyscope::transports
