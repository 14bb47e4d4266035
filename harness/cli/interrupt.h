// Ctrl-C for a run: SIGINT, SIGTERM and SIGHUP are blocked in every thread and
// taken by one watcher thread, which sets a flag the sweep and the runner
// poll; the run then stops after (or cuts short) the current sample and
// saves what it finished, its record ended "interrupted". A second signal
// exits at once with status 130 (the record then has no trailer: incomplete).
//
//   const std::atomic<bool>& stop = WatchInterrupts();  // before any thread
//   ... RunSweep(..., config.interrupt = &stop ...) ...
//   if (stop.load()) return 130;
//
// Call it before starting other threads, so they inherit the blocked mask.
#ifndef COPYSCOPE_HARNESS_CLI_INTERRUPT_H_
#define COPYSCOPE_HARNESS_CLI_INTERRUPT_H_

#include <atomic>

namespace copyscope::cli {

inline constexpr int kExitInterrupted = 130;

// Starts the watcher once; returns the flag it sets.
const std::atomic<bool>& WatchInterrupts();

}  // namespace copyscope::cli

#endif  // COPYSCOPE_HARNESS_CLI_INTERRUPT_H_
