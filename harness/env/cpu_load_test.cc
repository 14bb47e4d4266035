#include "harness/env/cpu_load.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace copyscope::env {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Writes `text` to a new file under $TEST_TMPDIR and returns its path.
std::string WriteStat(const std::string& name, const std::string& text) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string path = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/", name);
  std::ofstream(path) << text;
  return path;
}

// The lines around the cpu lines of a real /proc/stat, to be skipped.
constexpr char kTail[] =
    "intr 6786717 0 0 1 1 8\n"
    "ctxt 22154829\n"
    "btime 1764745234\n"
    "softirq 3911245 0 1052853 3 52571 0 0 26 1327823 0 1477969\n";

CpuSnapshot Read(const std::string& name, const std::string& cpu_lines) {
  absl::StatusOr<CpuSnapshot> s =
      ReadCpuSnapshot(WriteStat(name, cpu_lines + kTail));
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : CpuSnapshot{};
}

double Hz() { return static_cast<double>(sysconf(_SC_CLK_TCK)); }

TEST(CpuLoadTest, SecondsPerCpuInTotalAndOverThePinnedCpusAndTheRest) {
  CpuSnapshot before = Read("before",
                            "cpu  300 30 300 3000 30 3 30 3 0 0\n"
                            "cpu0 100 10 100 1000 10 1 10 1 0 0\n"
                            "cpu1 100 10 100 1000 10 1 10 1 0 0\n"
                            "cpu2 100 10 100 1000 10 1 10 1 0 0\n");
  CpuSnapshot after = Read("after",
                           "cpu  300 30 300 3000 30 3 30 3 0 0\n"
                           "cpu0 150 10 120 1010 12 2 25 1 0 0\n"
                           "cpu1 110 11 100 1090 10 1 10 1 0 0\n"
                           "cpu2 100 10 100 1100 10 1 10 1 0 0\n");
  EXPECT_EQ(before.user_hz, sysconf(_SC_CLK_TCK));
  CpuLoad load = Delta(before, after, absl::Milliseconds(1000));
  EXPECT_EQ(load.wall, absl::Seconds(1));
  ASSERT_EQ(load.cpus.size(), 3u);
  ASSERT_TRUE(load.cpus[0].times.has_value());
  const CpuTimes& cpu0 = *load.cpus[0].times;
  EXPECT_DOUBLE_EQ(cpu0.user_s, 50 / Hz());
  EXPECT_DOUBLE_EQ(cpu0.nice_s, 0);
  EXPECT_DOUBLE_EQ(cpu0.system_s, 20 / Hz());
  EXPECT_DOUBLE_EQ(cpu0.idle_s, 10 / Hz());
  EXPECT_DOUBLE_EQ(cpu0.iowait_s, 2 / Hz());
  EXPECT_DOUBLE_EQ(cpu0.irq_s, 1 / Hz());
  EXPECT_DOUBLE_EQ(cpu0.softirq_s, 15 / Hz());
  EXPECT_DOUBLE_EQ(cpu0.steal_s, 0);
  EXPECT_DOUBLE_EQ(cpu0.Total(), 98 / Hz());
  EXPECT_DOUBLE_EQ(cpu0.Busy(), 86 / Hz());
  EXPECT_DOUBLE_EQ(*cpu0.Utilisation(), 86.0 / 98.0);

  EXPECT_THAT(load.total.counted, ElementsAre(0, 1, 2));
  EXPECT_TRUE(load.total.unknown.empty());
  EXPECT_DOUBLE_EQ(load.total.times.Total(), (98 + 101 + 100) / Hz());

  CpuGroupLoad pinned = LoadOf(load, {1, 0, 1});
  EXPECT_THAT(pinned.counted, ElementsAre(0, 1));
  EXPECT_DOUBLE_EQ(pinned.times.user_s, 60 / Hz());
  EXPECT_DOUBLE_EQ(pinned.times.nice_s, 1 / Hz());
  CpuGroupLoad rest = LoadOfOthers(load, {0, 1});
  EXPECT_THAT(rest.counted, ElementsAre(2));
  EXPECT_DOUBLE_EQ(rest.times.idle_s, 100 / Hz());
  EXPECT_DOUBLE_EQ(*rest.times.Utilisation(), 0);
}

