// The slice clock of one side of a sample (--interval): a thread that bumps
// a counter every interval from the moment it is started, so that the
// measuring loops cut their windows into slices without reading a clock
// per message. A loop loads the counter (relaxed) beside its phase and reads
// CLOCK_MONOTONIC only when the counter changed (window.h), about once per
// interval.
//
//   SliceClock clock(absl::Milliseconds(100));
//   Window w(phase, 0, 0, hooks, ctx, &clock.tick());
//   clock.Start();   // tick 0 from now, tick k from k intervals later
//   ...              // the loops run; slice k is the time while tick == k
//   clock.Stop();    // joins the thread (the destructor does too)
//
// Ticks are due at start + k x interval on CLOCK_MONOTONIC, so they do not
// drift; a clock thread that was kept off the CPU past several ticks sets
// the counter to the current one at once (the slices in between merge).
#ifndef COPYSCOPE_HARNESS_ENGINE_SLICE_CLOCK_H_
#define COPYSCOPE_HARNESS_ENGINE_SLICE_CLOCK_H_

#include <atomic>
#include <cstdint>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace copyscope::engine {

class SliceClock {
 public:
  // interval must be positive.
  explicit SliceClock(absl::Duration interval);
  ~SliceClock();
  SliceClock(const SliceClock&) = delete;
  SliceClock& operator=(const SliceClock&) = delete;

  // Starts the thread; tick() is 0 until one interval has passed. Only the
  // first call counts.
  void Start();
  // Stops and joins the thread; tick() keeps its last value.
  void Stop();

  const std::atomic<uint32_t>& tick() const { return tick_; }
  absl::Duration interval() const { return interval_; }

 private:
  void Run(int64_t start_ns);

  const absl::Duration interval_;
  alignas(64) std::atomic<uint32_t> tick_{0};
  absl::Mutex mu_;
  absl::CondVar cv_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace copyscope::engine

#endif  // COPYSCOPE_HARNESS_ENGINE_SLICE_CLOCK_H_
