#include "harness/cli/interrupt.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <mutex>
#include <thread>

namespace copyscope::cli {
namespace {

std::atomic<bool> g_interrupted{false};

}  // namespace

const std::atomic<bool>& WatchInterrupts() {
  static std::once_flag once;
  std::call_once(once, [] {
    // A shell starts background jobs with SIGINT ignored; an ignored signal
    // never reaches sigwait(), so take it back before blocking it.
    struct sigaction sa {};
    sa.sa_handler = [](int) {};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGHUP, &sa, nullptr);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::thread([set] {
      for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0) continue;
        if (g_interrupted.exchange(true)) _exit(kExitInterrupted);
      }
    }).detach();
  });
  return g_interrupted;
}

}  // namespace copyscope::cli