TEST(CpuLoadTest, GuestColumnsAreNotCountedTwice) {
  // guest (9th) and guest_nice (10th) are already inside user and nice.
  CpuSnapshot before = Read("guest0", "cpu0 100 10 0 0 0 0 0 0 50 5\n");
  CpuSnapshot after = Read("guest1", "cpu0 200 20 0 0 0 0 0 0 140 15\n");
  CpuLoad load = Delta(before, after, absl::Seconds(1));
  ASSERT_TRUE(load.cpus[0].times.has_value());
  EXPECT_DOUBLE_EQ(load.cpus[0].times->Total(), 110 / Hz());
}

TEST(CpuLoadTest, ACpuWhoseCountersWentBackwardsIsUnknownNeverNegative) {
  CpuSnapshot before = Read("back0",
                            "cpu0 100 0 100 1000 10 0 10 0 0 0\n"
                            "cpu1 500 0 500 5000 50 0 50 0 0 0\n");
  CpuSnapshot after = Read("back1",
                           "cpu0 110 0 110 1010 10 0 10 0 0 0\n"
                           "cpu1 5 0 500 4000 50 0 50 0 0 0\n");
  CpuLoad load = Delta(before, after, absl::Seconds(1));
  ASSERT_EQ(load.cpus.size(), 2u);
  EXPECT_FALSE(load.cpus[1].times.has_value());
  EXPECT_EQ(load.cpus[1].why, "counters went backwards: user, idle");
  EXPECT_THAT(load.total.counted, ElementsAre(0));
  EXPECT_THAT(load.total.unknown, ElementsAre(1));
  EXPECT_DOUBLE_EQ(load.total.times.Total(), 30 / Hz());
  EXPECT_THAT(LoadOf(load, {1}).unknown, ElementsAre(1));
  EXPECT_TRUE(LoadOf(load, {1}).counted.empty());
}

TEST(CpuLoadTest, CpusOnlineInOneSnapshotOnlyAreUnknownAndNamed) {
  CpuSnapshot before = Read("plug0",
                            "cpu0 100 0 100 1000 10 0 10 0 0 0\n"
                            "cpu2 100 0 100 1000 10 0 10 0 0 0\n");
  CpuSnapshot after = Read("plug1",
                           "cpu0 110 0 100 1000 10 0 10 0 0 0\n"
                           "cpu1 7 0 7 70 0 0 0 0 0 0\n");
  CpuLoad load = Delta(before, after, absl::Seconds(1));
  ASSERT_EQ(load.cpus.size(), 3u);
  EXPECT_EQ(load.cpus[1].cpu, 1);
  EXPECT_FALSE(load.cpus[1].times.has_value());
  EXPECT_EQ(load.cpus[1].why, "online only at the end");
  EXPECT_EQ(load.cpus[2].cpu, 2);
  EXPECT_FALSE(load.cpus[2].times.has_value());
  EXPECT_EQ(load.cpus[2].why, "online only at the start");
  EXPECT_THAT(load.total.counted, ElementsAre(0));
  EXPECT_THAT(load.total.unknown, ElementsAre(1, 2));
  EXPECT_DOUBLE_EQ(load.total.times.Total(), 10 / Hz());
  // A pinned CPU that neither snapshot has is unknown too.
  CpuGroupLoad pinned = LoadOf(load, {0, 7});
  EXPECT_THAT(pinned.counted, ElementsAre(0));
  EXPECT_THAT(pinned.unknown, ElementsAre(7));
  EXPECT_THAT(LoadOfOthers(load, {0}).unknown, ElementsAre(1, 2));
}

