#include "harness/engine/slice_clock.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace copyscope::engine {
namespace {

// Waits, bounded, until the clock's tick reaches `at_least`; the ticks it
// saw on the way must never go back.
bool ReachesMonotonically(const SliceClock& clock, uint32_t at_least) {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  uint32_t last = 0;
  while (absl::Now() < deadline) {
    const uint32_t t = clock.tick().load(std::memory_order_relaxed);
    if (t < last) return false;
    last = t;
    if (t >= at_least) return true;
    std::this_thread::yield();
  }
  return false;
}

TEST(SliceClockTest, ZeroUntilStarted) {
  SliceClock clock(absl::Microseconds(100));
  EXPECT_EQ(clock.tick().load(), 0u);
  EXPECT_EQ(clock.interval(), absl::Microseconds(100));
}

TEST(SliceClockTest, CountsUpOnceStartedAndHoldsWhenStopped) {
  SliceClock clock(absl::Milliseconds(1));
  clock.Start();
  clock.Start();  // a second start changes nothing
  EXPECT_TRUE(ReachesMonotonically(clock, 3));
  clock.Stop();
  const uint32_t held = clock.tick().load();
  EXPECT_GE(held, 3u);
  clock.Stop();  // twice is fine
  EXPECT_EQ(clock.tick().load(), held);
}

TEST(SliceClockTest, AStoppedClockDoesNotStart) {
  SliceClock clock(absl::Microseconds(100));
  clock.Stop();
  clock.Start();
  clock.Stop();
  EXPECT_EQ(clock.tick().load(), 0u);
}

TEST(SliceClockTest, TheDestructorStopsARunningClock) {
  auto clock = std::make_unique<SliceClock>(absl::Microseconds(50));
  clock->Start();
  clock.reset();  // joins; a leaked thread would fail under the sanitizers
  SUCCEED();
}

}  // namespace
}  // namespace copyscope::engine
