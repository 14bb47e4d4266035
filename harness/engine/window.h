// The measured window of one worker thread: the one state machine every
// loop of the runner (stream sender and receiver, rr client and server)
// steps through, in duration mode and in count mode alike.
//
//   std::atomic<int> phase{kWarmup};          // driven by the cell's timer
//   Window w(phase, config, hooks, ctx);
//   for (uint64_t done = 0; w.Next(done); ++done) SendOne();
//   // w.complete(), w.window(), w.counted(): the measured part
//
// Next(done) is called before each operation with the number of operations
// done so far, and costs one relaxed atomic load and a few compares:
//   - duration mode (messages == 0): the window opens when the thread first
//     sees the phase at kMeasure and closes when it sees kCooldown (the
//     loops go on until kStop, so a peer still measuring keeps getting
//     messages) or kStop;
//   - count mode (messages = N): the window opens after `warmup` operations
//     and closes after warmup + N, and Next() says stop there;
//   - in both, Next() is false once the phase says stop (failure or end).
// Loops that end on end of stream (receivers) ignore the false and close
// the window through Next(done) after their last operation.
//
// When the window opens or closes the thread reads its rusage, calls the
// measure hooks (per-thread counters plug in there) and reads
// CLOCK_MONOTONIC, in that order at the start and the reverse at the stop,
// so the counters cover exactly the interval the clock measures. Closing
// writes the rusage deltas and the window's length into ctx.report.
//
// Slices (--interval): given a tick counter (slice_clock.h), Next() also
// loads it (relaxed) and, when it changed while the window is open, marks
// the count and CLOCK_MONOTONIC there: one clock read per tick, never per
// operation. marks() then holds the window's edges with every tick between
// them; the operations from one mark to the next belong to the slice of the
// first mark's tick:
//
//   std::atomic<uint32_t> tick{0};            // bumped by a SliceClock
//   Window w(phase, 0, 0, hooks, ctx, &tick);
//   // ... w.marks(): {tick 0, done 10, t0}, {tick 1, done 5010, t1}, ...
#ifndef COPYSCOPE_HARNESS_ENGINE_WINDOW_H_
#define COPYSCOPE_HARNESS_ENGINE_WINDOW_H_

#include <sys/resource.h>
#include <time.h>

#include <atomic>
#include <cstdint>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/time/time.h"
#include "harness/engine/thread_hooks.h"

namespace copyscope::engine {

// The phases of a cell, driven by its main thread in duration mode. Each
// side of a cell has its own phase (the sides may live in different
// processes): kCooldown closes every window while both sides keep moving
// messages, and only once every window of both sides is closed does kStop
// end the loops.
enum Phase : int { kWarmup = 0, kMeasure = 1, kCooldown = 2, kStop = 3 };

inline int64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

// An edge of a slice: from here on, operations belong to slice `tick`.
struct SliceMark {
  uint32_t tick = 0;
  uint64_t done = 0;  // operations done so far
  int64_t ns = 0;     // CLOCK_MONOTONIC
};

class Window {
 public:
  // At most this many marks per window (109 minutes of 100 ms slices;
  // past it, the last slice takes the rest of the window).
  static constexpr size_t kMaxMarks = size_t{1} << 16;

  // messages == 0: duration mode. hooks and tick may be null; ctx and tick
  // must outlive this.
  Window(const std::atomic<int>& phase, uint64_t warmup_messages,
         uint64_t messages, ThreadHooks* hooks, const ThreadContext& ctx,
         const std::atomic<uint32_t>* tick = nullptr)
      : phase_(phase),
        tick_(tick),
        warmup_(warmup_messages),
        end_(warmup_messages + messages),
        count_mode_(messages > 0),
        hooks_(hooks),
        ctx_(ctx) {}

  // Before each operation; false: stop (the loop may still drain).
  bool Next(uint64_t done) {
    const int phase = phase_.load(std::memory_order_relaxed);
    if (tick_ != nullptr) {
      const uint32_t tick = tick_->load(std::memory_order_relaxed);
      if (tick != tick_seen_) Tick(tick, done);
    }
    if (count_mode_) {
      if (done == warmup_) Open(done);
      if (done >= end_) {
        Close(done);
        return false;
      }
      return phase < kStop;
    }
    if (phase != seen_) {
      seen_ = phase;
      if (phase >= kMeasure) Open(done);
      if (phase >= kCooldown) Close(done);
    }
    return phase < kStop;
  }

  // Closes the window at `done` if it is open (e.g. a receiver that saw the
  // stream end after the phase said stop).
  void Close(uint64_t done) {
    if (!open_ || closed_) return;
    closed_ = true;
    t1_ = MonotonicNs();
    count1_ = done;
    if (tick_ != nullptr) marks_.push_back({tick_seen_, done, t1_});
    if (hooks_ != nullptr) hooks_->OnMeasureStop(ctx_);
    rusage r1;
    getrusage(RUSAGE_THREAD, &r1);
    record::ThreadReport* t = ctx_.report;
    t->set_user_cpu_s(Seconds(r1.ru_utime) - Seconds(r0_.ru_utime));
    t->set_sys_cpu_s(Seconds(r1.ru_stime) - Seconds(r0_.ru_stime));
    t->set_voluntary_cs(r1.ru_nvcsw - r0_.ru_nvcsw);
    t->set_involuntary_cs(r1.ru_nivcsw - r0_.ru_nivcsw);
    t->set_window_s(static_cast<double>(t1_ - t0_) / 1e9);
  }

  bool measuring() const { return open_ && !closed_; }
  bool complete() const { return open_ && closed_; }
  absl::Duration window() const { return absl::Nanoseconds(t1_ - t0_); }
  uint64_t counted() const { return count1_ - count0_; }
  // With a tick counter: the opening, every tick seen while open, and the
  // closing (once closed), in order.
  const std::vector<SliceMark>& marks() const { return marks_; }

 private:
  static double Seconds(const timeval& tv) {
    return static_cast<double>(tv.tv_sec) +
           static_cast<double>(tv.tv_usec) / 1e6;
  }

  void Open(uint64_t done) {
    if (open_) return;
    open_ = true;
    getrusage(RUSAGE_THREAD, &r0_);
    if (hooks_ != nullptr) hooks_->OnMeasureStart(ctx_);
    t0_ = MonotonicNs();
    count0_ = done;
    if (tick_ != nullptr) {
      marks_.reserve(64);
      marks_.push_back({tick_seen_, done, t0_});
    }
  }

  // Out of line of Next(): at most once per tick.
  ABSL_ATTRIBUTE_NOINLINE void Tick(uint32_t tick, uint64_t done) {
    tick_seen_ = tick;
    if (measuring() && marks_.size() + 1 < kMaxMarks) {
      marks_.push_back({tick, done, MonotonicNs()});
    }
  }

  const std::atomic<int>& phase_;
  const std::atomic<uint32_t>* const tick_;
  const uint64_t warmup_;
  const uint64_t end_;
  const bool count_mode_;
  ThreadHooks* const hooks_;
  const ThreadContext& ctx_;
  int seen_ = kWarmup;
  uint32_t tick_seen_ = 0;
  std::vector<SliceMark> marks_;
  bool open_ = false;
  bool closed_ = false;
  int64_t t0_ = 0, t1_ = 0;
  uint64_t count0_ = 0, count1_ = 0;
  rusage r0_{};
};

}  // namespace copyscope::engine

#endif  // COPYSCOPE_HARNESS_ENGINE_WINDOW_H_