TEST(CpuLoadTest, SnapshotsThatDisagreeOnUserHzGiveNoFigures) {
  absl::StatusOr<CpuSnapshot> a =
      ParseProcStat("cpu0 1 1 1 1 1 1 1 1", 100, "a");
  absl::StatusOr<CpuSnapshot> b =
      ParseProcStat("cpu0 2 2 2 2 2 2 2 2", 250, "b");
  ASSERT_TRUE(a.ok() && b.ok());
  CpuLoad load = Delta(*a, *b, absl::Seconds(1));
  EXPECT_FALSE(load.cpus[0].times.has_value());
  EXPECT_EQ(load.cpus[0].why, "USER_HZ differs: 100 and 250");
}

TEST(CpuLoadTest, NoTickElapsedHasNoUtilisation) {
  EXPECT_FALSE(CpuTimes{}.Utilisation().has_value());
}

TEST(CpuLoadTest, MalformedLinesAreOneLineErrorsNamingFileAndLine) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"cpu  1 1 1 1 1 1 1 1\ncpu0 1 2 3 x 5 6 7 8\n",
       ":2: malformed cpu line \"cpu0 1 2 3 x 5 6 7 8\": idle \"x\" is not a "
       "count"},
      {"cpu0 1 2 3 4 5 6 7\n",
       ":1: malformed cpu line \"cpu0 1 2 3 4 5 6 7\": 7 counters, want 8 or "
       "more"},
      {"cpu0 1 2 3 4 5 6 7 -8\n", "steal \"-8\" is not a count"},
      {"cpuX 1 2 3 4 5 6 7 8\n", "\"cpuX\" is not cpu or cpuN"},
      {"cpu0 1 2 3 4 5 6 7 8\ncpu0 1 2 3 4 5 6 7 8\n",
       ":2: malformed cpu line \"cpu0 1 2 3 4 5 6 7 8\": cpu0 appears twice"},
      {"cpu99999999999 1 2 3 4 5 6 7 8\n", "CPU number out of range"},
      {"cpu0 1 2 3 4 5 6 7 99999999999999999999\n", "is not a count"},
      {"intr 1 2 3\nctxt 4\n", ": no cpuN line (not a /proc/stat?)"},
  };
  int i = 0;
  for (const Case& c : cases) {
    const std::string path = WriteStat(absl::StrCat("bad", i++), c.text);
    absl::StatusOr<CpuSnapshot> s = ReadCpuSnapshot(path);
    ASSERT_FALSE(s.ok()) << c.text;
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(s.status().message()), HasSubstr(c.message));
    EXPECT_TRUE(absl::StartsWith(s.status().message(), path));
    EXPECT_FALSE(absl::StrContains(s.status().message(), "\n"));
  }
}

TEST(CpuLoadTest, AMissingFileIsAnError) {
  const std::string path = WriteStat("present", "") + ".absent";
  absl::StatusOr<CpuSnapshot> s = ReadCpuSnapshot(path);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.status().message(),
            absl::StrCat("cannot open ", path, ": No such file or directory"));
}

TEST(CpuLoadTest, ReadsThisMachinesProcStat) {
  absl::StatusOr<CpuSnapshot> before = ReadCpuSnapshot();
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_FALSE(before->cpus.empty());
  EXPECT_GT(before->user_hz, 0);
  absl::StatusOr<CpuSnapshot> after = ReadCpuSnapshot();
  ASSERT_TRUE(after.ok()) << after.status();
  CpuLoad load = Delta(*before, *after, absl::ZeroDuration());
  EXPECT_FALSE(load.cpus.empty());
  for (const CpuDelta& d : load.cpus) {
    if (d.times.has_value()) {
      EXPECT_GE(d.times->Total(), 0);
    }
  }
}

}  // namespace
}  // namespace copyscope::env
