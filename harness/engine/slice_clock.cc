#include "harness/engine/slice_clock.h"

#include <algorithm>

#include "harness/engine/window.h"

namespace copyscope::engine {

SliceClock::SliceClock(absl::Duration interval) : interval_(interval) {}

SliceClock::~SliceClock() { Stop(); }

void SliceClock::Start() {
  if (thread_.joinable()) return;
  {
    absl::MutexLock lock(&mu_);
    if (stop_) return;
  }
  const int64_t start = MonotonicNs();
  thread_ = std::thread([this, start] { Run(start); });
}

void SliceClock::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
    cv_.Signal();
  }
  if (thread_.joinable()) thread_.join();
}

void SliceClock::Run(int64_t start_ns) {
  const int64_t step =
      std::max<int64_t>(absl::ToInt64Nanoseconds(interval_), 1);
  absl::MutexLock lock(&mu_);
  while (!stop_) {
    const int64_t now = MonotonicNs();
    const int64_t due = (now - start_ns) / step;  // ticks due by now
    if (due > tick_.load(std::memory_order_relaxed)) {
      tick_.store(static_cast<uint32_t>(due), std::memory_order_relaxed);
    }
    const int64_t next = start_ns + (due + 1) * step;
    cv_.WaitWithTimeout(&mu_, absl::Nanoseconds(next - now));
  }
}

}  // namespace copyscope::engine
