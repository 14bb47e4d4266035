#include "harness/control/host_load_hooks.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace copyscope::control {
namespace {

std::string Path() { return std::string(std::getenv("TEST_TMPDIR")) + "/stat"; }

void WriteStat(const std::string& cpu0, const std::string& cpu1) {
  std::ofstream(Path()) << "cpu  0 0 0 0 0 0 0 0 0 0\n"
                        << "cpu0 " << cpu0 << " 0 0\n"
                        << "cpu1 " << cpu1 << " 0 0\n"
                        << "intr 1 2 3\n";
}

// user nice system idle iowait irq softirq steal, in ticks.
TEST(HostLoadHooksTest, TheLoadOfTheIntervalByKindAndGroup) {
  const long hz = sysconf(_SC_CLK_TCK);
  HostLoadHooks hooks("local", {1}, Path());
  engine::ThreadContext t;
  WriteStat("10 0 10 100 0 0 0 0", "10 0 10 100 0 0 0 0");
  hooks.OnMeasureStart(t);
  hooks.OnMeasureStart(t);  // a second window: no new reading
  WriteStat("20 0 10 150 0 0 5 0", "10 0 30 100 0 2 40 1");
  hooks.OnMeasureStop(t);  // one window still open: no reading yet
  WriteStat("30 0 10 150 0 0 5 0", "10 0 30 100 0 2 40 1");
  hooks.OnMeasureStop(t);  // the last close
  record::Sample part;
  hooks.OnSideEnd(engine::Side::kServer, &part);
  ASSERT_EQ(part.cpu_load_size(), 1);
  const record::CpuLoad& l = part.cpu_load(0);
  EXPECT_EQ(l.host(), "local");
  ASSERT_EQ(l.cpus_size(), 2);
  EXPECT_DOUBLE_EQ(l.cpus(0).user_s(), 20.0 / hz);
  EXPECT_DOUBLE_EQ(l.cpus(1).softirq_s(), 40.0 / hz);
  EXPECT_DOUBLE_EQ(l.total().softirq_s(), 45.0 / hz);
  EXPECT_DOUBLE_EQ(l.total().irq_s(), 2.0 / hz);
  EXPECT_DOUBLE_EQ(l.total().steal_s(), 1.0 / hz);
  EXPECT_DOUBLE_EQ(l.pinned().system_s(), 20.0 / hz);  // CPU 1
  EXPECT_DOUBLE_EQ(l.others().idle_s(), 50.0 / hz);    // CPU 0
  EXPECT_EQ(l.pinned_cpus_size(), 1);
  EXPECT_GE(l.wall_s(), 0);
}

TEST(HostLoadHooksTest, NoWindowNoLoad) {
  HostLoadHooks hooks("local", {}, Path());
  record::Sample part;
  hooks.OnSideEnd(engine::Side::kServer, &part);
  EXPECT_EQ(part.cpu_load_size(), 0);
}

TEST(HostLoadHooksTest, AnUnreadableFileIsSaidNotZero) {
  HostLoadHooks hooks("local", {}, Path() + ".missing");
  engine::ThreadContext t;
  hooks.OnMeasureStart(t);
  hooks.OnMeasureStop(t);
  record::Sample part;
  hooks.OnSideEnd(engine::Side::kServer, &part);
  ASSERT_EQ(part.cpu_load_size(), 1);
  EXPECT_EQ(part.cpu_load(0).cpus_size(), 0);
  EXPECT_EQ(part.cpu_load(0).wall_s(), 0);
  ASSERT_EQ(part.cpu_load(0).unknown_size(), 1);
  EXPECT_FALSE(part.cpu_load(0).unknown(0).value().empty());
}

}  // namespace
}  // namespace copyscope::control
